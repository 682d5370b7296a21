"""Enqueue arq jobs in one round trip, for hot paths (the webhook ingress).

arq's own ``enqueue_job`` watches the job's key, checks it and the result's key, then writes the job in a
MULTI block: three round trips through redis-py per job. ``JobQueue`` does the same for any number of jobs
in one Lua script over a ``RedisWire`` — atomic on Redis, so the watch is not needed — and writes exactly
what arq writes (the job serialised by arq itself under ``arq:job:<id>``, expiring a day after it was
queued, and the id in the queue scored by its enqueue time), so arq's workers cannot tell the difference.
Like arq, a job id that is queued, running or whose result is kept is not queued again.

    await jobs.enqueue(function, *args, job_id=...)   queued when it returns; False if the id is known
    jobs.enqueue_soon(function, *args, job_id=...)    queued right after, together with the others asked
                                                      for meanwhile (one script call per batch); a failure
                                                      is logged, so use it only for work that something
                                                      else finds again if Redis loses it (the sweeper)
    await jobs.close()                                sends what is still waiting, then closes
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

import structlog
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from redis.exceptions import RedisError

from connectors.redis_wire import RedisWire, Script

EXPIRES_MS: Final = 86_400_000
"""How long a queued job may wait before arq gives it up (arq's ``expires_extra_ms``)."""
MAX_BATCH: Final = 500
"""Jobs queued by one script call at most."""

# KEYS: the queue, then each job's key and its result's key. ARGV: the expiry (ms), then each job's serialised
# form, score and id. Returns how many were queued.
_ENQUEUE = """
local queued = 0
for i = 1, (#KEYS - 1) / 2 do
  local job_key, result_key, a = KEYS[2 * i], KEYS[2 * i + 1], 3 * i - 1
  if redis.call('EXISTS', job_key, result_key) == 0 then
    redis.call('PSETEX', job_key, ARGV[1], ARGV[a])
    redis.call('ZADD', KEYS[1], ARGV[a + 1], ARGV[a + 2])
    queued = queued + 1
  end
end
return queued
"""

log = structlog.get_logger("connectors.jobs")

Job = tuple[str, tuple[Any, ...], str]
"""(function, args, job id)"""


class JobQueue:
    def __init__(self, wire: RedisWire, queue_name: str) -> None:
        self.wire, self.queue_name = wire, queue_name
        self._script = Script(wire, _ENQUEUE)
        self._soon: list[Job] = []
        self._sending: asyncio.Task[None] | None = None

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        """Queue ``function(*args)`` as job ``job_id`` to run now; False when that id is already known.

        Raises redis-py's ``ConnectionError`` when Redis cannot be reached (the job may or may not be queued
        when the connection was lost while waiting for the answer)."""
        return await self._send([(function, args, job_id)]) == 1

    def enqueue_soon(self, function: str, *args: Any, job_id: str) -> None:
        """Queue ``function(*args)`` as ``job_id`` right after this, batched with the jobs asked for meanwhile."""
        self._soon.append((function, args, job_id))
        if self._sending is None:
            self._sending = asyncio.ensure_future(self._send_soon())

    async def close(self) -> None:
        if self._sending is not None:
            await asyncio.shield(self._sending)
        await self.wire.close()

    async def _send_soon(self) -> None:
        try:
            while self._soon:  # what arrives while a batch is on its way goes in the next one
                batch, self._soon = self._soon[:MAX_BATCH], self._soon[MAX_BATCH:]
                try:
                    await self._send(batch)
                except (RedisError, OSError, TimeoutError) as exc:
                    log.warning("jobs not queued; the sweeper will queue them", jobs=len(batch), error=str(exc))
        finally:
            self._sending = None

    async def _send(self, jobs: list[Job]) -> int:
        now_ms = int(time.time() * 1000)
        keys: list[str] = [self.queue_name]
        args: list[Any] = [EXPIRES_MS]
        for function, job_args, job_id in jobs:
            keys += (job_key_prefix + job_id, result_key_prefix + job_id)
            args += (serialize_job(function, job_args, {}, None, now_ms), now_ms, job_id)
        return int(await self._script(keys, args))
