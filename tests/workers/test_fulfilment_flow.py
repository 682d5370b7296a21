"""The fulfilment loop through the real parts: a stored Zoho event, arq workers on Redis, the core's tokens and
budgets over gRPC, and the Zoho and Shiprocket sandboxes over HTTP; records and links in PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from arq.worker import Worker
from sqlalchemy import text

from tenants.db import make_app_engine, make_sessions, tenant_session
from tests.conftest import CoreHandle
from tests.core.test_connections import connect, new_tenant
from tests.workers.conftest import Loop, store_event, wait_for_record
from tests.workers.test_remittance_flow import services_of
from workers.engine import links
from workers.flows.context import open_api
from workers.flows.settings import FlowSettings


async def test_a_confirmed_order_gets_a_courier_and_an_awb_written_back(loop: Loop, worker: Worker) -> None:
    orders = await loop.zoho_api("GET", "/salesorders", params={"filter_by": "Status.Confirmed"})
    order = next(o for o in orders["salesorders"] if not o.get("cf_awb_number"))
    await store_event(loop, {"salesorder": order})
    record = await wait_for_record(loop, f"zoho_salesorder:{order['salesorder_id']}", ("succeeded", "dead"))
    assert record.state == "succeeded", record.last_error
    refs = record.target_refs
    updated = (await loop.zoho_api("GET", f"/salesorders/{order['salesorder_id']}"))["salesorder"]
    fields = {cf["api_name"]: cf["value"] for cf in updated["custom_fields"]}
    assert fields["cf_awb_number"] == refs["awb"] and fields["cf_shiprocket_order_id"] == refs["shiprocket_order_id"]
    assert fields["cf_courier_partner"] and fields["cf_shipment_status"] == "AWB Assigned"
    # Shiprocket has exactly one order for it, under the sales order number.
    admin = loop.shiprocket_info["admin_url"]
    creates = httpx.get(f"{admin}/requests", params={"path": "/v1/external/orders/create/adhoc"}).json()["requests"]
    assert len(creates) == 1
    engine = make_app_engine(loop.settings)
    async with tenant_session(make_sessions(engine), uuid.UUID(loop.tenant)) as session:
        identities = await links.connected(session, ("awb", refs["awb"]))
        events = (
            (
                await session.execute(
                    text("SELECT kind FROM record_events WHERE record_id = :r ORDER BY seq"), {"r": record.id}
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    assert identities["zoho_salesorder"] == {order["salesorder_id"]}
    assert identities["zoho_salesorder_number"] == {order["salesorder_number"]}
    assert identities["shiprocket_order"] == {refs["shiprocket_order_id"]}
    assert events[0] == "received" and events[-1] == "decided"

    # The same event again: the record is the same, and nothing more is created.
    await store_event(loop, {"salesorder": order})
    await asyncio.sleep(1)
    creates = httpx.get(f"{admin}/requests", params={"path": "/v1/external/orders/create/adhoc"}).json()["requests"]
    assert len(creates) == 1


async def test_an_unserviceable_pin_code_is_marked_on_the_order_alerted_and_dead_lettered(
    loop: Loop, worker: Worker
) -> None:
    orders = await loop.zoho_api("GET", "/salesorders", params={"filter_by": "Status.Confirmed"})
    order = next(o for o in orders["salesorders"] if not o.get("cf_awb_number"))
    contact = (await loop.zoho_api("GET", f"/contacts/{order['customer_id']}"))["contact"]
    address = {**(contact.get("shipping_address") or {}), "zip": "744301", "city": "Port Blair"}  # Andaman
    await loop.zoho_api("PUT", f"/contacts/{order['customer_id']}", json={"shipping_address": address})
    await store_event(loop, {"salesorder": order})
    record = await wait_for_record(loop, f"zoho_salesorder:{order['salesorder_id']}", ("succeeded", "dead"))
    assert (record.state, record.reason) == ("dead", "serviceability_failed"), record.last_error
    assert "744301" in (record.last_error or "")
    updated = (await loop.zoho_api("GET", f"/salesorders/{order['salesorder_id']}"))["salesorder"]
    fields = {cf["api_name"]: cf["value"] for cf in updated["custom_fields"]}
    assert fields["cf_shipment_status"] == "Serviceability Failed" and not fields.get("cf_shiprocket_order_id")
    engine = make_app_engine(loop.settings)
    async with tenant_session(make_sessions(engine), uuid.UUID(loop.tenant)) as session:
        kinds = (
            await session.execute(text("SELECT kind FROM alerts WHERE record_id = :r"), {"r": record.id})
        ).scalars()
        assert "serviceability_failed" in set(kinds)
    await engine.dispose()


async def test_a_connection_made_after_the_worker_listed_the_tenants_is_used_at_once(
    loop: Loop, worker: Worker, core: CoreHandle, sandboxes: Any
) -> None:
    """A merchant who connects a provider and confirms an order the next second: the worker's kept list of the
    tenant's connections (younger than its 10 s) predates the connection, and is asked again, not trusted."""
    services = await services_of(worker)
    tenant = await new_tenant(core)
    assert await services.connections_of(uuid.UUID(tenant)) == []  # listed (and kept) before any connection
    await connect(core, tenant, "shiprocket", sandboxes.get("shiprocket"))
    api = await open_api(services, uuid.UUID(tenant), FlowSettings(), "shiprocket")
    assert api.provider == "shiprocket"
