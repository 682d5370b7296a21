"""AuditService over the real core: a tenant's entries newest first in pages, filtered by action, role and
target; the looks a caller records itself; reasons; and never another tenant's entries."""

from __future__ import annotations

import json
import uuid
from typing import Any

import grpc
import pytest

from connector.v1 import audit_pb2 as pb
from connector.v1 import audit_pb2_grpc, record_pb2, record_pb2_grpc, settings_pb2, settings_pb2_grpc
from tests.conftest import Database
from tests.core.conftest import CoreHandle
from tests.core.test_record_service import MERCHANT, SUPPORT, SYSTEM, audit_rows, make_record, violations
from workers.engine.outcomes import Reason


def stub(core: CoreHandle) -> Any:
    return core.stub(audit_pb2_grpc.AuditServiceStub)


async def look(core: CoreHandle, tenant: uuid.UUID, action: str, target: str, **kw: Any) -> int:
    kw.setdefault("actor", SUPPORT)
    kw.setdefault("reason", "ticket 6001")
    answer = await stub(core).RecordAccess(
        pb.RecordAccessRequest(tenant_id=str(tenant), action=action, target=target, **kw)
    )
    entry_id: int = answer.entry_id
    return entry_id


async def listed(core: CoreHandle, tenant: uuid.UUID, page_size: int = 0, **kw: Any) -> list[pb.AuditEntry]:
    """Every entry the filter matches, page after page."""
    seen: list[pb.AuditEntry] = []
    token = ""
    while True:
        page = await stub(core).ListAuditEntries(
            pb.ListAuditEntriesRequest(tenant_id=str(tenant), page_size=page_size, page_token=token, **kw)
        )
        assert len(page.entries) <= (page_size or 50)
        seen += page.entries
        token = page.next_page_token
        if not token:
            return seen


async def test_entries_are_listed_newest_first_in_pages_as_they_were_written(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    connection = f"connection:{uuid.uuid4()}"
    ids = [
        await look(core, tenant, "tenant.view", f"tenant:{tenant}"),
        await look(core, tenant, "connection.view", connection, reason="merchant cannot connect Zoho"),
        await look(core, tenant, "audit.view", "audit", actor=MERCHANT, reason=""),
    ]
    settings = core.stub(settings_pb2_grpc.SettingsServiceStub)
    await settings.UpdateSetting(
        settings_pb2.UpdateSettingRequest(tenant_id=str(tenant), key="books", value="{}", actor=SYSTEM)
    )
    assert ids == sorted(ids) and len(set(ids)) == 3

    entries = await listed(core, tenant, page_size=2)
    assert [e.action for e in entries] == ["settings.update", "audit.view", "connection.view", "tenant.view"]
    assert [e.entry_id for e in entries[1:]] == ids[::-1]
    assert entries[0].entry_id > ids[-1]
    shown = entries[2]
    assert (shown.actor.id, shown.actor.role) == (SUPPORT.id, record_pb2.ACTOR_ROLE_SUPPORT)
    assert (shown.target, shown.reason, shown.details) == (connection, "merchant cannot connect Zoho", "")
    assert shown.HasField("create_time")
    assert entries[1].actor.role == record_pb2.ACTOR_ROLE_MERCHANT and entries[1].reason == ""
    assert entries[0].actor.role == record_pb2.ACTOR_ROLE_SYSTEM and entries[0].target == "settings:books"
    assert json.loads(entries[0].details) == {"key": "books", "deleted": False, "changed": []}
    times = [e.create_time.ToDatetime() for e in entries]
    assert times == sorted(times, reverse=True)

    one = await stub(core).ListAuditEntries(pb.ListAuditEntriesRequest(tenant_id=str(tenant), page_size=3))
    assert [e.entry_id for e in one.entries] == [e.entry_id for e in entries[:3]] and one.next_page_token
    rest = await stub(core).ListAuditEntries(
        pb.ListAuditEntriesRequest(tenant_id=str(tenant), page_size=3, page_token=one.next_page_token)
    )
    assert [e.entry_id for e in rest.entries] == [ids[0]] and not rest.next_page_token


async def test_entries_are_filtered_by_action_actor_role_and_target(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    rid = await make_record(db, tenant, "zoho_salesorder:7101", dead=Reason.UNMAPPED_SKU)
    records = core.stub(record_pb2_grpc.RecordServiceStub)
    await records.GetRecord(
        record_pb2.GetRecordRequest(tenant_id=str(tenant), record_id=str(rid), actor=SUPPORT, reason="ticket 7101")
    )
    await look(core, tenant, "connection.view", "connection:a")
    await look(core, tenant, "connection.view", "connection:b", actor=MERCHANT)
    await look(core, tenant, "run.view", "run:1")

    def actions(entries: list[pb.AuditEntry]) -> list[tuple[str, str]]:
        return [(e.action, e.target) for e in entries]

    assert actions(await listed(core, tenant, action="connection.view")) == [
        ("connection.view", "connection:b"),
        ("connection.view", "connection:a"),
    ]
    assert actions(await listed(core, tenant, actor_role=record_pb2.ACTOR_ROLE_MERCHANT)) == [
        ("connection.view", "connection:b")
    ]
    assert actions(await listed(core, tenant, action="connection.view", actor_role=record_pb2.ACTOR_ROLE_SUPPORT)) == [
        ("connection.view", "connection:a")
    ]
    assert actions(await listed(core, tenant, target=str(rid))) == [("record.view", str(rid))]
    assert await listed(core, tenant, action="record.replay") == []


async def test_a_tenants_calls_never_see_another_tenants_entries(core: CoreHandle, db: Database) -> None:
    tenant, other = await db.new_tenant(), await db.new_tenant()
    mine = [await look(core, tenant, "tenant.view", f"tenant:{tenant}") for _ in range(3)]
    theirs = await look(core, other, "tenant.view", f"tenant:{other}")

    assert [e.entry_id for e in await listed(core, tenant, page_size=1)] == mine[::-1]
    assert [e.entry_id for e in await listed(core, other)] == [theirs]
    assert await listed(core, other, target=f"tenant:{tenant}") == []
    # A page token is only a position: another tenant's token shows the other tenant nothing of the first's.
    page = await stub(core).ListAuditEntries(pb.ListAuditEntriesRequest(tenant_id=str(tenant), page_size=1))
    after = await stub(core).ListAuditEntries(
        pb.ListAuditEntriesRequest(tenant_id=str(other), page_token=page.next_page_token)
    )
    assert {e.entry_id for e in after.entries} <= {theirs}
    assert len(await audit_rows(db, tenant)) == 3 and len(await audit_rows(db, other)) == 1

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await look(core, uuid.uuid4(), "tenant.view", "tenant:gone")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_support_gives_a_reason_and_callers_record_only_looks(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"action": "connection.view", "target": "connection:a", "reason": ""}, {"reason"}),
        ({"action": "connection.view", "target": "connection:a", "reason": "   "}, {"reason"}),
        ({"action": "record.replay", "target": "x"}, {"action"}),  # changes are recorded by the call that makes them
        ({"action": "settings.update", "target": "settings:books"}, {"action"}),
        ({"action": "connection.peek", "target": "x"}, {"action"}),
        ({"action": "", "target": "x"}, {"action"}),
        ({"action": "tenant.view", "target": "  "}, {"target"}),
        ({"action": "tenant.view", "target": "t" * 201}, {"target"}),
        ({"action": "tenant.view", "target": "x", "actor": record_pb2.Actor(id="a")}, {"actor.role"}),
    ]
    for fields, named in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await look(core, tenant, **fields)
        assert violations(err.value) == named, fields
    assert await audit_rows(db, tenant) == []

    refused: list[tuple[pb.ListAuditEntriesRequest, set[str]]] = [
        (pb.ListAuditEntriesRequest(tenant_id="nope"), {"tenant_id"}),
        (pb.ListAuditEntriesRequest(tenant_id=str(tenant), action="record.peek"), {"action"}),
        (pb.ListAuditEntriesRequest(tenant_id=str(tenant), actor_role=42), {"actor_role"}),  # type: ignore[arg-type]
        (pb.ListAuditEntriesRequest(tenant_id=str(tenant), page_token="bogus"), {"page_token"}),
    ]
    for request, named in refused:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub(core).ListAuditEntries(request)
        assert violations(err.value) == named, request
