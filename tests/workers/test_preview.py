"""Dry runs through the real parts: a record's next attempt previewed by an arq worker — reads really made
against the sandboxes, the first write captured and not sent — with PostgreSQL and the providers unchanged."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from arq.worker import Worker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import token_pb2, token_pb2_grpc
from tenants.db import make_app_engine, make_sessions, tenant_session
from tenants.models import TenantSetting
from tests.core.conftest import CoreHandle
from tests.workers.conftest import Loop, store_event, wait_for_record
from workers.calls import DryRun, Planned, Unsent, WouldSend
from workers.queue import PREVIEW_RECORD, QUEUE, preview_job_id

FINISHED = ("succeeded", "dead", "skipped")
TABLES = ("records", "record_events", "effects", "links", "alerts", "sync_runs", "inbox")
INVENTORY = "/inventory/v1"


@pytest.fixture
async def sessions(loop: Loop) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_app_engine(loop.settings)
    yield make_sessions(engine)
    await engine.dispose()


async def setting(loop: Loop, sessions: async_sessionmaker[AsyncSession], key: str, value: Any) -> None:
    tenant = uuid.UUID(loop.tenant)
    async with tenant_session(sessions, tenant) as session:
        session.add(TenantSetting(tenant_id=tenant, key=key, value=value))


async def alerts_settled(loop: Loop, sessions: async_sessionmaker[AsyncSession], alerts: int) -> None:
    """The dead record's alerts raised and their delivery over (it follows the record's own transaction)."""
    query = text("SELECT count(*) FILTER (WHERE state NOT IN ('pending', 'retrying')) FROM alerts")
    for _ in range(100):
        async with tenant_session(sessions, uuid.UUID(loop.tenant)) as session:
            if (await session.execute(query)).scalar_one() >= alerts:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{alerts} alerts not settled")


async def snapshot(loop: Loop, sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[str]]:
    """Every row the tenant has in the engine's tables, as text."""
    async with tenant_session(sessions, uuid.UUID(loop.tenant)) as session:
        return {
            table: list((await session.execute(text(f"SELECT t::text FROM {table} t ORDER BY 1"))).scalars())
            for table in TABLES
        }


async def credential(core: CoreHandle, loop: Loop, connection: str) -> str:
    """The Authorization header this tenant's connection sends, which tells its requests in a sandbox's log from
    those of earlier tests' tenants (the sweeper may still be finishing their records)."""
    request = token_pb2.GetAccessTokenRequest(tenant_id=loop.tenant, connection_id=connection)
    return str((await core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(request)).header_value)


def requests(info: dict[str, Any], by: str, since: int = 0) -> list[dict[str, Any]]:
    """What the sandbox received from the connection whose Authorization header is ``by``, after ``since``."""
    found = httpx.get(f"{info['admin_url']}/requests", params={"since_id": since}).json()["requests"]
    return [r for r in found if r["headers"].get("authorization") == by]


def last_request(info: dict[str, Any]) -> int:
    found = httpx.get(f"{info['admin_url']}/requests", params={"limit": 1}).json()["requests"]
    return int(found[-1]["id"]) if found else 0


async def preview(loop: Loop, record_id: uuid.UUID) -> dict[str, Any]:
    job = await loop.arq.enqueue_job(
        PREVIEW_RECORD,
        loop.tenant,
        str(record_id),
        _job_id=preview_job_id(str(record_id), uuid.uuid4().hex),
        _queue_name=QUEUE,
    )
    assert job is not None
    result: dict[str, Any] = await job.result(timeout=20)
    return result


async def confirmed(loop: Loop) -> list[dict[str, Any]]:
    orders = await loop.zoho_api("GET", "/salesorders", params={"filter_by": "Status.Confirmed"})
    return [o for o in orders["salesorders"] if not o.get("cf_awb_number")]


async def test_a_dead_order_previewed_shows_the_exact_adhoc_order_it_would_send_and_changes_nothing(
    core: CoreHandle, loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # A pickup nickname Shiprocket does not know: the order is refused (422) and the record stops at the create.
    await setting(loop, sessions, "fulfilment", {"pickup": {"pickup_location": "Nowhere", "pincode": "560001"}})
    order = (await confirmed(loop))[0]
    await store_event(loop, {"salesorder": order})
    record = await wait_for_record(loop, f"zoho_salesorder:{order['salesorder_id']}", FINISHED)
    assert (record.state, record.step, record.reason) == ("dead", "courier_chosen", "provider_rejected")
    zoho, shiprocket = await credential(core, loop, loop.zoho), await credential(core, loop, loop.shiprocket)
    (refused,) = [r for r in requests(loop.shiprocket_info, shiprocket) if r["path"].endswith("/create/adhoc")]
    assert refused["status"] == 422

    await alerts_settled(loop, sessions, 1)  # dead_letter
    before = await snapshot(loop, sessions)
    zoho_since, shiprocket_since = last_request(loop.zoho_info), last_request(loop.shiprocket_info)
    result = await preview(loop, record.id)

    assert result["outcome"] == "would_send", result
    assert (result["record_id"], result["flow"], result["step"]) == (str(record.id), "fulfilment", "courier_chosen")
    assert result["would_send"] == {
        "provider": "shiprocket",
        "method": "POST",
        "path": "/orders/create/adhoc",
        "params": {},
        "body": json.loads(refused["body"]),  # the very order the real attempt sent
    }
    assert result["reads"][0] == {
        "provider": "zoho",
        "method": "GET",
        "path": f"{INVENTORY}/salesorders/{order['salesorder_id']}",
    }
    assert "would send POST /orders/create/adhoc to shiprocket" in result["message"]
    # Nothing written anywhere: PostgreSQL as it was, no Shiprocket call at all, Zoho got the listed reads only.
    assert await snapshot(loop, sessions) == before
    assert requests(loop.shiprocket_info, shiprocket, shiprocket_since) == []
    received = [(r["method"], r["path"]) for r in requests(loop.zoho_info, zoho, zoho_since)]
    assert received == [("GET", read["path"]) for read in result["reads"]]


async def test_an_order_no_courier_may_take_previews_as_a_serviceability_failure(
    core: CoreHandle, loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await setting(loop, sessions, "courier_priority", {"allowed": ["No Such Courier"]})
    order = (await confirmed(loop))[0]
    await store_event(loop, {"salesorder": order})
    record = await wait_for_record(loop, f"zoho_salesorder:{order['salesorder_id']}", FINISHED)
    assert (record.state, record.step, record.reason) == ("dead", "fetched", "serviceability_failed")

    await alerts_settled(loop, sessions, 2)  # serviceability_failed, dead_letter
    before = await snapshot(loop, sessions)
    zoho_since, shiprocket_since = last_request(loop.zoho_info), last_request(loop.shiprocket_info)
    result = await preview(loop, record.id)

    assert (result["outcome"], result["reason"]) == ("would_fail", "serviceability_failed"), result
    assert result["message"].startswith("serviceability_failed: no allowed courier serves 560001")
    assert "raise the alert serviceability_failed: No courier can take" in result["message"]
    assert [(r["provider"], r["path"]) for r in result["reads"]] == [
        ("zoho", f"{INVENTORY}/salesorders/{order['salesorder_id']}"),
        ("zoho", f"{INVENTORY}/contacts/{order['customer_id']}"),
        ("shiprocket", "/courier/serviceability/"),
    ]
    # On its way to the refusal it would mark the order (not sent), and raise an alert (not raised).
    sends = result["would_send"]
    assert (sends["method"], sends["path"]) == ("PUT", f"{INVENTORY}/salesorders/{order['salesorder_id']}")
    assert sends["body"] == {"custom_fields": [{"api_name": "cf_shipment_status", "value": "Serviceability Failed"}]}
    assert await snapshot(loop, sessions) == before
    zoho, shiprocket = await credential(core, loop, loop.zoho), await credential(core, loop, loop.shiprocket)
    assert [r["method"] for r in requests(loop.zoho_info, zoho, zoho_since)] == ["GET", "GET"]
    assert [r["method"] for r in requests(loop.shiprocket_info, shiprocket, shiprocket_since)] == ["GET"]


async def test_a_fulfilled_order_previews_as_finishing_without_sending_anything(
    loop: Loop, worker: Worker, sessions: async_sessionmaker[AsyncSession]
) -> None:
    order = (await confirmed(loop))[0]
    await store_event(loop, {"salesorder": order})
    record = await wait_for_record(loop, f"zoho_salesorder:{order['salesorder_id']}", FINISHED)
    assert record.state == "succeeded", record.last_error
    before = await snapshot(loop, sessions)
    result = await preview(loop, record.id)
    assert (result["outcome"], result["step"], result["would_send"]) == ("would_finish", "written_back", None)
    assert len(result["reads"]) == 1
    assert await snapshot(loop, sessions) == before


def test_a_dry_run_makes_reads_and_holds_back_writes() -> None:
    dry = DryRun()
    read = Planned("zoho", "GET", "/inventory/v1/salesorders/1")
    assert dry.intercept(read, idempotent=True) is None
    create = Planned("shiprocket", "POST", "/orders/create/adhoc", None, {"sub_total": 1})
    unsent = dry.intercept(create, idempotent=False)
    assert isinstance(unsent, Unsent)
    with pytest.raises(WouldSend) as stopped:
        unsent.json()
    assert stopped.value.call == create
    # A GET that creates something (idempotent=False) is a write too.
    assert dry.intercept(Planned("x", "GET", "/make"), idempotent=False) is not None
    assert (dry.reads, [w.path for w in dry.writes]) == ([read], ["/orders/create/adhoc", "/make"])
