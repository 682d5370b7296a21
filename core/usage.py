"""What each connection used and how its calls went, for health: budget units taken today, and the
share of provider calls that failed over the last two hours (as workers report them)."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

PREFIX = "connectors:usage:"


@dataclass(frozen=True)
class Usage:
    units_today: int
    calls: int
    failures: int

    @property
    def error_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0


@functools.lru_cache(maxsize=2)
def _day_of(epoch_day: int) -> str:
    return datetime.fromtimestamp(epoch_day * 86400, UTC).strftime("%Y%m%d")


def _today() -> str:
    """Today's UTC date as YYYYMMDD (asked on every budget grant, so formatted once a day)."""
    return _day_of(int(time.time() // 86400))


class UsageStats:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _hour(now: datetime) -> str:
        return now.strftime("%Y%m%d%H")

    def units_key(self, connection_id: str) -> str:
        """Where the budget counts units granted today (``Budgets.acquire(count_into=...)``)."""
        return f"{PREFIX}{connection_id}:units:{_today()}"

    def calls_key(self, connection_id: str) -> str:
        """Where the budget counts this hour's answered calls and failures (``Budgets.report(count_into=...)``)."""
        return self._calls_key(connection_id, datetime.now(UTC))

    @classmethod
    def _calls_key(cls, connection_id: str, hour: datetime) -> str:
        return f"{PREFIX}{connection_id}:calls:{cls._hour(hour)}"

    async def usage(self, connection_id: str) -> Usage:
        now = datetime.now(UTC)
        units = await self.redis.get(self.units_key(connection_id))
        calls = failures = 0
        for hour in (now, now - timedelta(hours=1)):
            counts: dict[bytes, bytes] = await self.redis.hgetall(self._calls_key(connection_id, hour))  # type: ignore[misc]
            calls += int(counts.get(b"calls", 0))
            failures += int(counts.get(b"failures", 0))
        return Usage(int(units or 0), calls, failures)
