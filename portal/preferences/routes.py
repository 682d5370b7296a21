"""Placeholder: the preferences slice's pages and JSON API (being written)."""

from __future__ import annotations

from litestar import Router

from portal.resources import Slice

SLICE = Slice("preferences", Router("/", route_handlers=[]), lambda resources: {})
