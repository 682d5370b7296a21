"""Customer returns: the merchant sets a delivered sales order's ``cf_return_status`` in Zoho, and a sales-order
webhook (Zoho sends one on update when the hook lists the ``updated`` event) starts a record here.

    "Return Requested"  (source zoho_return:{salesorder_id})
        start ──▶ checked ──▶ return_order ──▶ return_awb ──▶ pickup ──▶ written_back
        a reverse pickup in Shiprocket (POST /orders/create/return, claimed; looked up in
        GET /orders/processing/return when an answer was lost), its AWB (is_return), its pickup, and
        cf_return_status "Return Pickup Scheduled" + cf_return_awb_number on the order. The return parcel's
        pushes then go through the tracking flow into cf_return_status; delivered back, it waits for QC.
    "QC Passed"         (source zoho_return_qc:{salesorder_id}:passed)
        what the order shipped restocked into its warehouse (adjustment, reason "Customer return", claimed
        once) and, when the order was invoiced, a credit note for the invoice left open — a refund owed to
        the customer (a COD invoice may still be awaiting its remittance, a prepaid one is paid); then
        cf_return_status "Returned to Stock".
    "QC Failed"         (source zoho_return_qc:{salesorder_id}:failed)
        nothing restocked, nothing credited: an alert ``return_qc_failed`` for the merchant to settle with the
        customer, and the journal says why.

One return per sales order, of the whole order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from workers.calls import Api, CallFailed, Refused
from workers.engine.links import Kind
from workers.engine.outcomes import Reason
from workers.flows import books, inventory
from workers.flows.context import FlowContext
from workers.flows.effects import once
from workers.flows.fulfilment import IST, custom_field, decimal_json, money, weight_kg, write_back
from workers.flows.parcel import parcel_lock
from workers.flows.settings import FlowSettings
from workers.flows.shipment_status import (
    COD_DELIVERED,
    LIFECYCLE,
    QC_FAILED,
    QC_PASSED,
    RETURN_REQUESTED,
    RETURN_RESTOCKED,
    rank_of_words,
    words_for,
)
from workers.flows.spec import FlowSpec, Routed
from workers.flows.tracking import event_day

FLOW = "returns"
INVENTORY = inventory.INVENTORY
RETURN_SUFFIX = "-R"
"""A return order's id at Shiprocket: the sales order number and this (Shiprocket refuses a reused id)."""


def return_status(order: Mapping[str, Any]) -> str:
    """``cf_return_status`` from a webhook's record (custom fields) or a list row (flattened ``cf_*`` keys)."""
    return (custom_field(order, "cf_return_status") or str(order.get("cf_return_status") or "")).strip()


def route(provider: str, body: Mapping[str, Any]) -> list[Routed]:
    """A Zoho sales-order event whose cf_return_status asks for a return or gives a QC verdict."""
    order = body.get("salesorder") if provider == "zoho" else None
    if not isinstance(order, dict) or not order.get("salesorder_id"):
        return []
    salesorder_id, status = str(order["salesorder_id"]), return_status(order).casefold()
    if status == RETURN_REQUESTED.casefold():
        return [(f"{Kind.ZOHO_RETURN}:{salesorder_id}", {"salesorder_id": salesorder_id})]
    for verdict, words in (("passed", QC_PASSED), ("failed", QC_FAILED)):
        if status == words.casefold():
            return [
                (f"{Kind.ZOHO_RETURN_QC}:{salesorder_id}:{verdict}", {"salesorder_id": salesorder_id, "qc": verdict})
            ]
    return []


def was_delivered(words: str | None, status_map: Mapping[str, str]) -> bool:
    delivered = LIFECYCLE["DELIVERED"]
    said = {words_for(delivered, status_map).casefold(), (status_map.get(COD_DELIVERED) or "").casefold()}
    said.add(words_for(delivered, status_map, cod=True).casefold())
    return bool(words) and str(words).strip().casefold() in said


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())[-10:]


def return_order(
    order: Mapping[str, Any],
    contact: Mapping[str, Any],
    warehouse: Mapping[str, Any],
    settings: FlowSettings,
    now: datetime,
) -> dict[str, Any]:
    """Shiprocket's return order (pure): collected from the customer's shipping address (``pickup_*``), taken
    to the order's warehouse (``shipping_*``), every line of the order, amounts in INR."""
    customer = contact.get("shipping_address") or contact.get("billing_address") or {}
    where = f"the customer {contact.get('contact_name')!r}"
    missing = [f for f in ("address", "city", "state", "zip") if not customer.get(f)]
    if missing or not contact.get("email"):
        lacking = ", ".join([*missing, *([] if contact.get("email") else ["email"])])
        raise Refused(Reason.INVALID_SOURCE_DATA, f"{where} lacks {lacking}: Shiprocket needs it to collect a return")
    home = warehouse.get("address") or {}
    missing = [f for f in ("address", "city", "state", "zip", "phone") if not home.get(f)]
    if missing:
        name = warehouse.get("location_name")
        raise Refused(Reason.INVALID_SOURCE_DATA, f"warehouse {name!r} lacks {', '.join(missing)} in Zoho")
    lines = order.get("line_items") or []
    items: list[dict[str, Any]] = [
        {
            "name": str(line.get("name")),
            "sku": str(line.get("sku") or line.get("item_id")),
            "units": int(Decimal(str(line["quantity"]))),
            "selling_price": money(line.get("rate") or 0),
        }
        for line in lines
    ]
    package = settings.package
    return {
        "order_id": f"{order['salesorder_number']}{RETURN_SUFFIX}",
        "order_date": now.astimezone(IST).strftime("%Y-%m-%d %H:%M"),
        "pickup_customer_name": str(contact.get("contact_name") or order.get("customer_name") or ""),
        "pickup_address": str(customer["address"]),
        "pickup_city": str(customer["city"]),
        "pickup_state": str(customer["state"]),
        "pickup_country": str(customer.get("country") or "India"),
        "pickup_pincode": str(customer["zip"]),
        "pickup_email": str(contact["email"]),
        "pickup_phone": _digits(customer.get("phone") or contact.get("phone")),
        "shipping_customer_name": str(home.get("attention") or warehouse.get("location_name") or "Warehouse"),
        "shipping_address": str(home["address"]),
        "shipping_city": str(home["city"]),
        "shipping_state": str(home["state"]),
        "shipping_country": str(home.get("country") or "India"),
        "shipping_pincode": str(home["zip"]),
        "shipping_phone": _digits(home["phone"]),
        "order_items": items,
        "payment_method": "PREPAID",
        "sub_total": sum((i["selling_price"] * i["units"] for i in items), Decimal(0)),
        "length": package.length_cm,
        "breadth": package.breadth_cm,
        "height": package.height_cm,
        "weight": weight_kg(order, settings),
    }


async def _find_return(shiprocket: Api, our_id: str) -> dict[str, Any] | None:
    """The return order we created under ``our_id``, if an earlier attempt's answer was lost."""
    page = 1
    while True:
        params = {"page": page, "per_page": 100}
        listed = (await shiprocket.call("GET", "/orders/processing/return", params=params)).json()
        for row in listed.get("data") or []:
            if str(row.get("channel_order_id")) == our_id:
                return {"order_id": row.get("id"), "shipment_id": row.get("shipment_id")}
        paging = (listed.get("meta") or {}).get("pagination") or {}
        if int(paging.get("current_page") or page) >= int(paging.get("total_pages") or 1):
            return None
        page += 1


async def run(ctx: FlowContext) -> None:
    if ctx.record.source_ref.startswith(f"{Kind.ZOHO_RETURN_QC}:"):
        await _run_qc(ctx)
    else:
        await _run_request(ctx)


async def _run_request(ctx: FlowContext) -> None:
    salesorder_id = str((ctx.record.payload or {})["salesorder_id"])
    zoho, shiprocket = await ctx.api("zoho"), await ctx.api("shiprocket")
    order = await inventory.salesorder(zoho, salesorder_id)
    number = str(order["salesorder_number"])
    if ctx.step == "start":
        awb, shipped = custom_field(order, "cf_awb_number"), custom_field(order, "cf_shipment_status")
        if not awb or not was_delivered(shipped, ctx.settings.status_map):
            raise Refused(
                Reason.INVALID_SOURCE_DATA,
                f"{number}: a return needs a delivered order (AWB {awb or 'none'}, shipment status {shipped!r})",
            )
        await ctx.advance(
            "checked", {"salesorder_number": number, "awb": awb}, also=[(Kind.ZOHO_SALESORDER, salesorder_id)]
        )
    if ctx.step == "checked":
        contact = decimal_json((await zoho.call("GET", f"{INVENTORY}/contacts/{order['customer_id']}")).text)["contact"]
        location = decimal_json((await zoho.call("GET", f"{INVENTORY}/locations/{order['location_id']}")).text)
        body = return_order(order, contact, location["location"], ctx.settings, datetime.now(UTC))

        async def create() -> dict[str, Any]:
            made = (await shiprocket.call("POST", "/orders/create/return", json=body, idempotent=False)).json()
            return {"order_id": made["order_id"], "shipment_id": made["shipment_id"]}

        created = await once(
            ctx, f"shiprocket:return:{body['order_id']}", lambda: _find_return(shiprocket, body["order_id"]), create
        )
        await ctx.advance(
            "return_order",
            {"return_order_id": str(created["order_id"]), "return_shipment_id": str(created["shipment_id"])},
            link=(Kind.SHIPROCKET_RETURN_ORDER, str(created["order_id"])),
            also=[(Kind.SHIPROCKET_RETURN_SHIPMENT, str(created["shipment_id"]))],
        )
    if ctx.step == "return_order":
        shipment_id = ctx.record.target_refs["return_shipment_id"]

        async def assigned() -> dict[str, Any] | None:
            shipment = (await shiprocket.call("GET", f"/shipments/{shipment_id}")).json().get("data") or {}
            return (
                {"awb": str(shipment["awb"]), "courier": str(shipment.get("courier") or "")}
                if shipment.get("awb")
                else None
            )

        async def assign() -> dict[str, Any]:
            body = {"shipment_id": int(shipment_id), "is_return": 1}
            answer = (await shiprocket.call("POST", "/courier/assign/awb", json=body, idempotent=False)).json()
            data = (answer.get("response") or {}).get("data") or {}
            if not int(answer.get("awb_assign_status") or 0) or not data.get("awb_code"):
                message = data.get("awb_assign_error") or answer.get("message") or "AWB not assigned"
                raise Refused(Reason.PROVIDER_REJECTED, f"Shiprocket did not assign the return an AWB: {message}")
            return {"awb": str(data["awb_code"]), "courier": str(data.get("courier_name") or "")}

        got = await once(ctx, f"shiprocket:awb:{shipment_id}", assigned, assign)
        await write_back(zoho, salesorder_id, {"cf_return_awb_number": got["awb"]})
        await ctx.advance(
            "return_awb",
            {"return_awb": got["awb"], "return_courier": got["courier"]},
            link=(Kind.RETURN_AWB, got["awb"]),
        )
    if ctx.step == "return_awb":
        shipment_id = ctx.record.target_refs["return_shipment_id"]
        try:
            answer = (
                await shiprocket.call("POST", "/courier/generate/pickup", json={"shipment_id": [int(shipment_id)]})
            ).json()
            when = str(((answer.get("response") or {}).get("pickup_scheduled_date")) or "")
        except CallFailed as failed:  # asked before (an answer lost): the pickup stands
            if failed.status != 400 or "already in pickup queue" not in failed.verdict.message.lower():
                raise
            when = "already scheduled"
        await ctx.advance("pickup", {"pickup_scheduled": when})
    if ctx.step == "pickup":
        awb = ctx.record.target_refs["return_awb"]
        words = words_for(LIFECYCLE["PICKUP SCHEDULED"], ctx.settings.status_map, is_return=True)
        async with parcel_lock(ctx, awb):  # the return parcel's pushes may already have moved it on
            current = return_status(await inventory.salesorder(zoho, salesorder_id))
            standing = rank_of_words(current, ctx.settings.status_map, is_return=True) or 0
            if standing < LIFECYCLE["PICKUP SCHEDULED"].rank:
                await write_back(zoho, salesorder_id, {"cf_return_status": words})
            else:
                await ctx.note("kept", {"cf_return_status": current, "why": f"already past {words}"})
            await ctx.advance("written_back", {})


async def _run_qc(ctx: FlowContext) -> None:
    payload = ctx.record.payload or {}
    salesorder_id, verdict = str(payload["salesorder_id"]), str(payload["qc"])
    zoho = await ctx.api("zoho")
    order = await inventory.salesorder(zoho, salesorder_id)
    number = str(order["salesorder_number"])
    return_awb = custom_field(order, "cf_return_awb_number") or ""
    if ctx.step == "start":
        await ctx.advance("checked", {"salesorder_number": number}, also=[(Kind.ZOHO_SALESORDER, salesorder_id)])
    if verdict == "failed":
        facts = {"salesorder_number": number, "return_awb": return_awb, "qc": "failed"}
        await ctx.note("not_restocked", {"why": "the returned goods failed QC", **facts})
        summary = f"Return of {number} (AWB {return_awb or 'unknown'}) failed QC: not restocked, not credited"
        await ctx.alert("return_qc_failed", summary, facts)
        return
    current = return_status(order)
    if current.casefold() not in (QC_PASSED.casefold(), RETURN_RESTOCKED.casefold()):
        await ctx.skip(f"{number}: cf_return_status is now {current!r}, no longer {QC_PASSED!r}")
        return
    refs, on = ctx.record.target_refs, event_day({})
    if "restock" not in refs:
        reference = f"RETURN {return_awb or number}"
        restocked = await inventory.restock(
            ctx, zoho, order, f"zoho:restock:return:{salesorder_id}", "Customer return", reference, on
        )
        if restocked is None:
            await ctx.note("nothing_to_restock", {"why": "no stock left the warehouse for this order in Zoho"})
            await ctx.advance("restocked", {"restock": "none"})
        else:
            adjustment = restocked["adjustment_id"]
            await ctx.advance("restocked", {"restock": adjustment}, link=(Kind.ZOHO_ADJUSTMENT, adjustment))
    if "creditnote" not in ctx.record.target_refs:
        awb = custom_field(order, "cf_awb_number") or ""
        invoice = await books.invoice_for(ctx, zoho, awb) if awb else None
        if invoice is None:
            await ctx.note("nothing_to_credit", {"why": "no invoice was raised for the order"})
            await ctx.advance("credited", {"creditnote": "none"})
        else:
            credit = await books.credit_invoice(
                ctx, zoho, invoice, f"books:creditnote:return:{salesorder_id}", f"RETURN {number}", on, apply=False
            )
            await ctx.note("refund_owed", {"why": "returned after QC: refund the customer", "amount": credit["total"]})
            await ctx.advance(
                "credited",
                {"creditnote": credit["creditnote_number"], "creditnote_id": credit["creditnote_id"]},
                link=(Kind.BOOKS_CREDITNOTE, credit["creditnote_id"]),
            )
    if current.casefold() != RETURN_RESTOCKED.casefold():
        await write_back(zoho, salesorder_id, {"cf_return_status": RETURN_RESTOCKED})
    await ctx.advance("written_back", {})


SPEC = FlowSpec(FLOW, run, route=route)
