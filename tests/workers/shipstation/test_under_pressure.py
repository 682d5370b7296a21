"""ShipStation → Zoho Books under pressure: ShipStation's 40 calls a minute met exactly (a compressed clock) with
no 429, and a worker killed with SIGKILL mid-backfill: the next worker resumes discovery from the run's cursor
and no order gets a second invoice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.worker import Worker
from sqlalchemy import select

from connector.v1 import record_pb2, sync_pb2, sync_pb2_grpc
from tenants.db import make_app_engine, make_sessions, tenant_session
from tenants.models import SyncRun
from tests.core.conftest import CoreHandle
from tests.workers.conftest import spawn_worker, store_inbox
from tests.workers.shipstation import fixtures as fx
from tests.workers.shipstation.test_month_of_orders import stamp

SPEED = 10  # a sandbox minute lasts 6 s


# ------------------------------------------------------------------------------------------------ 40 a minute
@pytest.fixture
async def limited(core: CoreHandle, sandboxes: Any) -> AsyncIterator[fx.Merchant]:
    limits = {"zoho": {"api": {"limit": 1_000_000}}}  # ShipStation keeps its real 40 a minute
    async for merchant in fx.merchant(core, sandboxes, limits=limits, time_scale=SPEED):
        yield merchant


@pytest.fixture
async def limited_worker(limited: fx.Merchant) -> AsyncIterator[Worker]:
    async for running in fx.worker(limited):
        yield running


async def store_pointer(m: fx.Merchant, body: dict[str, Any]) -> None:
    """What the ingress does with a verified ShipStation delivery."""
    await store_inbox(m.settings, m.arq, m.tenant, m.shipstation, "shipstation", body)


@pytest.mark.timeout(300)
async def test_at_shipstations_exact_40_a_minute_no_call_is_refused(
    limited: fx.Merchant, limited_worker: Worker
) -> None:
    m = limited
    await m.setting("shipstation_books", {"poll_seconds": 0})
    httpx.post(f"{m.ss_admin}/clock", json={"speed": SPEED}).raise_for_status()
    now = datetime.now(UTC)
    m.seed(100, now - timedelta(days=2), now, seed=5)
    numbers = [o["orderNumber"] for o in m.ss_orders()]
    since = max([0, *[r["id"] for r in httpx.get(f"{m.ss_admin}/requests").json()["requests"]]])
    t0 = time.monotonic()
    for number in numbers:  # one pointer per order, as ORDER_NOTIFY sends them: 100 calls for 40 a minute
        await store_pointer(
            m, {"resource_url": f"{m.ss_base}/orders?orderNumber={number}", "resource_type": "ORDER_NOTIFY"}
        )

    async def done() -> bool:
        rows = await m.records("shipstation_resource:")
        return len(rows) == len(numbers) and all(r.state in ("succeeded", "dead") for r in rows)

    while not await done():
        fx.workers_alive()
        assert time.monotonic() - t0 < 240, "the pointers did not finish"
        await asyncio.sleep(0.5)
    calls = httpx.get(f"{m.ss_admin}/requests", params={"since_id": since, "limit": 10000}).json()["requests"]
    statuses = [c["status"] for c in calls if c.get("account") == m.ss_account]
    assert statuses.count(429) == 0, statuses
    assert statuses.count(200) >= len(numbers)
    assert all(r.state == "succeeded" for r in await m.records("shipstation_resource:"))
    invoices = await m.books_all("/invoices", "invoices")
    assert len(invoices) == len({o["orderKey"] for o in m.ss_orders() if o["orderStatus"] != "cancelled"})
    # and the limit was used, not wasted: 100 calls at 40 a minute fill three windows (the log's clock is the
    # sandbox's, so these are sandbox seconds)
    span = (datetime.fromisoformat(calls[-1]["at"]) - datetime.fromisoformat(calls[0]["at"])).total_seconds()
    assert 120 <= span < 240, span


# ------------------------------------------------------------------------------------------- a worker killed
@pytest.fixture
def start_worker(m: fx.Merchant, tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        knobs = {
            "CONNECTORS_RECORD_LOCK_SECONDS": "3",
            "CONNECTORS_SWEEP_SECONDS": "1",
            "CONNECTORS_RETRY_SCALE": "0.1",
        }
        started.append(spawn_worker(m.settings, tmp_path, name, **knobs))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


async def run_row(m: fx.Merchant, run_id: str) -> SyncRun:
    engine = make_app_engine(m.settings)
    async with tenant_session(make_sessions(engine), uuid.UUID(m.tenant)) as session:
        row = (await session.execute(select(SyncRun).where(SyncRun.id == uuid.UUID(run_id)))).scalar_one()
    await engine.dispose()
    return row


@pytest.mark.timeout(300)
async def test_a_worker_killed_mid_backfill_resumes_from_the_cursor_without_a_second_invoice(
    m: fx.Merchant, start_worker: Any
) -> None:
    await m.setting("shipstation_books", {"poll_seconds": 0})
    now = datetime.now(UTC)
    # Two pages of orders (500 a page), so the kill can fall between them; few edits and labels to keep it short.
    m.seed(540, now - timedelta(days=20), now - timedelta(minutes=1), edits=0.05, shipped=0.1, seed=11)
    since = max([0, *[r["id"] for r in httpx.get(f"{m.ss_admin}/requests").json()["requests"]]])
    first = start_worker("first")
    stub = m.stub(sync_pb2_grpc.SyncServiceStub)
    run = (
        await stub.TriggerRun(
            sync_pb2.TriggerRunRequest(
                tenant_id=m.tenant,
                flow="shipstation-books",
                window_start=stamp(now - timedelta(days=21)),
                window_end=stamp(now),
                actor=record_pb2.Actor(role=record_pb2.ACTOR_ROLE_SYSTEM, id="tests"),
            )
        )
    ).run
    deadline = time.monotonic() + 60
    while True:  # the first page of orders is in: kill the worker in the middle of its discovery
        row = await run_row(m, run.run_id)
        if row.cursor and row.cursor.get("phase") == "orders" and row.cursor.get("since"):
            break
        assert time.monotonic() < deadline, f"no checkpoint: {row.state} {row.cursor} {row.error}"
        await asyncio.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed_at = await run_row(m, run.run_id)
    assert killed_at.state == "discovering" and killed_at.passes == 1, (killed_at.state, killed_at.passes)
    start_worker("second")
    finished = await fx.wait_run(m, run.run_id, 240)
    assert finished.state == sync_pb2.RUN_STATE_COMPLETED, finished
    row = await run_row(m, run.run_id)
    assert row.passes >= 2
    # the second pass asked ShipStation for orders from the cursor on, not from the window's start again
    listings = [
        r
        for r in httpx.get(
            f"{m.ss_admin}/requests", params={"since_id": since, "path": "/orders", "limit": 10000}
        ).json()["requests"]
        if r["path"] == "/orders" and "modifyDateStart" in r["query"]
    ]
    starts = [httpx.QueryParams(r["query"])["modifyDateStart"] for r in listings]
    assert len(set(starts)) >= 2 and starts[0] < starts[-1], starts
    # one invoice per order, every one of them
    invoices = await m.books_all("/invoices", "invoices")
    keys = [i["cf_channel_order_id"] for i in invoices]
    assert len(keys) == len(set(keys))
    assert set(keys) == {f"shipstation:{o['orderKey']}" for o in m.ss_orders() if o["orderStatus"] != "cancelled"}
