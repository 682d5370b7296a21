"""A worker killed with SIGKILL in the middle of the fulfilment step, and Redis flushed mid-run: the records
in PostgreSQL still say where every order is, the sweeper of the next worker re-enqueues what Redis lost, and
every order completes exactly once (one Shiprocket order, one AWB)."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis

from tests.workers.conftest import Loop, spawn_worker, store_event, wait_for_record
from tests.workers.test_fulfilment_faults import CREATE, fault, seed_confirmed, shiprocket_orders

ROOT = Path(__file__).resolve().parents[2]
QUEUE_DB = 14  # the queue of this test's own, so flushing it touches nothing else


@pytest.fixture
async def crash_loop(loop: Loop) -> AsyncIterator[Loop]:
    redis_url = loop.settings.redis_url.rsplit("/", 1)[0] + f"/{QUEUE_DB}"
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    yield dataclasses.replace(loop, settings=dataclasses.replace(loop.settings, redis_url=redis_url), arq=pool)
    await pool.aclose()


@pytest.fixture
def start_worker(crash_loop: Loop, tmp_path: Path) -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []
    knobs = {
        "CONNECTORS_RECORD_LOCK_SECONDS": "3",
        "CONNECTORS_INBOX_STALE_SECONDS": "2",
        "CONNECTORS_SWEEP_SECONDS": "1",
        "CONNECTORS_RETRY_SCALE": "0.1",
        "CONNECTORS_HTTP_TIMEOUT_SECONDS": "10",
    }

    def start(name: str) -> subprocess.Popen[bytes]:
        started.append(spawn_worker(crash_loop.settings, tmp_path, name, **knobs))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


async def test_sigkill_mid_fulfilment_and_a_flushed_redis_lose_nothing_and_duplicate_nothing(
    crash_loop: Loop, start_worker: object
) -> None:
    loop, start = crash_loop, start_worker
    assert callable(start)
    orders = seed_confirmed(loop, 5)
    # Shiprocket is slow to create orders, so the worker is surely inside the create when it dies.
    fault(loop.shiprocket_info, kind="latency", latency_ms=1500, method="POST", path_prefix=CREATE)
    first = start("first")
    for order in orders:
        await store_event(loop, {"salesorder": {**order, "status": "confirmed"}})
    requests = f"{loop.shiprocket_info['admin_url']}/requests"
    deadline = time.monotonic() + 30
    while not httpx.get(requests, params={"path": CREATE}, timeout=5).json()["requests"]:
        assert time.monotonic() < deadline, "the worker never reached the Shiprocket create"
        await asyncio.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    redis = Redis.from_url(loop.settings.redis_url)
    await redis.flushdb()  # every queued job, result and lock gone
    await redis.aclose()
    httpx.delete(f"{loop.shiprocket_info['admin_url']}/faults", timeout=5).raise_for_status()

    start("second")
    done = await asyncio.gather(
        *(
            wait_for_record(loop, f"zoho_salesorder:{o['salesorder_id']}", ("succeeded", "dead"), seconds=90)
            for o in orders
        )
    )
    assert [r.state for r in done] == ["succeeded"] * len(orders), [(r.state, r.last_error) for r in done]
    numbers = [o["salesorder_number"] for o in orders]
    created = shiprocket_orders(loop)
    assert {n: created[n] for n in numbers} == dict.fromkeys(numbers, 1)
    assert len({r.target_refs["awb"] for r in done}) == len(orders)
