"""Errors a simulator raises to answer with its provider's own error body.

SandboxError            -- answer ``status`` with ``body`` (already in the provider's shape)
ConnectionDropped       -- internal: the fault layer hangs up after the write was committed
"""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """Raised by a handler; the app answers ``status`` with ``body`` as JSON (or ``text`` when given)."""

    def __init__(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        text: str | None = None,
    ) -> None:
        super().__init__(f"{status}: {body if text is None else text}")
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.text = text


class ConnectionDropped(Exception):
    """The fault layer closes the connection after the handler committed its write."""
