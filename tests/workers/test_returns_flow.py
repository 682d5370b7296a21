"""Customer returns through the real parts: a prepaid order fulfilled and delivered (its invoice paid), the merchant
asking for a return in Zoho (the sandbox's sales-order ``updated`` webhook, caught and stored as the ingress
stores it), the reverse pickup in the Shiprocket sandbox, the return parcel tracked back, and the stock restocked
once QC passes — checked in the sandboxes' records and request logs, and in PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from arq.worker import Worker

from tenants.db import make_app_engine, make_sessions, tenant_session
from tests.workers.conftest import Loop, store_event, wait_for_record
from tests.workers.test_tracking_flow import DONE, Shop, alerts_of
from tests.workers.test_tracking_flow import shop as shop  # the fixture
from workers.engine import links

SKUS = ("MUG-CER-350", "BOT-STL-1L")


async def set_return_status(shop: Shop, so_id: str, words: str) -> dict[str, Any]:
    """The merchant sets cf_return_status in Zoho; the webhook Zoho sends for it."""
    body = {"custom_fields": [{"api_name": "cf_return_status", "value": words}]}
    await shop.zoho("PUT", f"/salesorders/{so_id}", json=body)
    for _ in range(100):
        for sent in shop.receiver.bodies:
            order = sent.get("salesorder") or {}
            fields = {cf["api_name"]: cf.get("value") for cf in order.get("custom_fields") or []}
            if order.get("salesorder_id") == so_id and fields.get("cf_return_status") == words:
                shop.receiver.bodies.remove(sent)
                return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"Zoho sent no webhook for {so_id} becoming {words!r}")


async def hook_zoho(shop: Shop) -> None:
    """The merchant's Zoho sends sales-order updates to the receiver (Zoho sends on update when configured)."""
    hook = {"account": "demo", "url": shop.receiver.url, "entity": "salesorder", "events": ["updated"]}
    answer = await shop.http.post(f"{shop.zoho_admin}/zoho/webhooks", json=hook)
    assert answer.status_code == 201, answer.text


async def test_a_customer_return_is_picked_up_tracked_back_and_restocked_once_qc_passes(
    loop: Loop, worker: Worker, shop: Shop
) -> None:
    order = await shop.order(cod=False, customer="Priya Nair")
    so_id, total = order["salesorder_id"], Decimal(str(order["total"]))
    before = {sku: await shop.stock(sku) for sku in SKUS}
    awb = await shop.fulfil(order)
    *_, delivered = await shop.advance(awb, path="delivered")
    assert (await shop.push(delivered)).state == "succeeded"
    [invoice] = await shop.invoices(awb)  # prepaid and delivered: paid in full
    assert invoice["status"] == "paid" and Decimal(str(invoice["balance"])) == 0
    [payment] = await shop.requests("POST", "/books/v3/customerpayments")
    assert '"amount":' in payment["body"] and str(total) in payment["body"]
    shipped = {sku: await shop.stock(sku) for sku in SKUS}
    assert shipped["MUG-CER-350"]["Bengaluru Warehouse"] == before["MUG-CER-350"]["Bengaluru Warehouse"] - 2

    await hook_zoho(shop)
    asked = await set_return_status(shop, so_id, "Return Requested")
    await store_event(loop, asked)
    request = await wait_for_record(loop, f"zoho_return:{so_id}", DONE)
    assert request.state == "succeeded", request.last_error
    refs = request.target_refs
    sr_requests = await shop.http.get(
        f"{shop.shiprocket_admin}/requests", params={"method": "POST", "path": "/v1/external/orders/create/return"}
    )
    [created] = sr_requests.json()["requests"]
    assert f'"{order["salesorder_number"]}-R"' in created["body"]
    fields = await shop.fields(so_id)
    assert fields["cf_return_status"] == "Return Pickup Scheduled"
    assert fields["cf_return_awb_number"] == refs["return_awb"] != awb
    assert refs["return_order_id"] and refs["return_shipment_id"]

    # The same request again (Zoho retries, the merchant saves twice): nothing more at Shiprocket.
    await store_event(loop, asked)
    await asyncio.sleep(1)
    again = await shop.http.get(
        f"{shop.shiprocket_admin}/requests", params={"method": "POST", "path": "/v1/external/orders/create/return"}
    )
    assert len(again.json()["requests"]) == 1

    # The return parcel's pushes go through tracking into cf_return_status; back home, nothing restocked yet.
    back = {b["current_status"]: b for b in await shop.advance(refs["return_awb"], path="delivered")}
    assert back["PICKED UP"]["is_return"] == 1
    assert (await shop.push(back["PICKED UP"])).state == "succeeded"
    assert (await shop.fields(so_id))["cf_return_status"] == "Return Picked Up"
    received = await shop.push(back["DELIVERED"])
    assert received.state == "succeeded" and received.target_refs["parcel"] == "return"
    assert (await shop.fields(so_id))["cf_return_status"] == "Return Received - Awaiting QC"
    assert {sku: await shop.stock(sku) for sku in SKUS} == shipped
    assert await shop.requests("POST", "/books/v3/creditnotes") == []

    passed = await set_return_status(shop, so_id, "QC Passed")
    await store_event(loop, passed)
    qc = await wait_for_record(loop, f"zoho_return_qc:{so_id}:passed", DONE)
    assert qc.state == "succeeded", qc.last_error
    assert {sku: await shop.stock(sku) for sku in SKUS} == before  # back in Bengaluru
    [note] = (
        await shop.books("GET", "/creditnotes", params={"reference_number": f"RETURN {order['salesorder_number']}"})
    )["creditnotes"]
    assert Decimal(str(note["total"])) == total and Decimal(str(note["balance"])) == total  # a refund owed
    assert (await shop.fields(so_id))["cf_return_status"] == "Returned to Stock"

    # QC passed twice: restocked once.
    await store_event(loop, passed)
    await asyncio.sleep(1)
    assert len(await shop.requests("POST", "/inventory/v1/inventoryadjustments")) == 1
    assert {sku: await shop.stock(sku) for sku in SKUS} == before
    engine = make_app_engine(loop.settings)
    async with tenant_session(make_sessions(engine), uuid.UUID(loop.tenant)) as session:
        identities = await links.connected(session, ("return_awb", refs["return_awb"]))
    await engine.dispose()
    assert identities["zoho_salesorder"] == {so_id}
    assert identities["shiprocket_return_order"] == {refs["return_order_id"]}


async def test_a_failed_qc_alerts_without_restocking_and_an_undelivered_order_cannot_be_returned(
    loop: Loop, worker: Worker, shop: Shop
) -> None:
    await hook_zoho(shop)
    # Draft orders: no other flow acts on their updates.
    orders = (await shop.zoho("GET", "/salesorders", params={"filter_by": "Status.Draft"}))["salesorders"]
    first, second = orders[0]["salesorder_id"], orders[1]["salesorder_id"]

    failed = await set_return_status(shop, first, "QC Failed")
    await store_event(loop, failed)
    qc = await wait_for_record(loop, f"zoho_return_qc:{first}:failed", DONE)
    assert qc.state == "succeeded", qc.last_error
    [alert] = await alerts_of(loop, qc)
    assert alert.kind == "return_qc_failed" and "not restocked" in alert.summary
    assert await shop.requests("POST", "/inventory/v1/inventoryadjustments") == []

    asked = await set_return_status(shop, second, "Return Requested")
    await store_event(loop, asked)
    refused = await wait_for_record(loop, f"zoho_return:{second}", DONE)
    assert refused.state == "dead" and refused.reason == "invalid_source_data"
    assert refused.last_error is not None and "a return needs a delivered order" in refused.last_error
    sr = await shop.http.get(f"{shop.shiprocket_admin}/requests", params={"path": "/v1/external/orders/create/return"})
    assert sr.json()["requests"] == []
