"""SettingsService over the real core: every key of the catalogue, values checked by the workers' own parsers
(the bad field named), deleted back to the defaults, secrets never read back, reasons and the audit log."""

from __future__ import annotations

import json
import uuid
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import select

from connector.v1 import settings_pb2 as pb
from connector.v1 import settings_pb2_grpc
from core.settings_catalog import CATALOG, REDACTED
from tenants.db import tenant_session
from tenants.models import TenantSetting
from tests.conftest import Database
from tests.core.conftest import CoreHandle
from tests.core.test_record_service import MERCHANT, SUPPORT, SYSTEM, audit_rows, violations
from workers.flows.settings import FlowSettings, parse

KEYS = ["fulfilment", "courier_priority", "warehouse_map", "status_map", "books", "shipstation_books", "alert_channel"]
WEBHOOK = {"kind": "webhook", "url": "https://hooks.shop.test/alerts", "secret": "s3cret-" + "x" * 20}


def stub(core: CoreHandle) -> Any:
    return core.stub(settings_pb2_grpc.SettingsServiceStub)


def refusal(err: grpc.aio.AioRpcError) -> dict[str, str]:
    """Each field a rich INVALID_ARGUMENT names, with its description."""
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    status = rpc_status.from_call(err)
    assert status is not None
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in status.details)
    return {v.field: v.description for v in bad.field_violations}


async def stored(db: Database, tenant: uuid.UUID) -> dict[str, Any]:
    """The tenant's settings as the workers read them."""
    async with tenant_session(db.sessions, tenant) as session:
        return {row.key: row.value for row in (await session.execute(select(TenantSetting))).scalars()}


async def update(core: CoreHandle, tenant: uuid.UUID, key: str, value: Any, **kw: Any) -> pb.Setting:
    text = value if isinstance(value, str) else json.dumps(value)
    kw.setdefault("actor", MERCHANT)
    answer = await stub(core).UpdateSetting(pb.UpdateSettingRequest(tenant_id=str(tenant), key=key, value=text, **kw))
    setting: pb.Setting = answer.setting
    return setting


async def get(core: CoreHandle, tenant: uuid.UUID, **kw: Any) -> dict[str, pb.Setting]:
    kw.setdefault("actor", MERCHANT)
    answer = await stub(core).GetSettings(pb.GetSettingsRequest(tenant_id=str(tenant), **kw))
    return {s.key: s for s in answer.settings}


def test_the_catalogue_holds_every_key_the_workers_read() -> None:
    assert list(CATALOG) == KEYS
    assert all(entry.description and "\n" not in entry.description for entry in CATALOG.values())


async def test_every_key_is_listed_and_a_valid_value_is_stored_for_the_workers_and_audited(
    core: CoreHandle, db: Database
) -> None:
    tenant = await db.new_tenant()
    answer = await stub(core).GetSettings(pb.GetSettingsRequest(tenant_id=str(tenant), actor=MERCHANT))
    assert [s.key for s in answer.settings] == KEYS
    assert all(s.value == "" and not s.HasField("update_time") and s.description for s in answer.settings)

    priority = {"rank_by": ["etd", "cost"], "allowed": ["Delhivery", "Blue Dart"], "max_etd_days": 4}
    setting = await update(core, tenant, "courier_priority", priority)
    assert setting.key == "courier_priority" and json.loads(setting.value) == priority
    assert setting.HasField("update_time") and setting.description == CATALOG["courier_priority"].description
    first = setting.update_time.ToDatetime()
    assert (await stored(db, tenant)) == {"courier_priority": priority}
    couriers = parse(await stored(db, tenant)).couriers  # what a worker reads
    assert couriers.rank_by == ("etd", "cost") and couriers.allowed == {"delhivery", "blue dart"}

    priority = {**priority, "rank_by": ["rating"]}
    again = await update(core, tenant, "courier_priority", priority)
    assert json.loads(again.value) == priority and again.update_time.ToDatetime() >= first
    listed = await get(core, tenant)
    assert json.loads(listed["courier_priority"].value) == priority
    assert listed["courier_priority"].update_time == again.update_time
    assert [(r.actor_id, r.action, r.target, r.reason, r.details) for r in await audit_rows(db, tenant)] == [
        (
            MERCHANT.id,
            "settings.update",
            "settings:courier_priority",
            "",
            {"key": "courier_priority", "deleted": False, "changed": ["allowed", "max_etd_days", "rank_by"]},
        ),
        (
            MERCHANT.id,
            "settings.update",
            "settings:courier_priority",
            "",
            {"key": "courier_priority", "deleted": False, "changed": ["rank_by"]},
        ),
    ]


async def test_a_bad_value_is_refused_in_the_parsers_words_naming_the_field(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    email = {"kind": "email", "to": ["ops@shop.test", "not an address"], "sender": "a@shop.test", "host": "smtp.test"}
    cases: list[tuple[str, str, str, str]] = [
        ("courier_priority", '{"rank_by": ["cost", "speed"]}', "value.rank_by", "courier_priority.rank_by: ['speed']"),
        (
            "fulfilment",
            '{"pickup": {"pickup_location": "Main", "pincode": "12"}}',
            "value.pickup.pincode",
            "fulfilment.pickup.pincode: '12' is not a 6-digit Indian pin code",
        ),
        ("warehouse_map", '{"W1": {"pickup_location": "Main"}}', "value.W1", "warehouse_map.W1: needs pickup_location"),
        ("books", '{"bank": "Main"}', "value.bank", "books.bank: unknown"),
        ("shipstation_books", '{"poll_seconds": -1}', "value.poll_seconds", "shipstation_books.poll_seconds:"),
        ("alert_channel", json.dumps(email), "value.to[1]", "alert_channel.to[1]: 'not an address' is not an email"),
        ("alert_channel", '{"kind": "pigeon"}', "value.kind", "alert_channel.kind: must be 'email' or 'webhook'"),
        ("status_map", '{"DELIVERED": "Delivered",', "value", "status_map: not JSON"),
        ("status_map", '["DELIVERED"]', "value", "status_map: must be a JSON object, not list"),
        ("fulfilment", '{"package": {"weight_kg_per_unit": NaN}}', "value", "fulfilment: not JSON: NaN"),
        ("fulfilment", '{"cod_terms": 5}', "value", "fulfilment: the workers cannot read this value"),
    ]
    for key, text, field, words in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await update(core, tenant, key, text)
        named = refusal(err.value)
        assert list(named) == [field], (key, text, named)
        assert named[field].startswith(words), (key, text, named)

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await update(core, tenant, "courier", {})
    named = refusal(err.value)
    assert list(named) == ["key"] and all(k in named["key"] for k in KEYS)

    assert await stored(db, tenant) == {}
    assert await audit_rows(db, tenant) == []


async def test_an_empty_value_deletes_the_key_and_the_defaults_apply_again(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    warehouses = {"LOC-2": {"pickup_location": "Bengaluru", "pincode": "560002"}}
    await update(core, tenant, "warehouse_map", warehouses)
    assert parse(await stored(db, tenant)).pickup_for("LOC-2").location == "Bengaluru"

    deleted = await update(core, tenant, "warehouse_map", "")
    assert deleted.key == "warehouse_map" and deleted.value == "" and not deleted.HasField("update_time")
    assert await stored(db, tenant) == {}
    assert parse(await stored(db, tenant)).pickup_for("LOC-2") == FlowSettings.default_pickup
    assert (await get(core, tenant))["warehouse_map"].value == ""
    assert [(r.action, r.details) for r in await audit_rows(db, tenant)][-1] == (
        "settings.update",
        {"key": "warehouse_map", "deleted": True, "changed": ["LOC-2"]},
    )


async def test_alert_channel_secrets_are_never_read_back_and_a_redacted_one_is_kept(
    core: CoreHandle, db: Database
) -> None:
    tenant = await db.new_tenant()
    setting = await update(core, tenant, "alert_channel", WEBHOOK)
    assert json.loads(setting.value) == {**WEBHOOK, "secret": REDACTED}
    assert json.loads((await get(core, tenant))["alert_channel"].value)["secret"] == REDACTED
    assert (await stored(db, tenant))["alert_channel"] == WEBHOOK

    moved = {**WEBHOOK, "url": "https://hooks.shop.test/v2", "secret": REDACTED}  # the page sends back what it read
    await update(core, tenant, "alert_channel", moved)
    assert (await stored(db, tenant))["alert_channel"] == {**WEBHOOK, "url": "https://hooks.shop.test/v2"}
    assert all(WEBHOOK["secret"] not in json.dumps(r.details) for r in await audit_rows(db, tenant))

    fresh = await db.new_tenant()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await update(core, fresh, "alert_channel", {**WEBHOOK, "secret": REDACTED})
    assert violations(err.value) == {"value.secret"}
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await update(core, fresh, "alert_channel", {**WEBHOOK, "secret": "short"})
    named = refusal(err.value)
    assert list(named) == ["value.secret"] and "short" not in named["value.secret"]


async def test_support_gives_a_reason_to_read_or_change_settings_and_both_are_audited(
    core: CoreHandle, db: Database
) -> None:
    tenant = await db.new_tenant()
    for call in (get(core, tenant, actor=SUPPORT), update(core, tenant, "books", {}, actor=SUPPORT, reason=" ")):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert violations(err.value) == {"reason"}
    assert await stored(db, tenant) == {}
    assert await audit_rows(db, tenant) == []

    await get(core, tenant)  # the merchant reads its own settings freely
    assert await audit_rows(db, tenant) == []

    why = "ticket 5120: COD remittances post to the wrong account"
    await get(core, tenant, actor=SUPPORT, reason=why)
    await update(core, tenant, "books", {"clearing_account": "COD Clearing"}, actor=SUPPORT, reason=why)
    assert [(r.actor_id, r.actor_role, r.action, r.target, r.reason) for r in await audit_rows(db, tenant)] == [
        (SUPPORT.id, "support", "settings.view", "settings", why),
        (SUPPORT.id, "support", "settings.update", "settings:books", why),
    ]
    assert parse(await stored(db, tenant)).books.clearing == "COD Clearing"


async def test_a_tenants_settings_are_its_own(core: CoreHandle, db: Database) -> None:
    tenant, other = await db.new_tenant(), await db.new_tenant()
    await update(core, tenant, "status_map", {"DELIVERED": "Handed over"})
    assert json.loads((await get(core, tenant))["status_map"].value) == {"DELIVERED": "Handed over"}
    assert (await get(core, other))["status_map"].value == ""
    assert await stored(db, other) == {}
    await update(core, other, "status_map", "")  # deleting its own key leaves the other tenant's alone
    assert await stored(db, tenant) == {"status_map": {"DELIVERED": "Handed over"}}

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await update(core, uuid.uuid4(), "status_map", {"DELIVERED": "x"})
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_bad_input_names_the_field(core: CoreHandle, db: Database) -> None:
    tenant = str(await db.new_tenant())
    cases: list[tuple[str, Any, set[str]]] = [
        ("GetSettings", pb.GetSettingsRequest(tenant_id="nope", actor=SYSTEM), {"tenant_id"}),
        ("GetSettings", pb.GetSettingsRequest(tenant_id=tenant), {"actor.id", "actor.role"}),
        ("UpdateSetting", pb.UpdateSettingRequest(tenant_id=tenant, key="books"), {"actor.id", "actor.role"}),
        ("UpdateSetting", pb.UpdateSettingRequest(tenant_id=tenant, value="{}", actor=SYSTEM), {"key"}),
    ]
    for method, request, fields in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await getattr(stub(core), method)(request)
        assert violations(err.value) == fields, (method, request)
