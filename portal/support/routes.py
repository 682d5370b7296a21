"""Placeholder: the support slice's pages and JSON API (being written)."""

from __future__ import annotations

from litestar import Router

from portal.resources import Slice

SLICE = Slice("support", Router("/", route_handlers=[]), lambda resources: {})
