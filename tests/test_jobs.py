"""``connectors.jobs``: jobs enqueued in one round trip are what arq itself would have queued — a real arq
worker on the real Redis runs them — and an id already queued, or whose result is kept, is not queued again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker, func

from connectors.jobs import JobQueue
from connectors.redis_wire import RedisWire
from connectors.settings import Settings
from tests.conftest import free_port


@pytest.fixture
async def arq_redis() -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(Settings.from_env().redis_url))
    yield pool
    await pool.aclose()


async def test_an_arq_worker_runs_the_jobs_once_each(arq_redis: ArqRedis) -> None:
    queue_name = f"test-jobs-{uuid.uuid4().hex}"
    jobs = JobQueue(RedisWire(arq_redis), queue_name)
    ran: list[tuple[Any, ...]] = []

    async def ingest(ctx: dict[str, Any], tenant: str, event: str) -> str:
        ran.append((tenant, event, ctx["job_id"]))
        return f"{tenant}/{event}"

    try:
        assert await jobs.enqueue("ingest", "t1", "e1", job_id="ingest:e1") is True
        assert await jobs.enqueue("ingest", "t1", "e1", job_id="ingest:e1") is False  # queued already
        assert await jobs.enqueue("ingest", "t2", "e2", job_id="ingest:e2") is True
        assert await arq_redis.pttl("arq:job:ingest:e1") > 86_000_000  # a day, as arq keeps a queued job

        worker = Worker(
            functions=[func(ingest, name="ingest")],
            queue_name=queue_name,
            redis_pool=arq_redis,
            burst=True,
            handle_signals=False,
            poll_delay=0.05,
        )
        await worker.main()  # burst: runs what is queued, then returns (the pool is the fixture's to close)
        assert sorted(ran) == [("t1", "e1", "ingest:e1"), ("t2", "e2", "ingest:e2")]
        # Its result is kept: the same id is still known, as arq's own enqueue_job would say.
        assert await jobs.enqueue("ingest", "t1", "e1", job_id="ingest:e1") is False
        assert await arq_redis.zcard(queue_name) == 0
    finally:
        await arq_redis.delete(queue_name, *(f"arq:{kind}:ingest:e{n}" for kind in ("job", "result") for n in (1, 2)))
        await jobs.close()


async def test_jobs_asked_for_soon_are_queued_together_and_close_sends_what_waits(arq_redis: ArqRedis) -> None:
    queue_name = f"test-jobs-{uuid.uuid4().hex}"
    jobs = JobQueue(RedisWire(arq_redis), queue_name)
    ids = [f"soon:{uuid.uuid4().hex}" for _ in range(1200)]  # more than one batch
    try:
        for n, job_id in enumerate(ids):
            jobs.enqueue_soon("ingest", "t", str(n), job_id=job_id)
        jobs.enqueue_soon("ingest", "t", "again", job_id=ids[0])  # known by the time its batch goes
        await jobs.close()  # waits for everything asked for
        assert await arq_redis.zcard(queue_name) == len(ids)
        assert await jobs_args(arq_redis, ids[0]) == ("t", "0")
    finally:
        await arq_redis.delete(queue_name, *(f"arq:job:{job_id}" for job_id in ids))


async def test_jobs_asked_for_soon_while_redis_is_unreachable_are_logged_not_raised() -> None:
    unreachable = ArqRedis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    jobs = JobQueue(RedisWire(unreachable), "nowhere")
    with structlog.testing.capture_logs() as logs:
        jobs.enqueue_soon("ingest", "t", "e", job_id="lost:1")
        await jobs.close()
    assert [(e["event"], e["jobs"]) for e in logs] == [("jobs not queued; the sweeper will queue them", 1)]
    await unreachable.aclose()


async def jobs_args(redis: ArqRedis, job_id: str) -> tuple[Any, ...]:
    from arq.jobs import deserialize_job

    return deserialize_job(await redis.get(f"arq:job:{job_id}")).args
