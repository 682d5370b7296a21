"""Rate limiters on the sandbox clock: a fixed window (Zoho, ShipStation) and a token bucket (Amazon)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from sandbox.kit.clock import Clock


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: float
    remaining: int
    reset_after: float
    """Sandbox seconds until the window resets (fixed window) or a token is available (bucket)."""


class FixedWindow:
    """``limit`` requests per ``window`` seconds per key; windows start at the key's first request."""

    def __init__(self, clock: Clock, limit: int, window: float) -> None:
        self.clock, self.limit, self.window = clock, limit, window
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> Decision:
        now = self.clock.time()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window or now < start:
                start, count = now, 0
            reset_after = max(0.0, self.window - (now - start))
            if count >= self.limit:
                self._windows[key] = (start, count)
                return Decision(False, self.limit, 0, reset_after)
            count += 1
            self._windows[key] = (start, count)
            return Decision(True, self.limit, self.limit - count, reset_after)

    def peek(self, key: str) -> Decision:
        """The decision ``hit`` would make, without counting (for headers on answers that do not count)."""
        now = self.clock.time()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window or now < start:
            start, count = now, 0
        return Decision(count < self.limit, self.limit, max(0, self.limit - count), self.window - (now - start))

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class TokenBucket:
    """Refills ``rate`` tokens per second up to ``burst``; each request takes one."""

    def __init__(self, clock: Clock, rate: float, burst: int) -> None:
        self.clock, self.rate, self.burst = clock, rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> Decision:
        now = self.clock.time()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            # max(0, ...): a clock set backwards refills nothing rather than draining the bucket.
            tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate if self.rate > 0 else math.inf
                return Decision(False, self.rate, 0, wait)
            tokens -= 1.0
            self._buckets[key] = (tokens, now)
            return Decision(True, self.rate, int(tokens), 0.0)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
