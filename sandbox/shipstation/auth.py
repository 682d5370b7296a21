"""HTTP Basic authentication (API key:secret) and the per-key-pair rate limit with its headers.

The limit is a fixed window (default 40 requests per 60 sandbox seconds, starting at the key pair's first
request) on the sandbox clock, so a compressed clock (``speed: 60``) turns a minute into a second.
Every authenticated answer — 2xx, 4xx, 429 alike — carries

    X-Rate-Limit-Limit: 40
    X-Rate-Limit-Remaining: <left in this window>
    X-Rate-Limit-Reset: <whole sandbox seconds until the window resets, rounded up>

A 401 carries none: there is no key pair to count against.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass

from sandbox.kit import Clock, Decision, FixedWindow
from sandbox.shipstation import catalog


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(key, secret)`` from an ``Authorization: Basic`` header, or None when absent or malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return key, secret


@dataclass
class RateLimitSettings:
    limit: int = catalog.RATE_LIMIT
    window: float = catalog.RATE_WINDOW_SECONDS
    enabled: bool = True


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.settings = RateLimitSettings()
        self.window = FixedWindow(clock, self.settings.limit, self.settings.window)

    def configure(self, limit: int | None = None, window: float | None = None, enabled: bool | None = None) -> None:
        if limit is not None:
            if limit < 1:
                raise ValueError("limit must be at least 1")
            self.settings.limit = limit
        if window is not None:
            if window <= 0:
                raise ValueError("window must be positive")
            self.settings.window = window
        if enabled is not None:
            self.settings.enabled = enabled
        self.window = FixedWindow(self.clock, self.settings.limit, self.settings.window)

    def hit(self, key: str) -> Decision:
        decision = self.window.hit(key)
        if not self.settings.enabled and not decision.allowed:
            return Decision(True, decision.limit, 0, decision.reset_after)
        return decision

    def peek(self, key: str) -> Decision:
        return self.window.peek(key)

    def reset(self) -> None:
        self.window.reset()


def headers(decision: Decision) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": str(int(decision.limit)),
        "X-Rate-Limit-Remaining": str(decision.remaining),
        "X-Rate-Limit-Reset": str(max(0, math.ceil(decision.reset_after))),
    }
