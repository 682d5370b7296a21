"""Enqueue an arq job in one round trip, for hot paths (the webhook ingress).

arq's own ``enqueue_job`` watches the job's key, checks it and the result's key, then writes the job in a
MULTI block: three round trips through redis-py. ``JobQueue.enqueue`` does the same in one Lua script over
a ``RedisWire`` — atomic on Redis, so the watch is not needed — and writes exactly what arq writes (the job
serialised by arq itself under ``arq:job:<id>``, expiring a day after it was queued, and the id in the queue
scored by its enqueue time), so arq's workers cannot tell the difference. Like arq, a job id that is queued,
running or whose result is kept is not queued again.
"""

from __future__ import annotations

import time
from typing import Any, Final

from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job

from connectors.redis_wire import RedisWire, Script

EXPIRES_MS: Final = 86_400_000
"""How long a queued job may wait before arq gives it up (arq's ``expires_extra_ms``)."""

# KEYS: the job's key, its result's key, the queue. ARGV: expiry (ms), the serialised job, score, job id.
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('PSETEX', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""


class JobQueue:
    def __init__(self, wire: RedisWire, queue_name: str) -> None:
        self.wire, self.queue_name = wire, queue_name
        self._enqueue = Script(wire, _ENQUEUE)

    async def close(self) -> None:
        await self.wire.close()

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        """Queue ``function(*args)`` as job ``job_id`` to run now; False when that id is already known.

        Raises redis-py's ``ConnectionError`` when Redis cannot be reached (the job may or may not be queued
        when the connection was lost while waiting for the answer)."""
        now_ms = int(time.time() * 1000)
        job = serialize_job(function, args, {}, None, now_ms)
        keys = [job_key_prefix + job_id, result_key_prefix + job_id, self.queue_name]
        return bool(await self._enqueue(keys, [EXPIRES_MS, job, now_ms, job_id]))
