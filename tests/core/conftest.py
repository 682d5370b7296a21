"""The core's tests use the session's real core server (``core`` in tests/conftest.py)."""

from __future__ import annotations

from tests.conftest import TOKEN, CoreHandle

__all__ = ["TOKEN", "CoreHandle"]
