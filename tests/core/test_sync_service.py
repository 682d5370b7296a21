"""SyncService over the real core: a run of a flow over a window is stored and its start_run job queued;
counts, progress and completion come from the run's records in PostgreSQL; tenants see only their runs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
from arq.connections import ArqRedis
from arq.worker import Worker
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select, text, update

from connector.v1 import sync_pb2 as pb
from connector.v1 import sync_pb2_grpc
from core.runs import counts, settled
from tenants.db import tenant_session
from tenants.models import Record, SyncRun
from tests.conftest import Database
from tests.core.conftest import CoreHandle
from tests.core.test_record_service import (  # noqa: F401  (the fixtures queue, loop, own_core, own_worker)
    MERCHANT,
    SUPPORT,
    SYSTEM,
    audit_rows,
    loop,
    make_record,
    own_core_fixture,
    own_worker_fixture,
    queue_fixture,
    queued,
    violations,
)
from tests.workers.conftest import Loop
from workers.engine import records
from workers.engine.outcomes import Outcome, Reason, Verdict
from workers.flows import catalog
from workers.flows.spec import FlowSpec
from workers.queue import run_job_id

FLOW = "test_backfill"
NOW = datetime.now(UTC).replace(microsecond=0)


async def _never(*args: Any) -> Any:
    raise AssertionError("the core never runs a flow")


@pytest.fixture(autouse=True)
def flows() -> Iterator[None]:
    """A flow that can run over a window, and one that cannot (no discover), beside the real ones."""
    added = {FLOW: FlowSpec(FLOW, _never, discover=_never), "webhook_only": FlowSpec("webhook_only", _never)}
    catalog.FLOWS.update(added)
    yield
    for name in added:
        catalog.FLOWS.pop(name, None)


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def stub(core: CoreHandle) -> Any:
    return core.stub(sync_pb2_grpc.SyncServiceStub)


async def trigger(core: CoreHandle, tenant: uuid.UUID, days: int = 7, actor: Any = SYSTEM) -> pb.SyncRun:
    request = pb.TriggerRunRequest(
        tenant_id=str(tenant),
        flow=FLOW,
        window_start=ts(NOW - timedelta(days=days)),
        window_end=ts(NOW),
        actor=actor,
    )
    return (await stub(core).TriggerRun(request)).run  # type: ignore[no-any-return]


async def worker_says(db: Database, tenant: uuid.UUID, run_id: str, **values: Any) -> None:
    """What the worker's start_run writes on the run row."""
    async with tenant_session(db.sessions, tenant) as session:
        await session.execute(update(SyncRun).where(SyncRun.id == uuid.UUID(run_id)).values(**values))


async def get(core: CoreHandle, tenant: uuid.UUID, run_id: str) -> pb.SyncRun:
    return (await stub(core).GetRun(pb.GetRunRequest(tenant_id=str(tenant), run_id=run_id))).run  # type: ignore[no-any-return]


# ------------------------------------------------------------------ pure
def test_a_running_run_settles_only_when_every_expected_record_finished() -> None:
    assert settled("running", counts(3, 0, None, {})) is None  # discovery has not said how many
    assert settled("running", counts(3, 0, 3, {"succeeded": 2})) is None  # one record not made yet
    assert settled("running", counts(3, 0, 3, {"succeeded": 2, "pending": 1})) is None
    assert settled("running", counts(3, 0, 3, {"succeeded": 2, "skipped": 1})) == "completed"
    assert settled("running", counts(3, 0, 3, {"succeeded": 2, "dead": 1})) == "completed_with_failures"
    assert settled("running", counts(4, 4, 0, {})) == "completed"
    assert settled("queued", counts(0, 0, 0, {})) is None
    c = counts(5, 1, 4, {"succeeded": 1, "running": 1, "dead": 1})
    assert (c.received, c.succeeded, c.failed, c.skipped, c.pending, c.progress) == (5, 1, 1, 1, 1, 0.5)
    assert counts(0, 0, 0, {}).progress == 1.0 and counts(0, 0, None, {}).progress == 0.0


# ------------------------------------------------------------------ over gRPC
async def test_a_triggered_run_is_stored_queued_and_audited(core: CoreHandle, db: Database, queue: ArqRedis) -> None:
    tenant = await db.new_tenant()
    run = await trigger(core, tenant, days=90)
    assert run.state == pb.RUN_STATE_QUEUED and run.flow == FLOW and run.trigger == "api"
    assert run.window_end.ToDatetime(tzinfo=UTC) == NOW and run.progress == 0 and run.tenant_id == str(tenant)
    async with db.owner.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT state, trigger, window_start FROM sync_runs WHERE id = :r"), {"r": run.run_id}
            )
        ).one()
    assert (row.state, row.trigger, row.window_start) == ("queued", "api", NOW - timedelta(days=90))
    assert await queued(queue, run_job_id(run.run_id))
    assert [(r.action, r.target, r.actor_id) for r in await audit_rows(db, tenant)] == [
        ("run.trigger", run.run_id, SYSTEM.id)
    ]
    by_hand = await trigger(core, tenant, actor=MERCHANT)
    assert by_hand.trigger == "manual"


async def test_bad_input_names_the_field(core: CoreHandle, db: Database) -> None:
    tenant = str(await db.new_tenant())
    start, end = ts(NOW - timedelta(days=1)), ts(NOW)
    cases: list[tuple[dict[str, Any], set[str], str]] = [
        ({"flow": "no_such_flow"}, {"flow"}, "is not a flow"),
        ({"flow": "webhook_only"}, {"flow"}, "no discover"),
        ({"window_start": end, "window_end": start}, {"window_end"}, "must be after window_start"),
        ({"window_start": end, "window_end": end}, {"window_end"}, "must be after window_start"),
        ({"window_start": ts(NOW - timedelta(days=91))}, {"window_end"}, "at most 90 days"),
        ({"window_start": None}, {"window_start"}, "is required"),
        ({"tenant_id": "acme"}, {"tenant_id"}, "must be a UUID"),
        ({"actor": None}, {"actor.id", "actor.role"}, "is required"),
    ]
    for change, fields, words in cases:
        fields_of: dict[str, Any] = {
            "tenant_id": tenant,
            "flow": FLOW,
            "window_start": start,
            "window_end": end,
            "actor": SUPPORT,
            **change,
        }
        request = pb.TriggerRunRequest(**{k: v for k, v in fields_of.items() if v is not None})
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub(core).TriggerRun(request)
        assert violations(err.value) == fields, change
        assert words in str(err.value.details()), (change, err.value.details())
    async with db.owner.connect() as conn:
        stored = (
            await conn.execute(text("SELECT count(*) FROM sync_runs WHERE tenant_id = :t"), {"t": tenant})
        ).scalar()
    assert stored == 0
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub(core).ListRuns(pb.ListRunsRequest(tenant_id=tenant, page_token="nope"))
    assert violations(err.value) == {"page_token"}


async def test_counts_and_progress_come_from_the_records_and_a_finished_run_completes(
    core: CoreHandle, db: Database, queue: ArqRedis
) -> None:
    tenant = await db.new_tenant()
    run = await trigger(core, tenant)
    await worker_says(db, tenant, run.run_id, state="discovering")
    assert (await get(core, tenant, run.run_id)).state == pb.RUN_STATE_DISCOVERING

    ids = [
        await make_record(db, tenant, f"zoho_salesorder:{run.run_id[:8]}{i}", flow=FLOW, payload={"n": i})
        for i in range(3)
    ]
    async with tenant_session(db.sessions, tenant) as session:
        await session.execute(update(Record).where(Record.id.in_(ids)).values(run_id=uuid.UUID(run.run_id)))
    await worker_says(db, tenant, run.run_id, state="running", received=5, skipped=2, expected=3)
    got = await get(core, tenant, run.run_id)
    assert got.state == pb.RUN_STATE_RUNNING
    assert (got.received, got.succeeded, got.failed, got.skipped, got.pending, got.expected) == (5, 0, 0, 2, 3, 3)
    assert got.progress == 0

    async with tenant_session(db.sessions, tenant) as session:
        rows = {r.id: r for r in (await session.execute(select(Record).where(Record.id.in_(ids)))).scalars()}
        await records.succeed(session, rows[ids[0]])
        await records.fail(session, rows[ids[1]], Verdict(Outcome.DEAD_LETTER, Reason.UNMAPPED_SKU, "SKU-9 unmapped"))
    got = await get(core, tenant, run.run_id)
    assert (got.state, got.succeeded, got.failed, got.pending) == (pb.RUN_STATE_RUNNING, 1, 1, 1)
    assert abs(got.progress - 2 / 3) < 1e-9 and not got.HasField("finish_time")

    async with tenant_session(db.sessions, tenant) as session:
        record = (await session.execute(select(Record).where(Record.id == ids[2]))).scalar_one()
        await records.skip(session, record, "already shipped")
    got = await get(core, tenant, run.run_id)
    assert got.state == pb.RUN_STATE_COMPLETED_WITH_FAILURES and got.progress == 1.0
    assert (got.succeeded, got.failed, got.skipped, got.pending) == (1, 1, 3, 0)
    assert got.HasField("finish_time") and got.duration.ToTimedelta() >= timedelta(0)
    async with db.owner.connect() as conn:
        row = (
            await conn.execute(text("SELECT state, finished_at FROM sync_runs WHERE id = :r"), {"r": run.run_id})
        ).one()
    assert row.state == "completed_with_failures" and row.finished_at == got.finish_time.ToDatetime(tzinfo=UTC)

    # Nothing new in the window: done as soon as it is read, progress 1.
    empty = await trigger(core, tenant)
    await worker_says(db, tenant, empty.run_id, state="running", received=4, skipped=4, expected=0)
    got = await get(core, tenant, empty.run_id)
    assert (got.state, got.progress, got.received, got.skipped) == (pb.RUN_STATE_COMPLETED, 1.0, 4, 4)


async def test_runs_are_listed_newest_first_in_pages_by_flow_and_state_and_only_the_tenants_own(
    core: CoreHandle, db: Database, queue: ArqRedis
) -> None:
    tenant, other = await db.new_tenant(), await db.new_tenant()
    mine = [(await trigger(core, tenant)).run_id for _ in range(3)]
    theirs = (await trigger(core, other)).run_id
    await worker_says(db, tenant, mine[0], state="running", expected=0)  # settles to completed on the next read

    seen, token = [], ""
    while True:
        page = await stub(core).ListRuns(pb.ListRunsRequest(tenant_id=str(tenant), page_size=2, page_token=token))
        assert len(page.runs) <= 2
        seen += [r.run_id for r in page.runs]
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(mine))
    done = await stub(core).ListRuns(pb.ListRunsRequest(tenant_id=str(tenant), state=pb.RUN_STATE_COMPLETED))
    assert [r.run_id for r in done.runs] == [mine[0]]
    queued_runs = await stub(core).ListRuns(
        pb.ListRunsRequest(tenant_id=str(tenant), flow=FLOW, state=pb.RUN_STATE_QUEUED)
    )
    assert [r.run_id for r in queued_runs.runs] == list(reversed(mine[1:]))
    assert list((await stub(core).ListRuns(pb.ListRunsRequest(tenant_id=str(tenant), flow="other"))).runs) == []

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await get(core, tenant, theirs)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await get(core, other, mine[1])
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await stub(core).ListRuns(pb.ListRunsRequest(tenant_id=str(other)))
    assert [r.run_id for r in listed.runs] == [theirs]


async def test_a_run_for_a_tenant_that_does_not_exist_is_not_found(core: CoreHandle) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await trigger(core, uuid.uuid4())
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


# ------------------------------------------------------------------ end to end
@pytest.mark.skipif(catalog.FLOWS["fulfilment"].discover is None, reason="needs fulfilment's discover")
async def test_a_run_over_the_real_flow_finds_the_unshipped_orders_ships_them_and_completes(
    own_core: CoreHandle,
    loop: Loop,  # noqa: F811
    own_worker: Worker,
) -> None:
    request = pb.TriggerRunRequest(
        tenant_id=loop.tenant,
        flow="fulfilment",
        window_start=ts(datetime.now(UTC) - timedelta(days=30)),
        window_end=ts(datetime.now(UTC) + timedelta(minutes=5)),
        actor=MERCHANT,
    )
    run = (await stub(own_core).TriggerRun(request)).run
    for _ in range(400):
        got = await get(own_core, uuid.UUID(loop.tenant), run.run_id)
        if got.state in (pb.RUN_STATE_COMPLETED, pb.RUN_STATE_COMPLETED_WITH_FAILURES, pb.RUN_STATE_FAILED):
            break
        await asyncio.sleep(0.1)
    assert got.state == pb.RUN_STATE_COMPLETED, got
    assert got.expected > 0 and got.succeeded == got.expected and got.progress == 1.0
    assert got.received == got.expected + got.skipped and got.pending == 0 and got.failed == 0
    admin = loop.shiprocket_info["admin_url"]
    creates = httpx.get(f"{admin}/requests", params={"path": "/v1/external/orders/create/adhoc"}).json()["requests"]
    assert len(creates) == got.succeeded
