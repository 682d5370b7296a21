"""Sandbox time: real time that tests may shift forward or speed up (a compressed clock).

Every simulator reads "now" from one ``Clock`` so that token expiry, rate-limit windows and
timestamps move together. ``speed=60`` makes one real second a sandbox minute, which lets a test
exercise a per-minute limit in seconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._real_anchor = time.time()
        self._virtual_anchor = self._real_anchor
        self._speed = 1.0

    @property
    def speed(self) -> float:
        return self._speed

    def time(self) -> float:
        """Sandbox time as Unix seconds."""
        with self._lock:
            return self._virtual_anchor + (time.time() - self._real_anchor) * self._speed

    def now(self) -> datetime:
        """Sandbox time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def configure(
        self,
        *,
        speed: float | None = None,
        advance_seconds: float | None = None,
        set_to: datetime | None = None,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        current = self.time()
        with self._lock:
            self._real_anchor = time.time()
            self._virtual_anchor = current
            if set_to is not None:
                if set_to.tzinfo is None:
                    raise ValueError("set_to must carry a time zone")
                self._virtual_anchor = set_to.timestamp()
            if advance_seconds is not None:
                self._virtual_anchor += advance_seconds
            if speed is not None:
                self._speed = speed

    def reset(self) -> None:
        with self._lock:
            self._real_anchor = time.time()
            self._virtual_anchor = self._real_anchor
            self._speed = 1.0

    async def sleep(self, sandbox_seconds: float) -> None:
        """Sleep for a span of sandbox time (shorter in real time when the clock is compressed)."""
        await asyncio.sleep(max(0.0, sandbox_seconds) / self._speed)

    def snapshot(self) -> dict[str, Any]:
        return {"now": self.now().isoformat(), "unix": self.time(), "speed": self._speed}
