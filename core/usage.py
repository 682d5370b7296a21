"""What each connection used and how its calls went, for health: budget units taken today, and the
share of provider calls that failed over the last two hours (as workers report them)."""

from __future__ import annotations

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


class UsageStats:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _day(now: datetime) -> str:
        return now.strftime("%Y%m%d")

    @staticmethod
    def _hour(now: datetime) -> str:
        return now.strftime("%Y%m%d%H")

    def units_key(self, connection_id: str) -> str:
        """Where the budget counts units granted today (``Budgets.acquire(count_into=...)``)."""
        return f"{PREFIX}{connection_id}:units:{self._day(datetime.now(UTC))}"

    async def answered(self, connection_id: str, status: int) -> None:
        key = f"{PREFIX}{connection_id}:calls:{self._hour(datetime.now(UTC))}"
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, "calls", 1)
            if status >= 400:
                pipe.hincrby(key, "failures", 1)
            pipe.expire(key, 3 * 3600)
            await pipe.execute()

    async def usage(self, connection_id: str) -> Usage:
        now = datetime.now(UTC)
        hours = [self._hour(now), self._hour(now - timedelta(hours=1))]
        units = await self.redis.get(self.units_key(connection_id))
        calls = failures = 0
        for hour in hours:
            counts = await self.redis.hgetall(f"{PREFIX}{connection_id}:calls:{hour}")
            calls += int(counts.get(b"calls", 0))
            failures += int(counts.get(b"failures", 0))
        return Usage(int(units or 0), calls, failures)
