"""Sync runs through the real parts: a ``sync_runs`` row queued as the core queues it, an arq worker discovering
the window's confirmed Zoho sales orders in the sandbox, records started and fulfilled, counts in PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from arq.worker import Worker
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import token_pb2, token_pb2_grpc
from tenants.db import make_app_engine, make_sessions, tenant_session
from tenants.models import Record, SyncRun, TenantSetting
from tests.core.conftest import CoreHandle
from tests.workers.conftest import Loop, store_event, wait_for_record
from workers.flows import fulfilment
from workers.flows.spec import FlowSpec
from workers.queue import QUEUE, START_RUN, run_job_id
from workers.runs import cannot_discover, start_run

FINISHED = ("succeeded", "dead", "skipped")


@pytest.fixture
async def sessions(loop: Loop) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_app_engine(loop.settings)
    yield make_sessions(engine)
    await engine.dispose()


async def queue_run(
    loop: Loop, sessions: async_sessionmaker[AsyncSession], start: datetime, end: datetime, flow: str = "fulfilment"
) -> uuid.UUID:
    """What the core's TriggerRun does: the row, queued, then the job."""
    run_id = uuid.uuid4()
    async with tenant_session(sessions, uuid.UUID(loop.tenant)) as session:
        session.add(
            SyncRun(
                id=run_id,
                tenant_id=uuid.UUID(loop.tenant),
                flow=flow,
                trigger="manual",
                window_start=start,
                window_end=end,
                state="queued",
            )
        )
    await loop.arq.enqueue_job(START_RUN, loop.tenant, str(run_id), _job_id=run_job_id(str(run_id)), _queue_name=QUEUE)
    return run_id


async def the_run(loop: Loop, sessions: async_sessionmaker[AsyncSession], run_id: uuid.UUID) -> SyncRun:
    async with tenant_session(sessions, uuid.UUID(loop.tenant)) as session:
        return (await session.execute(select(SyncRun).where(SyncRun.id == run_id))).scalar_one()


async def wait_for_run(
    loop: Loop, sessions: async_sessionmaker[AsyncSession], run_id: uuid.UUID, seconds: float = 20
) -> SyncRun:
    for _ in range(int(seconds / 0.1)):
        run = await the_run(loop, sessions, run_id)
        if run.state not in ("queued", "discovering"):
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} still {run.state}")


async def all_records(loop: Loop, sessions: async_sessionmaker[AsyncSession]) -> list[Record]:
    async with tenant_session(sessions, uuid.UUID(loop.tenant)) as session:
        return list((await session.execute(select(Record).order_by(Record.created_at))).scalars())


async def wait_until_finished(
    loop: Loop, sessions: async_sessionmaker[AsyncSession], run_id: uuid.UUID, seconds: float = 30
) -> list[Record]:
    for _ in range(int(seconds / 0.1)):
        ours = [r for r in await all_records(loop, sessions) if r.run_id == run_id]
        if all(r.state in FINISHED for r in ours):
            return ours
        await asyncio.sleep(0.1)
    raise AssertionError(f"records of run {run_id} unfinished: {[(r.state, r.step, r.last_error) for r in ours]}")


async def credential(core: CoreHandle, loop: Loop, connection: str) -> str:
    """The Authorization header this tenant's connection sends, which tells its requests in a sandbox's log from
    those of earlier tests' tenants (the sweeper may still be finishing their records)."""
    request = token_pb2.GetAccessTokenRequest(tenant_id=loop.tenant, connection_id=connection)
    return str((await core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(request)).header_value)


async def adhoc_creates(core: CoreHandle, loop: Loop) -> list[dict[str, Any]]:
    ours = await credential(core, loop, loop.shiprocket)
    sent = requests_to(loop.shiprocket_info, "/v1/external/orders/create/adhoc")
    return [r for r in sent if r["headers"].get("authorization") == ours]


def requests_to(info: dict[str, Any], path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{info['admin_url']}/requests", params={"path": path}).json()["requests"]
    return found


async def unshipped(loop: Loop) -> list[dict[str, Any]]:
    orders = await loop.zoho_api("GET", "/salesorders", params={"filter_by": "Status.Confirmed"})
    return [o for o in orders["salesorders"] if not o.get("cf_awb_number")]


def recent() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=1), now + timedelta(minutes=5)


async def test_a_run_starts_the_unshipped_confirmed_orders_and_a_second_start_counts_nothing_twice(
    core: CoreHandle, loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    orders = await unshipped(loop)
    assert len(orders) == 2  # the demo's two confirmed orders
    run_id = await queue_run(loop, sessions, *recent())
    run = await wait_for_run(loop, sessions, run_id)
    assert run.state == "running", run.error
    assert (run.received, run.expected, run.skipped) == (2, 2, 0)
    ours = await wait_until_finished(loop, sessions, run_id)
    assert {r.source_ref for r in ours} == {f"zoho_salesorder:{o['salesorder_id']}" for o in orders}
    assert all(r.state == "succeeded" for r in ours), [(r.state, r.last_error) for r in ours]
    for order in orders:
        written = (await loop.zoho_api("GET", f"/salesorders/{order['salesorder_id']}"))["salesorder"]
        assert {cf["api_name"]: cf["value"] for cf in written["custom_fields"]}.get("cf_awb_number")
    assert len(await adhoc_creates(core, loop)) == 2

    # The same job again (a redelivery): a run past discovery is left as it is.
    assert await start_run(worker.ctx, loop.tenant, str(run_id)) == "nothing to do (running)"
    # A redelivery of a job whose worker died mid-discovery: discovered again, recounted, nothing started twice.
    async with tenant_session(sessions, uuid.UUID(loop.tenant)) as session:
        await session.execute(update(SyncRun).where(SyncRun.id == run_id).values(state="discovering"))
    assert (await start_run(worker.ctx, loop.tenant, str(run_id))).startswith("running")
    run = await the_run(loop, sessions, run_id)
    assert (run.state, run.received, run.expected, run.skipped) == ("running", 2, 2, 0)
    assert len(await all_records(loop, sessions)) == 2
    assert len(await adhoc_creates(core, loop)) == 2


async def test_an_order_already_known_is_counted_as_skipped_and_left_alone(
    core: CoreHandle, loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shipped, stuck = await unshipped(loop)
    # One order fulfilled by its webhook; it carries an AWB now, so the run does not even look at it.
    await store_event(loop, {"salesorder": shipped})
    done = await wait_for_record(loop, f"zoho_salesorder:{shipped['salesorder_id']}", FINISHED)
    assert done.state == "succeeded", done.last_error
    # One known from its webhook but dead (no courier allowed then): known, so skipped, not run again.
    tenant = uuid.UUID(loop.tenant)
    async with tenant_session(sessions, tenant) as session:
        session.add(TenantSetting(tenant_id=tenant, key="courier_priority", value={"allowed": ["No Such Courier"]}))
    await store_event(loop, {"salesorder": stuck})
    dead = await wait_for_record(loop, f"zoho_salesorder:{stuck['salesorder_id']}", FINISHED)
    assert (dead.state, dead.reason) == ("dead", "serviceability_failed")
    async with tenant_session(sessions, tenant) as session:
        await session.execute(delete(TenantSetting).where(TenantSetting.key == "courier_priority"))
    # And one whose webhook never came: a draft confirmed now.
    drafts = await loop.zoho_api("GET", "/salesorders", params={"filter_by": "Status.Draft"})
    missed = drafts["salesorders"][0]
    await loop.zoho_api("POST", f"/salesorders/{missed['salesorder_id']}/status/confirmed")

    run_id = await queue_run(loop, sessions, *recent())
    run = await wait_for_run(loop, sessions, run_id)
    assert run.state == "running", run.error
    assert (run.received, run.expected, run.skipped) == (2, 1, 1)
    (started,) = await wait_until_finished(loop, sessions, run_id)
    assert started.source_ref == f"zoho_salesorder:{missed['salesorder_id']}" and started.state == "succeeded"
    by_source = {r.source_ref: r for r in await all_records(loop, sessions)}
    left = by_source[dead.source_ref]
    assert (left.state, left.attempts, left.run_id) == ("dead", dead.attempts, None)
    assert by_source[done.source_ref].run_id is None
    numbers = sorted(str(o["salesorder_number"]) for o in (shipped, missed))
    assert sorted(json.loads(r["body"])["order_id"] for r in await adhoc_creates(core, loop)) == numbers


async def test_a_window_with_nothing_in_it_expects_nothing(
    loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    run_id = await queue_run(loop, sessions, datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC))
    run = await wait_for_run(loop, sessions, run_id)
    assert (run.state, run.received, run.expected, run.skipped, run.error) == ("running", 0, 0, 0, None)
    assert await all_records(loop, sessions) == []


async def test_a_run_that_cannot_read_zoho_fails_in_plain_words(
    loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    demo = loop.zoho_info["demo"]
    revoked = httpx.post(f"{demo['accounts_url']}/oauth/v2/token/revoke", params={"token": demo["refresh_token"]})
    assert revoked.status_code == 200
    run_id = await queue_run(loop, sessions, *recent())
    run = await wait_for_run(loop, sessions, run_id)
    assert run.state == "failed" and run.finished_at is not None
    assert run.error and run.error.startswith("discovery failed: a connection needs to be authorised again"), run.error
    assert await all_records(loop, sessions) == []


async def test_a_run_of_an_unknown_flow_fails_in_plain_words(
    loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    run_id = await queue_run(loop, sessions, *recent(), flow="teleport")
    run = await wait_for_run(loop, sessions, run_id)
    assert (run.state, run.error) == ("failed", "there is no flow named 'teleport'")
    assert run.finished_at is not None


def test_a_flow_without_discover_cannot_run_over_a_window() -> None:
    start, end = recent()
    events_only = FlowSpec("events_only", fulfilment.run, route=fulfilment.route)
    assert cannot_discover("events_only", events_only, start, end) == (
        "the events_only flow starts from provider events only; it cannot look for records in a window"
    )
    assert cannot_discover("fulfilment", fulfilment.SPEC, end, start) is not None
    assert cannot_discover("fulfilment", fulfilment.SPEC, start, end) is None


def test_discovery_keeps_unshipped_orders_modified_inside_the_window() -> None:
    start, end = datetime(2026, 1, 7, 6, 0, tzinfo=UTC), datetime(2026, 1, 7, 7, 0, tzinfo=UTC)
    listed = [
        {"salesorder_id": "1", "last_modified_time": "2026-01-07T11:45:00+0530"},  # 06:15 UTC: in
        {"salesorder_id": "2", "last_modified_time": "2026-01-07T12:30:00+0530"},  # 07:00 UTC: the end is out
        {"salesorder_id": "3", "last_modified_time": "2026-01-07T11:45:00+0530", "cf_awb_number": "AWB1"},
        {"salesorder_id": "4", "last_modified_time": "2026-01-07T11:29:59+0530"},  # before the start
    ]
    assert fulfilment.awaiting_shipment(listed, start, end) == [("zoho_salesorder:1", {"salesorder_id": "1"})]
    assert fulfilment.zoho_time(datetime(2026, 1, 7, 11, 45, tzinfo=UTC)) == "2026-01-07T11:45:00+0000"


async def test_a_provider_failing_for_a_moment_delays_discovery_without_failing_the_run(
    loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    fault = {"kind": "status", "status": 503, "count": 1, "method": "GET", "path_prefix": "/inventory/v1/salesorders"}
    httpx.post(f"{loop.zoho_info['admin_url']}/faults", json=fault).raise_for_status()
    run_id = await queue_run(loop, sessions, *recent())
    run = await wait_for_run(loop, sessions, run_id)
    assert (run.state, run.received, run.expected, run.error) == ("running", 2, 2, None)
    lists = [r for r in requests_to(loop.zoho_info, "/inventory/v1/salesorders") if "filter_by" in r["query"]]
    assert [r["status"] for r in lists] == [503, 200]
    assert all(r.state == "succeeded" for r in await wait_until_finished(loop, sessions, run_id))
