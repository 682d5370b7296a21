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

import asyncio
import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

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
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or burst)
local ts = tonumber(redis.call('HGET', KEYS[1], 'ts') or now)
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked_until') or 0)
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

# KEYS[1] bucket hash. ARGV: rate/s, burst, blocked_for (s or -1), remaining (or -1)
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
return tostring(level)
"""


class _Pipelined:
    """Runs a Lua script for every caller, sending all calls made in one event-loop turn as one pipeline:
    one write and one read for many decisions, each still atomic and in arrival order."""

    def __init__(self, redis: Redis, source: str) -> None:
        self.redis = redis
        self.script = redis.register_script(source)
        self._queue: list[tuple[list[str], list[Any], asyncio.Future[Any]]] = []

    async def __call__(self, keys: list[str], args: list[Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((keys, args, future))
        if len(self._queue) == 1:
            asyncio.get_running_loop().call_soon(self._flush_soon)
        return await future

    def _flush_soon(self) -> None:
        batch, self._queue = self._queue, []
        task = asyncio.ensure_future(self._run(batch))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _run(self, batch: list[tuple[list[str], list[Any], asyncio.Future[Any]]]) -> None:
        try:
            results = await self._send(batch)
        except Exception as exc:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _send(self, batch: list[tuple[list[str], list[Any], asyncio.Future[Any]]]) -> list[Any]:
        results: list[Any] = [None] * len(batch)
        pending = list(range(len(batch)))
        for attempt in range(2):
            answers: list[Any]
            if len(pending) == 1:  # the usual case: a plain call costs less than a pipeline of one
                keys, args, _ = batch[pending[0]]
                try:
                    answers = [await self.redis.evalsha(self.script.sha, len(keys), *keys, *args)]
                except NoScriptError as exc:
                    answers = [exc]
            else:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for i in pending:
                        keys, args, _ = batch[i]
                        pipe.evalsha(self.script.sha, len(keys), *keys, *args)
                    answers = await pipe.execute(raise_on_error=False)
            for i, answer in zip(pending, answers, strict=True):
                results[i] = answer
            # Only calls Redis refused for want of the script are resent: the others already took effect.
            pending = [i for i in pending if isinstance(results[i], NoScriptError)]
            if not pending or attempt == 1:
                break
            await self.redis.script_load(self.script.script)  # Redis restarted or its scripts were flushed
        return results


class Budgets:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._acquire = _Pipelined(redis, _ACQUIRE)
        self._report = _Pipelined(redis, _REPORT)

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
    ) -> float:
        """Correct the bucket from a provider's answer; returns the level now."""
        blocked = -1.0
        if status == 429:
            blocked = retry_after if retry_after is not None else policy.per
        level = await self._report(
            [self.key(scope, bucket)],
            [policy.per_second, policy.burst, blocked, -1 if remaining is None else remaining],
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
