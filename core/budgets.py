"""Rate budgets shared by every worker and core replica: a token bucket per (connection, bucket) in Redis.

One Lua script does each decision atomically on Redis' own clock, so any number of processes agree:

- ``acquire(cost, priority, max_wait)``: take ``cost`` units now, or book them for the moment they will
  exist (the caller waits ``delay`` and then calls), or refuse with the ``retry_after`` when that moment
  is further than ``max_wait``. Backfills may not dig into the reserve kept for live events, so a backfill
  can never starve an order that must ship now.
- ``report(status, headers)``: the provider's answer corrects the bucket — a 429 empties it until the
  provider's reset, and a ``remaining`` header lowers it to what the provider says is left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

from redis.asyncio import Redis

from connectors.redis_wire import RedisWire, Script

PREFIX = "connectors:budget:"


class Priority(IntEnum):
    BACKFILL = 0
    LIVE = 1


@dataclass(frozen=True)
class Policy:
    """``rate`` units per ``per`` seconds, holding at most ``burst``; ``reserve`` is kept for live work."""

    rate: float
    per: float
    burst: int
    reserve: float = 0.2

    @property
    def per_second(self) -> float:
        return self.rate / self.per


@dataclass(frozen=True)
class Grant:
    granted: bool
    delay: float
    """Seconds the caller must wait before making the call (0 = now)."""
    retry_after: float
    """When refused: seconds until a retry can succeed."""
    remaining: float


# KEYS[1] bucket hash, KEYS[2] (optional) a counter of units granted. ARGV: rate/s, burst, cost, min_level, max_wait
# The bucket may go negative: that is booked future capacity, which later callers queue behind.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local cost, min_level, max_wait = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local h = redis.call('HMGET', KEYS[1], 'level', 'ts', 'blocked_until')
local level = tonumber(h[1] or burst)
local ts = tonumber(h[2] or now)
local blocked = tonumber(h[3] or 0)
level = math.min(burst, level + math.max(0, now - ts) * rate)
local wait = 0
if now < blocked then wait = blocked - now end
local after = level - cost
if after < min_level then
  wait = math.max(wait, (min_level - after) / rate)
end
if wait > max_wait then
  redis.call('HSET', KEYS[1], 'level', level, 'ts', now)
  redis.call('EXPIRE', KEYS[1], 86400)
  return {0, tostring(wait), tostring(level)}
end
redis.call('HSET', KEYS[1], 'level', after, 'ts', now)
redis.call('EXPIRE', KEYS[1], 86400)
if KEYS[2] then
  redis.call('INCRBY', KEYS[2], cost)
  redis.call('EXPIRE', KEYS[2], 172800)
end
return {1, tostring(wait), tostring(after)}
"""

# KEYS[1] bucket hash, KEYS[2] (optional) a hash counting calls and failures. ARGV: rate/s, burst,
# blocked_for (s or -1), remaining (or -1), failed (0 or 1)
_REPORT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local blocked_for, remaining = tonumber(ARGV[3]), tonumber(ARGV[4])
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or burst)
local ts = tonumber(redis.call('HGET', KEYS[1], 'ts') or now)
level = math.min(burst, level + math.max(0, now - ts) * rate)
if remaining >= 0 and remaining < level then level = remaining end
if blocked_for >= 0 then
  level = math.min(level, 0)
  redis.call('HSET', KEYS[1], 'blocked_until', now + blocked_for)
end
redis.call('HSET', KEYS[1], 'level', level, 'ts', now)
redis.call('EXPIRE', KEYS[1], 86400)
if KEYS[2] then
  redis.call('HINCRBY', KEYS[2], 'calls', 1)
  if ARGV[5] == '1' then redis.call('HINCRBY', KEYS[2], 'failures', 1) end
  redis.call('EXPIRE', KEYS[2], 10800)
end
return tostring(level)
"""


class Budgets:
    def __init__(self, redis: Redis, linger: float = 0.0) -> None:
        """``linger``: seconds a script call may wait to go to Redis with others (``RedisWire``)."""
        self.redis = redis
        self.wire = RedisWire(redis, linger=linger)
        self._acquire = Script(self.wire, _ACQUIRE)
        self._report = Script(self.wire, _REPORT)

    async def close(self) -> None:
        await self.wire.close()

    @staticmethod
    def key(scope: str, bucket: str) -> str:
        return f"{PREFIX}{scope}:{bucket}"

    async def acquire(
        self,
        scope: str,
        bucket: str,
        policy: Policy,
        *,
        cost: int = 1,
        priority: Priority = Priority.LIVE,
        max_wait: float = 0.0,
        count_into: str | None = None,
    ) -> Grant:
        """``count_into``: a Redis key that also counts granted units, in the same atomic step."""
        if cost < 1 or cost > policy.burst:
            raise ValueError(f"cost must be between 1 and the burst of {policy.burst}, got {cost}")
        min_level = 0.0 if priority is Priority.LIVE else policy.burst * policy.reserve
        granted, wait, level = await self._acquire(
            [self.key(scope, bucket), *([count_into] if count_into else [])],
            [policy.per_second, policy.burst, cost, min_level, max_wait],
        )
        wait_s = float(wait)
        return Grant(bool(granted), wait_s if granted else 0.0, 0.0 if granted else wait_s, float(level))

    async def report(
        self,
        scope: str,
        bucket: str,
        policy: Policy,
        *,
        status: int,
        retry_after: float | None = None,
        remaining: float | None = None,
        count_into: str | None = None,
    ) -> float:
        """Correct the bucket from a provider's answer; returns the level now. ``count_into``: a Redis hash
        that also counts the call (and the failure, for a status of 400 or more), in the same atomic step."""
        blocked = -1.0
        if status == 429:
            blocked = retry_after if retry_after is not None else policy.per
        level = await self._report(
            [self.key(scope, bucket), *([count_into] if count_into else [])],
            [policy.per_second, policy.burst, blocked, -1 if remaining is None else remaining, int(status >= 400)],
        )
        return float(level)


def retry_after_from(headers: dict[str, str], names: tuple[str | None, ...]) -> float | None:
    """The first of ``names`` present in the headers as seconds (Retry-After, X-Rate-Limit-Reset...)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in names:
        if name and name.lower() in lowered:
            try:
                value = float(lowered[name.lower()])
            except ValueError:
                continue
            if math.isfinite(value) and value >= 0:
                return value
    return None
