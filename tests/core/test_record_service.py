"""RecordService over the real core: records by filter and by any reference (links), one with its verified
journal and links, replays (dead → pending, the run_record job in Redis), dry runs, reasons and the audit log."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from redis.asyncio import Redis
from sqlalchemy import select, text

from connector.v1 import record_pb2 as pb
from connector.v1 import record_pb2_grpc
from core import audit
from core.server import start
from tenants.db import tenant_session
from tenants.models import Record
from tests.conftest import Database
from tests.core.conftest import CoreHandle
from tests.workers.conftest import Loop, loop  # noqa: F401  (the fixture for the dry run)
from workers.engine import journal, links, records
from workers.engine.outcomes import Outcome, Reason, Verdict
from workers.main import WorkerSettings
from workers.queue import PREVIEW_RECORD, QUEUE

SYSTEM = pb.Actor(id="cli:test", role=pb.ACTOR_ROLE_SYSTEM)
MERCHANT = pb.Actor(id="owner@shop.test", role=pb.ACTOR_ROLE_MERCHANT)
SUPPORT = pb.Actor(id="agent@platform.test", role=pb.ACTOR_ROLE_SUPPORT)


# ------------------------------------------------------------------ helpers shared with the CLI's tests
async def make_record(
    db: Database,
    tenant: uuid.UUID,
    source: str,
    *,
    flow: str = "fulfilment",
    dead: Reason | None = None,
    state: str | None = None,
    refs: dict[str, str] | None = None,
    payload: dict[str, Any] | None = None,
) -> uuid.UUID:
    """A record as the engine makes it: received, then (optionally) moved on, dead-lettered or finished."""
    async with tenant_session(db.sessions, tenant) as session:
        record, _ = await records.receive(session, tenant, flow, source, payload or {})
        if refs:
            await records.begin(session, record)
            await records.advance(session, record, "shiprocket_order", refs)
        if dead is not None:
            await records.fail(session, record, Verdict(Outcome.DEAD_LETTER, dead, f"{dead} at the provider"))
        elif state == "succeeded":
            await records.succeed(session, record)
        elif state == "skipped":
            await records.skip(session, record, "done elsewhere")
        return record.id


async def record_row(db: Database, tenant: uuid.UUID, record_id: uuid.UUID | str) -> Record:
    async with tenant_session(db.sessions, tenant) as session:
        return (await session.execute(select(Record).where(Record.id == uuid.UUID(str(record_id))))).scalar_one()


async def audit_rows(db: Database, tenant: uuid.UUID) -> list[Any]:
    async with db.owner.connect() as conn:
        return list(
            (
                await conn.execute(
                    text(
                        "SELECT actor_id, actor_role, action, target, reason, details FROM audit_log "
                        "WHERE tenant_id = :t ORDER BY id"
                    ),
                    {"t": tenant},
                )
            ).all()
        )


def violations(err: grpc.aio.AioRpcError) -> set[str]:
    """The fields a rich INVALID_ARGUMENT names."""
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    status = rpc_status.from_call(err)
    assert status is not None
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in status.details)
    return {v.field for v in bad.field_violations}


@pytest.fixture(name="queue")
async def queue_fixture(core: CoreHandle) -> AsyncIterator[ArqRedis]:
    """The core's job queue; jobs a test leaves there are removed afterwards (no worker of a later test
    should run them)."""
    pool = await create_pool(RedisSettings.from_dsn(core.settings.redis_url))
    before = set(await pool.zrange(QUEUE, 0, -1))
    yield pool
    left = [j for j in await pool.zrange(QUEUE, 0, -1) if j not in before]
    if left:
        await pool.zrem(QUEUE, *left)
        await pool.delete(*(b"arq:job:" + j for j in left))
    await pool.aclose()


async def queued(queue: ArqRedis, job_id: str) -> bool:
    """The job is in the queue (or, should a worker share this Redis, it ran already)."""
    waiting = await queue.exists(f"arq:job:{job_id}") and await queue.zscore(QUEUE, job_id) is not None
    return bool(waiting or await queue.exists(f"arq:result:{job_id}"))


def stub(core: CoreHandle) -> Any:
    return core.stub(record_pb2_grpc.RecordServiceStub)


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


# ------------------------------------------------------------------ listing
async def test_records_are_listed_by_state_flow_reason_and_time_newest_first_in_pages(
    core: CoreHandle, db: Database
) -> None:
    tenant = await db.new_tenant()
    dead = [await make_record(db, tenant, f"zoho_salesorder:{i}", dead=Reason.UNMAPPED_SKU) for i in range(3)]
    other_reason = await make_record(db, tenant, "zoho_salesorder:9", dead=Reason.NEEDS_REAUTH)
    done = await make_record(db, tenant, "zoho_salesorder:10", state="succeeded")
    other_flow = await make_record(db, tenant, "awb:1", flow="tracking", dead=Reason.UNMAPPED_SKU)

    seen, token = [], ""
    while True:
        page = await stub(core).ListRecords(
            pb.ListRecordsRequest(
                tenant_id=str(tenant),
                filter=pb.RecordFilter(state=pb.RECORD_STATE_DEAD, flow="fulfilment", reason="unmapped_sku"),
                page_size=2,
                page_token=token,
                actor=MERCHANT,
            )
        )
        assert len(page.records) <= 2
        seen += [r.record_id for r in page.records]
        token = page.next_page_token
        if not token:
            break
    assert seen == [str(r) for r in reversed(dead)]  # newest first
    everything = await stub(core).ListRecords(pb.ListRecordsRequest(tenant_id=str(tenant), actor=MERCHANT))
    assert {r.record_id for r in everything.records} == {str(r) for r in [*dead, other_reason, done, other_flow]}
    shown = next(r for r in everything.records if r.record_id == str(other_reason))
    assert shown.state == pb.RECORD_STATE_DEAD and shown.reason == "needs_reauth" and shown.last_error
    assert shown.source_ref == "zoho_salesorder:9" and shown.flow == "fulfilment"

    later = datetime.now(UTC) + timedelta(minutes=1)
    none = await stub(core).ListRecords(
        pb.ListRecordsRequest(tenant_id=str(tenant), filter=pb.RecordFilter(created_after=ts(later)), actor=MERCHANT)
    )
    assert list(none.records) == []


async def test_any_reference_finds_the_records_of_one_order_through_the_links(core: CoreHandle, db: Database) -> None:
    tenant, other = await db.new_tenant(), await db.new_tenant()
    order = await make_record(db, tenant, "zoho_salesorder:4815001", refs={"shiprocket_order_id": "777001"})
    tracking = await make_record(db, tenant, "awb:AWB5550001", flow="tracking")
    unrelated = await make_record(db, tenant, "zoho_salesorder:4815002", refs={"shiprocket_order_id": "777002"})
    await make_record(db, other, "awb:AWB5550001", flow="tracking")  # the same AWB at another tenant
    async with tenant_session(db.sessions, tenant) as session:
        source = ("zoho_salesorder", "4815001")
        await links.link(session, tenant, source, ("zoho_salesorder_number", "SO-00042"), order)
        await links.link(session, tenant, source, ("shiprocket_order", "777001"), order)
        await links.link(session, tenant, ("shiprocket_order", "777001"), ("awb", "AWB5550001"), order)

    async def found(reference: str) -> set[str]:
        answer = await stub(core).ListRecords(
            pb.ListRecordsRequest(tenant_id=str(tenant), filter=pb.RecordFilter(reference=reference), actor=MERCHANT)
        )
        return {r.record_id for r in answer.records}

    both = {str(order), str(tracking)}
    assert await found("AWB5550001") == both  # the AWB is in no target ref: only the links know it
    assert await found("SO-00042") == both
    assert await found("777001") == both
    assert await found("4815001") == both
    assert await found("777002") == {str(unrelated)}  # a target ref, linked to nothing
    assert await found("AWB-NOWHERE") == set()


# ------------------------------------------------------------------ one record
async def test_a_record_comes_with_its_journal_verified_and_every_linked_identity(
    core: CoreHandle, db: Database
) -> None:
    tenant = await db.new_tenant()
    rid = await make_record(db, tenant, "zoho_salesorder:5001", refs={"awb": "AWB77"}, dead=Reason.PROVIDER_REJECTED)
    async with tenant_session(db.sessions, tenant) as session:
        await links.link(session, tenant, ("zoho_salesorder", "5001"), ("awb", "AWB77"), rid)
    got = await stub(core).GetRecord(pb.GetRecordRequest(tenant_id=str(tenant), record_id=str(rid), actor=MERCHANT))
    assert got.record.record_id == str(rid) and dict(got.record.target_refs) == {"awb": "AWB77"}
    assert [e.kind for e in got.events] == ["received", "decided", "decided", "dead_lettered"]
    assert [e.seq for e in got.events] == [1, 2, 3, 4]
    assert json.loads(got.events[-1].data)["reason"] == "provider_rejected" and len(got.events[0].hash) == 64
    assert got.chain_verified and got.chain_break_seq == 0
    assert {(i.kind, i.ref) for i in got.links} == {("zoho_salesorder", "5001"), ("awb", "AWB77")}

    async with db.owner.begin() as conn:  # someone edits history behind the application's back
        await conn.execute(
            text('UPDATE record_events SET data = \'{"step": "forged"}\' WHERE record_id = :r AND seq = 3'),
            {"r": rid},
        )
    got = await stub(core).GetRecord(pb.GetRecordRequest(tenant_id=str(tenant), record_id=str(rid), actor=MERCHANT))
    assert not got.chain_verified and got.chain_break_seq == 3


async def test_another_tenants_record_does_not_exist(core: CoreHandle, db: Database) -> None:
    tenant, other = await db.new_tenant(), await db.new_tenant()
    rid = await make_record(db, tenant, "zoho_salesorder:6001", dead=Reason.UNMAPPED_SKU)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub(core).GetRecord(pb.GetRecordRequest(tenant_id=str(other), record_id=str(rid), actor=MERCHANT))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await stub(core).ListRecords(pb.ListRecordsRequest(tenant_id=str(other), actor=MERCHANT))
    assert list(listed.records) == []


async def test_bad_input_names_the_field(core: CoreHandle, db: Database) -> None:
    tenant = str(await db.new_tenant())
    cases: list[tuple[str, Any, set[str]]] = [
        ("GetRecord", pb.GetRecordRequest(tenant_id="nope", record_id=str(uuid.uuid4()), actor=SYSTEM), {"tenant_id"}),
        ("GetRecord", pb.GetRecordRequest(tenant_id=tenant, record_id="x", actor=SYSTEM), {"record_id"}),
        ("GetRecord", pb.GetRecordRequest(tenant_id=tenant, record_id=str(uuid.uuid4())), {"actor.id", "actor.role"}),
        ("ListRecords", pb.ListRecordsRequest(tenant_id=tenant, actor=SYSTEM, page_token="bogus"), {"page_token"}),
        (
            "ListRecords",
            pb.ListRecordsRequest(tenant_id=tenant, actor=SYSTEM, filter=pb.RecordFilter(state=42)),  # type: ignore[arg-type]
            {"filter.state"},
        ),
        ("ReplayRecords", pb.ReplayRecordsRequest(tenant_id=tenant, actor=SYSTEM, reason="r"), {"record_ids"}),
        (
            "ReplayRecords",
            pb.ReplayRecordsRequest(tenant_id=tenant, actor=SYSTEM, reason="r", record_ids=[str(uuid.uuid4()), "x"]),
            {"record_ids[1]"},
        ),
        ("ReplayRecords", pb.ReplayRecordsRequest(tenant_id=tenant, actor=SYSTEM, record_ids=[tenant]), {"reason"}),
    ]
    for method, request, fields in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await getattr(stub(core), method)(request)
        assert violations(err.value) == fields, (method, request)


# ------------------------------------------------------------------ support staff
async def test_support_gives_a_reason_for_every_look_and_it_is_audited(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    rid = await make_record(db, tenant, "zoho_salesorder:7001", dead=Reason.UNMAPPED_SKU)
    refused = [
        pb.GetRecordRequest(tenant_id=str(tenant), record_id=str(rid), actor=SUPPORT),
        pb.ListRecordsRequest(tenant_id=str(tenant), actor=SUPPORT, filter=pb.RecordFilter(reference="7001")),
        pb.ReplayRecordsRequest(tenant_id=str(tenant), actor=SUPPORT, record_ids=[str(rid)], reason="  "),
    ]
    for request in refused:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await getattr(stub(core), type(request).__name__.removesuffix("Request"))(request)
        assert violations(err.value) == {"reason"}
    assert await audit_rows(db, tenant) == []
    assert (await record_row(db, tenant, rid)).state == "dead"

    # The merchant reads its own records freely; nothing is audited.
    await stub(core).GetRecord(pb.GetRecordRequest(tenant_id=str(tenant), record_id=str(rid), actor=MERCHANT))
    assert await audit_rows(db, tenant) == []

    why = "ticket 4711: merchant asks where SO 7001 is"
    await stub(core).GetRecord(
        pb.GetRecordRequest(tenant_id=str(tenant), record_id=str(rid), actor=SUPPORT, reason=why)
    )
    unmask_why = "ticket 4711: courier needs the consignee's phone"
    await stub(core).GetRecord(
        pb.GetRecordRequest(
            tenant_id=str(tenant), record_id=str(rid), actor=SUPPORT, reason=unmask_why, personal_data_shown=True
        )
    )
    found = await stub(core).ListRecords(
        pb.ListRecordsRequest(
            tenant_id=str(tenant), actor=SUPPORT, reason=why, filter=pb.RecordFilter(reference="7001")
        )
    )
    assert [r.record_id for r in found.records] == [str(rid)]
    await stub(core).ListRecords(pb.ListRecordsRequest(tenant_id=str(tenant), actor=SUPPORT))  # browsing: no reason
    nothing = await stub(core).ListRecords(  # another merchant's AWB: nothing read, nothing logged here
        pb.ListRecordsRequest(
            tenant_id=str(tenant), actor=SUPPORT, reason=why, filter=pb.RecordFilter(reference="SF0099999999")
        )
    )
    assert not nothing.records
    rows = await audit_rows(db, tenant)
    assert [(r.actor_id, r.actor_role, r.action, r.target, r.reason) for r in rows] == [
        (SUPPORT.id, "support", "record.view", str(rid), why),
        (SUPPORT.id, "support", "record.unmask", str(rid), unmask_why),
        (SUPPORT.id, "support", "record.list", "7001", why),
        (SUPPORT.id, "support", "record.list", "records", ""),
    ]
    async with tenant_session(db.sessions, tenant) as session:  # as the portal will read it
        newest = await audit.entries(session, target=str(rid))
    assert [(e.actor, e.action, e.reason) for _, e in newest] == [
        (audit.Actor(SUPPORT.id, audit.Role.SUPPORT), "record.unmask", unmask_why),
        (audit.Actor(SUPPORT.id, audit.Role.SUPPORT), "record.view", why),
    ]


# ------------------------------------------------------------------ replay
async def test_a_replay_moves_a_dead_record_to_pending_and_queues_its_run(
    core: CoreHandle, db: Database, queue: ArqRedis
) -> None:
    tenant, other = await db.new_tenant(), await db.new_tenant()
    dead = await make_record(
        db, tenant, "zoho_salesorder:8001", refs={"shiprocket_order_id": "1"}, dead=Reason.QUOTA_EXHAUSTED
    )
    done = await make_record(db, tenant, "zoho_salesorder:8002", state="succeeded")
    foreign = await make_record(db, other, "zoho_salesorder:8003", dead=Reason.UNMAPPED_SKU)
    missing = uuid.uuid4()
    why = "Shiprocket quota raised"
    answer = await stub(core).ReplayRecords(
        pb.ReplayRecordsRequest(
            tenant_id=str(tenant),
            record_ids=[str(dead), str(done), str(foreign), str(missing)],
            actor=SUPPORT,
            reason=why,
        )
    )
    results = {r.record_id: r for r in answer.results}
    assert results[str(dead)].accepted and results[str(dead)].job_id == f"record:{dead}:r1:1"
    assert not results[str(done)].accepted
    assert "is succeeded; only dead-lettered records are replayed" in results[str(done)].refusal
    assert not results[str(foreign)].accepted and "does not exist" in results[str(foreign)].refusal
    assert not results[str(missing)].accepted and "does not exist" in results[str(missing)].refusal

    row = await record_row(db, tenant, dead)
    assert (row.state, row.attempts, row.step) == ("pending", 0, "shiprocket_order")
    assert (await record_row(db, other, foreign)).state == "dead"  # another tenant's record is untouched
    async with tenant_session(db.sessions, tenant) as session:
        last = (await journal.events(session, dead))[-1]
        assert await journal.verify(session, dead) is None
    assert last.kind == "replayed" and last.data == {
        "by": f"support:{SUPPORT.id}",
        "reason": why,
        "from_step": "shiprocket_order",
    }
    job_id = results[str(dead)].job_id
    assert await queued(queue, job_id)
    assert [(r.action, r.target, r.reason) for r in await audit_rows(db, tenant)] == [
        ("record.replay", str(dead), why),
        ("record.replay", str(done), why),
        ("record.replay", str(foreign), why),
        ("record.replay", str(missing), why),
    ]

    # Dead again, replayed again: a job of its own, though attempts start from 0 again.
    async with tenant_session(db.sessions, tenant) as session:
        record = (await session.execute(select(Record).where(Record.id == dead))).scalar_one()
        await records.fail(session, record, Verdict(Outcome.DEAD_LETTER, Reason.QUOTA_EXHAUSTED, "again"))
    again = await stub(core).ReplayRecords(
        pb.ReplayRecordsRequest(tenant_id=str(tenant), record_ids=[str(dead)], actor=SYSTEM, reason="second try")
    )
    assert again.results[0].accepted and again.results[0].job_id == f"record:{dead}:r2:1"
    assert await queued(queue, again.results[0].job_id)


async def test_a_filter_replays_only_the_dead_records_it_matches(
    core: CoreHandle, db: Database, queue: ArqRedis
) -> None:
    tenant = await db.new_tenant()
    sku = [await make_record(db, tenant, f"zoho_salesorder:90{i}", dead=Reason.UNMAPPED_SKU) for i in range(3)]
    auth = await make_record(db, tenant, "zoho_salesorder:910", dead=Reason.NEEDS_REAUTH)
    answer = await stub(core).ReplayRecords(
        pb.ReplayRecordsRequest(
            tenant_id=str(tenant),
            filter=pb.ReplayFilter(flow="fulfilment", reason="unmapped_sku"),
            actor=MERCHANT,
            reason="SKUs mapped",
        )
    )
    assert [r.record_id for r in answer.results] == [str(r) for r in sku] and not answer.truncated
    assert all(r.accepted for r in answer.results)
    assert [(await record_row(db, tenant, r)).state for r in [*sku, auth]] == ["pending"] * 3 + ["dead"]


@pytest.fixture(name="own_core")
async def own_core_fixture(core: CoreHandle) -> AsyncIterator[CoreHandle]:
    """A second core with a job queue of its own (Redis database 13): no worker serves it but the test's own,
    whoever else runs workers on the session's Redis."""
    settings = dataclasses.replace(core.settings, redis_url=core.settings.redis_url.rsplit("/", 1)[0] + "/13")
    redis = Redis.from_url(settings.redis_url)
    await redis.delete(QUEUE)
    handle = await start(settings, "127.0.0.1:0")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}")
    yield CoreHandle(handle, channel, settings)
    await channel.close()
    await handle.stop(0)
    await redis.delete(QUEUE)
    await redis.aclose()


@pytest.fixture(name="own_worker")
async def own_worker_fixture(loop: Loop, own_core: CoreHandle) -> AsyncIterator[Worker]:  # noqa: F811
    """A real arq worker (WorkerSettings) on ``own_core``'s queue, in the test's event loop."""
    pool = await create_pool(RedisSettings.from_dsn(own_core.settings.redis_url))
    running = Worker(
        functions=WorkerSettings.functions,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        queue_name=QUEUE,
        redis_pool=pool,
        ctx={"settings": loop.settings},
        handle_signals=False,
        poll_delay=0.05,
    )
    task = asyncio.create_task(running.async_run())
    yield running
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await WorkerSettings.on_shutdown(running.ctx)
    await pool.aclose()


async def test_a_dry_run_without_a_worker_says_no_worker_answered_and_changes_nothing(
    own_core: CoreHandle, db: Database
) -> None:
    core = own_core
    tenant = await db.new_tenant()
    rid = await make_record(db, tenant, "zoho_salesorder:9901", dead=Reason.UNMAPPED_SKU)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub(core).ReplayRecords(
            pb.ReplayRecordsRequest(
                tenant_id=str(tenant), record_ids=[str(rid)], dry_run=True, actor=SYSTEM, reason="what would it do"
            ),
            timeout=2.0,  # the core answers within the caller's deadline
        )
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE and "no worker answered" in str(err.value.details())
    row = await record_row(db, tenant, rid)
    assert (row.state, row.attempts) == ("dead", 0)
    assert [r.action for r in await audit_rows(db, tenant)] == ["record.replay_preview"]

    # A record that is not dead is refused without asking any worker.
    done = await make_record(db, tenant, "zoho_salesorder:9902", state="succeeded")
    answer = await stub(core).ReplayRecords(
        pb.ReplayRecordsRequest(tenant_id=str(tenant), record_ids=[str(done)], dry_run=True, actor=SYSTEM, reason="r")
    )
    assert not answer.results[0].accepted and "only dead-lettered" in answer.results[0].refusal


HAS_PREVIEW = importlib.util.find_spec("workers.preview") is not None and PREVIEW_RECORD in {
    getattr(f, "__name__", getattr(f, "name", "")) for f in WorkerSettings.functions
}


@pytest.mark.skipif(not HAS_PREVIEW, reason="needs preview_record (workers/preview.py)")
async def test_a_dry_run_shows_what_a_worker_would_send_and_sends_nothing(
    own_core: CoreHandle,
    loop: Loop,  # noqa: F811
    own_worker: Worker,
    db: Database,
) -> None:
    orders = await loop.zoho_api("GET", "/salesorders", params={"filter_by": "Status.Confirmed"})
    order = next(o for o in orders["salesorders"] if not o.get("cf_awb_number"))
    tenant = uuid.UUID(loop.tenant)
    payload = {"salesorder_id": str(order["salesorder_id"]), "connection_id": loop.zoho}
    rid = await make_record(
        db, tenant, f"zoho_salesorder:{order['salesorder_id']}", payload=payload, dead=Reason.PROVIDER_REJECTED
    )
    answer = await stub(own_core).ReplayRecords(
        pb.ReplayRecordsRequest(tenant_id=loop.tenant, record_ids=[str(rid)], dry_run=True, actor=SYSTEM, reason="r"),
        timeout=40,
    )
    result = answer.results[0]
    assert result.accepted and not result.job_id
    assert result.preview.outcome == pb.PREVIEW_OUTCOME_WOULD_SEND, result.preview
    assert result.preview.flow == "fulfilment" and result.preview.step == "start"
    reads = [(r.provider, r.method, r.path) for r in result.preview.reads]
    assert ("zoho", "GET", f"/inventory/v1/salesorders/{order['salesorder_id']}") in reads
    sends = result.preview.would_send
    assert (sends.provider, sends.method, sends.path) == ("shiprocket", "POST", "/orders/create/adhoc")
    assert json.loads(sends.body)["order_id"] == order["salesorder_number"]
    await asyncio.sleep(0.2)
    row = await record_row(db, tenant, rid)
    assert (row.state, row.attempts) == ("dead", 0)  # nothing changed
    shiprocket = httpx.get(f"{loop.shiprocket_info['admin_url']}/requests", params={"method": "POST"}).json()
    assert [r["path"] for r in shiprocket["requests"] if "/auth/" not in r["path"]] == []  # no order, no AWB
    zoho = httpx.get(f"{loop.zoho_info['admin_url']}/requests", params={"method": "PUT"}).json()
    assert zoho["requests"] == []  # nothing written back
