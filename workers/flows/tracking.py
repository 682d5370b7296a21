"""Tracking: a Shiprocket status push → the sales order found by AWB → its status moved forward (never back)
and what the status sets off. One record per (AWB, status): the same push twice is one record.

    start ──▶ found ──▶ decided ──▶ written ──▶ actions, each kept in target_refs ──▶ succeeded
     │ no order carries the AWB: dead letter (invalid_source_data), replayable once it is known
     └ the status ranks at or below where the order stands: skipped "stale: In Transit after Delivered"

The whole attempt holds the parcel's lock (a PostgreSQL advisory lock on the AWB, see ``parcel_lock``), so two
statuses of one parcel run one after the other and each decides on the order's value as it is then.

What a status sets off (``shipment_status.Action``; a return parcel only alerts, its stock waits for QC):

    picked up onwards  the order's stock leaves its warehouse in Inventory (package + shipment order under the
                       AWB) and its Books invoice is raised (reference = order number, cf_awb_number = AWB).
                       Raising it at dispatch, as Indian sellers commonly do, means an RTO'd COD order has an
                       open receivable for the credit note to clear.
    delivered          the Inventory shipment marked delivered; prepaid: the up-front payment recorded, so the
                       invoice is paid; COD: the invoice stays open, "Delivered - Awaiting Remittance"
    RTO initiated      alert ``rto_initiated``
    RTO delivered      the shipped quantities restocked into the order's warehouse (adjustment, reason "RTO"),
                       a credit note for the invoice applied to it (balance 0); no invoice → none, journalled
    lost, damaged      alert ``shipment_lost`` asking for a courier claim (AWB, courier, declared value);
                       the claim reference kept in target_refs
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tenants.db import tenant_session
from workers.calls import Api, Refused
from workers.engine import links
from workers.engine.links import Kind
from workers.engine.outcomes import Reason
from workers.flows import books, inventory, parcel
from workers.flows.context import FlowContext
from workers.flows.fulfilment import custom_field, is_cod, money, write_back
from workers.flows.parcel import SOURCE, furthest_decided, parcel_lock
from workers.flows.shipment_status import (
    LIFECYCLE,
    Action,
    Status,
    actions_of,
    decide,
    rank_of_words,
    status_of,
    words_for,
)
from workers.flows.spec import FlowSpec, Routed

FLOW = parcel.TRACKING
IST = ZoneInfo("Asia/Kolkata")
WEBHOOK_TIME = "%d %m %Y %H:%M:%S"
"""Shiprocket's ``current_timestamp``, in IST: ``23 05 2023 11:43:52``."""


def utc_iso(value: Any) -> str | None:
    """A Shiprocket time (IST, webhook or API format) as a UTC ISO string; None when it is not one."""
    for layout in (WEBHOOK_TIME, "%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M:%S"):
        try:
            return datetime.strptime(str(value).strip(), layout).replace(tzinfo=IST).astimezone(UTC).isoformat()
        except ValueError:
            continue
    return None


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def source_ref(awb: str, status: str) -> str:
    return f"{SOURCE}:{awb}:{status.replace(' ', '_')}"


def route(provider: str, body: Mapping[str, Any]) -> list[Routed]:
    """A Shiprocket tracking push → one record for its (AWB, status); [] without an AWB or a status."""
    if provider != "shiprocket":
        return []
    awb = str(body.get("awb") or "").strip()
    status = status_of(body)
    if not awb or not status:
        return []
    payload = {
        "awb": awb,
        "status": status,
        "shipment_status_id": body.get("shipment_status_id"),
        "current_status_id": body.get("current_status_id"),
        "at": utc_iso(body.get("current_timestamp")),
        "at_sent": body.get("current_timestamp"),
        "is_return": _flag(body.get("is_return")),
        "order_id": body.get("order_id"),
        "sr_order_id": body.get("sr_order_id"),
        "courier_name": body.get("courier_name"),
    }
    return [(source_ref(awb, status), payload)]


def event_day(payload: Mapping[str, Any]) -> date:
    """The day (in India) the status happened, for the documents it raises."""
    at = payload.get("at")
    when = datetime.fromisoformat(str(at)) if at else datetime.now(UTC)
    return when.astimezone(IST).date()


async def find_order(ctx: FlowContext, zoho: Api, awb: str) -> tuple[str, Kind]:
    """The sales order the AWB belongs to (forward or return parcel): links first, else a Zoho search."""
    async with tenant_session(ctx.services.sessions, ctx.tenant_id) as session:
        for kind in (Kind.AWB, Kind.RETURN_AWB):
            orders = (await links.connected(session, (kind, awb))).get(Kind.ZOHO_SALESORDER, set())
            if len(orders) > 1:
                raise Refused(Reason.INVALID_SOURCE_DATA, f"AWB {awb} is linked to several sales orders: {orders}")
            if orders:
                return orders.pop(), kind
    found = await inventory.find_salesorder_by_awb(zoho, awb)
    if found is None:
        raise Refused(
            Reason.INVALID_SOURCE_DATA,
            f"no sales order carries AWB {awb}: none linked by fulfilment, none with it in Zoho's "
            "cf_awb_number or cf_return_awb_number",
        )
    return found


async def run(ctx: FlowContext) -> None:
    payload = ctx.record.payload or {}
    awb, name = str(payload["awb"]), str(payload["status"])
    status = LIFECYCLE.get(name)
    if status is None:
        await ctx.skip(f"{name!r} is not a status this flow tracks: recorded, nothing written")
        return
    zoho = await ctx.api("zoho")
    async with parcel_lock(ctx, awb):
        if ctx.step == "start":
            salesorder_id, kind = await find_order(ctx, zoho, awb)
            parcel = "return" if kind is Kind.RETURN_AWB or payload.get("is_return") else "forward"
            await ctx.advance("found", {"salesorder_id": salesorder_id, "parcel": parcel}, link=(kind, awb))
        refs = ctx.record.target_refs
        is_return = refs["parcel"] == "return"
        floor = await furthest_decided(ctx, awb) if ctx.step in ("found", "decided") else None
        if ctx.step == "found" and floor is not None and floor[0] >= status.rank:  # stale without asking Zoho
            words = words_for(status, ctx.settings.status_map, is_return=is_return)
            await ctx.skip(decide(status, words, None, None, floor).why)
            return
        order = await inventory.salesorder(zoho, refs["salesorder_id"])
        if ctx.step in ("found", "decided"):
            await _move(ctx, zoho, order, status, is_return, floor)
        for action in actions_of(status, is_return=is_return):
            order = await ACTIONS[action](ctx, zoho, order, awb, status)


async def _move(
    ctx: FlowContext, zoho: Api, order: Mapping[str, Any], status: Status, ret: bool, floor: tuple[int, str] | None
) -> None:
    """Decide on the order's value as it is now; write the status if it moves the order forward."""
    settings = ctx.settings
    field = "cf_return_status" if ret else "cf_shipment_status"
    words = words_for(status, settings.status_map, cod=is_cod(order, settings.cod_terms), is_return=ret)
    current = custom_field(order, field)
    decision = decide(
        status,
        words,
        current,
        rank_of_words(current, settings.status_map, is_return=ret),
        floor,
        retrying=ctx.step == "decided",
    )
    if not decision.forward:
        await ctx.skip(decision.why)
        return
    if ctx.step == "found":
        number = str(order["salesorder_number"])
        decided = {"decision": "forward", "rank": str(status.rank), "words": words, "salesorder_number": number}
        await ctx.advance("decided", decided)
    await write_back(zoho, str(order["salesorder_id"]), {field: words})
    await ctx.advance("written", {"was": current or ""})


def _courier(order: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    return custom_field(order, "cf_courier_partner") or str(payload.get("courier_name") or "")


async def _dispatch(ctx: FlowContext, zoho: Api, order: dict[str, Any], awb: str, status: Status) -> dict[str, Any]:
    refs, payload = ctx.record.target_refs, ctx.record.payload or {}
    on = event_day(payload)
    if "zoho_shipment_id" not in refs:
        shipment = await inventory.ensure_shipped(ctx, zoho, order, awb, _courier(order, payload), on)
        link = (Kind.ZOHO_SHIPMENTORDER, shipment) if shipment else None
        await ctx.advance("written", {"zoho_shipment_id": shipment}, link=link)
    if "invoice_id" not in refs:
        invoice = await books.ensure_invoice(ctx, zoho, order, awb, on)
        await ctx.advance("written", invoice, link=(Kind.BOOKS_INVOICE, invoice["invoice_id"]))
    return order


async def _deliver(ctx: FlowContext, zoho: Api, order: dict[str, Any], awb: str, status: Status) -> dict[str, Any]:
    refs, on = ctx.record.target_refs, event_day(ctx.record.payload or {})
    if "inventory_delivered" not in refs:
        shipments = [refs["zoho_shipment_id"]] if refs.get("zoho_shipment_id") else inventory.shipments_of(order)
        marked = await inventory.mark_delivered(zoho, shipments)
        await ctx.advance("written", {"inventory_delivered": ",".join(marked) or "already"})
    if "payment" in refs:
        return order
    if is_cod(order, ctx.settings.cod_terms):
        await ctx.note("awaiting_remittance", {"invoice_id": refs["invoice_id"], "awb": awb})
        await ctx.advance("written", {"payment": "awaiting COD remittance"})
        return order
    invoice = await books.get_invoice(zoho, refs["invoice_id"])
    paid = await books.pay_prepaid(ctx, zoho, invoice, f"Prepaid {order['salesorder_number']}", on)
    if paid is None:
        await ctx.advance("written", {"payment": "nothing due"})
        return order
    await ctx.link((Kind.BOOKS_INVOICE, refs["invoice_id"]), (Kind.BOOKS_PAYMENT, paid["payment_id"]))
    await ctx.advance("written", {"payment": paid["payment_id"]}, link=(Kind.BOOKS_PAYMENT, paid["payment_id"]))
    return order


def _facts(ctx: FlowContext, order: Mapping[str, Any], awb: str) -> dict[str, Any]:
    return {
        "salesorder_number": str(order["salesorder_number"]),
        "awb": awb,
        "courier": _courier(order, ctx.record.payload or {}),
        "cod": is_cod(order, ctx.settings.cod_terms),
        "declared_value": str(money(order.get("total") or 0)),
    }


async def _alert_rto(ctx: FlowContext, zoho: Api, order: dict[str, Any], awb: str, status: Status) -> dict[str, Any]:
    facts = _facts(ctx, order, awb)
    summary = (
        f"RTO initiated for {facts['salesorder_number']} (AWB {awb}, {facts['courier'] or 'courier unknown'}, "
        f"{'COD' if facts['cod'] else 'prepaid'} ₹{facts['declared_value']}): prepare to receive it back"
    )
    await ctx.alert("rto_initiated", summary, facts)
    return order


async def _claim(ctx: FlowContext, zoho: Api, order: dict[str, Any], awb: str, status: Status) -> dict[str, Any]:
    if "claim" in ctx.record.target_refs:
        return order
    claim = f"courier_claim:{awb}"
    facts = {**_facts(ctx, order, awb), "status": status.name, "claim": claim}
    summary = (
        f"{status.name.title()}: {facts['salesorder_number']} AWB {awb} via {facts['courier'] or 'courier unknown'}"
        f" — file a courier claim for the declared value ₹{facts['declared_value']}"
    )
    await ctx.alert("shipment_lost", summary, facts)
    await ctx.advance("written", {"claim": claim})
    return order


async def _restock_rto(ctx: FlowContext, zoho: Api, order: dict[str, Any], awb: str, status: Status) -> dict[str, Any]:
    refs, on = ctx.record.target_refs, event_day(ctx.record.payload or {})
    so_id = str(order["salesorder_id"])
    if "restock" not in refs:
        restocked = await inventory.restock(ctx, zoho, order, f"zoho:restock:rto:{so_id}", "RTO", f"RTO {awb}", on)
        if restocked is None:
            await ctx.note("nothing_to_restock", {"why": "no stock left the warehouse for this order in Zoho"})
            await ctx.advance("written", {"restock": "none"})
        else:
            adjustment = restocked["adjustment_id"]
            await ctx.advance("written", {"restock": adjustment}, link=(Kind.ZOHO_ADJUSTMENT, adjustment))
    if "creditnote" not in refs:
        invoice = await books.invoice_for(ctx, zoho, awb)
        if invoice is None:
            await ctx.note("nothing_receivable", {"why": "no invoice was raised for the order: nothing to credit"})
            await ctx.advance("written", {"creditnote": "none"})
            return order
        credit = await books.credit_invoice(
            ctx, zoho, invoice, f"books:creditnote:rto:{so_id}", f"RTO {awb}", on, apply=True
        )
        if not is_cod(order, ctx.settings.cod_terms):
            await ctx.note("refund_owed", {"why": "prepaid order returned to origin: refund the customer's payment"})
        await ctx.advance(
            "written",
            {"creditnote": credit["creditnote_number"], "creditnote_id": credit["creditnote_id"]},
            link=(Kind.BOOKS_CREDITNOTE, credit["creditnote_id"]),
        )
    return order


ACTIONS = {
    Action.DISPATCH: _dispatch,
    Action.DELIVER: _deliver,
    Action.ALERT_RTO: _alert_rto,
    Action.CLAIM: _claim,
    Action.RESTOCK_RTO: _restock_rto,
}

SPEC = FlowSpec(FLOW, run, route=route)
