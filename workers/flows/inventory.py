"""Zoho Inventory for a shipped sales order: find it by AWB, let its stock leave (a package and a shipment
order, as Zoho books stock out on shipment), mark it delivered, and put returned stock back (an inventory
adjustment into the order's warehouse). Creates are claimed in the effect ledger (``effects.once``); the
sales order itself says whether an earlier attempt's package or shipment was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from workers.calls import Api, CallFailed
from workers.engine.links import Kind
from workers.flows.context import FlowContext
from workers.flows.effects import once
from workers.flows.fulfilment import decimal_json

INVENTORY = "/inventory/v1"
ZERO = Decimal(0)


async def salesorder(zoho: Api, salesorder_id: str) -> dict[str, Any]:
    answer = decimal_json((await zoho.call("GET", f"{INVENTORY}/salesorders/{salesorder_id}")).text)
    return dict(answer["salesorder"])


async def find_salesorder_by_awb(zoho: Api, awb: str) -> tuple[str, Kind] | None:
    """The sales order whose ``cf_awb_number`` (Kind.AWB) or ``cf_return_awb_number`` (Kind.RETURN_AWB) is
    ``awb``, searched in Zoho: for AWBs this platform did not link (an order shipped before it was set up)."""
    for field, kind in (("cf_awb_number", Kind.AWB), ("cf_return_awb_number", Kind.RETURN_AWB)):
        rows = decimal_json((await zoho.call("GET", f"{INVENTORY}/salesorders", params={field: awb})).text)
        for row in rows.get("salesorders") or []:
            if str(row.get(field) or "") == awb:
                return str(row["salesorder_id"]), kind
    return None


def unpacked(salesorder: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Package lines for what is ordered and not yet packed (pure)."""
    lines = []
    for line in salesorder.get("line_items") or ():
        left = Decimal(str(line.get("quantity") or 0)) - Decimal(str(line.get("quantity_packed") or 0))
        if left > 0:
            lines.append({"so_line_item_id": str(line["line_item_id"]), "quantity": left})
    return lines


def waiting_packages(salesorder: Mapping[str, Any]) -> list[str]:
    return [str(p["package_id"]) for p in salesorder.get("packages") or () if p.get("status") == "not_shipped"]


def shipped_stock(salesorder: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Adjustment lines putting back what left the warehouse for the order: each line's shipped quantity,
    into the line's location or the order's (pure). Nothing shipped in Zoho → nothing to put back."""
    lines = []
    for line in salesorder.get("line_items") or ():
        shipped = Decimal(str(line.get("quantity_shipped") or 0))
        if shipped > 0 and line.get("item_id"):
            lines.append(
                {
                    "item_id": str(line["item_id"]),
                    "quantity_adjusted": shipped,
                    "location_id": str(line.get("location_id") or salesorder["location_id"]),
                }
            )
    return lines


async def ensure_shipped(
    ctx: FlowContext, zoho: Api, order: Mapping[str, Any], awb: str, courier: str, on: date
) -> str:
    """The order's stock leaves its warehouse: its unpacked lines packed, its packages shipped under the AWB.
    Returns the shipment order id ("" when the order was shipped in Zoho by other hands without one)."""
    so_id = str(order["salesorder_id"])
    waiting = waiting_packages(order)
    lines = unpacked(order)
    if lines:

        async def packed() -> dict[str, Any] | None:
            fresh = await salesorder(zoho, so_id)
            return None if unpacked(fresh) else {"packages": waiting_packages(fresh)}

        async def pack() -> dict[str, Any]:
            body = {"date": on.isoformat(), "line_items": lines, "notes": f"Shiprocket AWB {awb}"}
            params = {"salesorder_id": so_id}
            made = await zoho.call("POST", f"{INVENTORY}/packages", params=params, json=body, idempotent=False)
            return {"packages": [str(decimal_json(made.text)["package"]["package_id"])]}

        made = await once(ctx, f"zoho:package:{so_id}", packed, pack)
        waiting = sorted({*waiting, *made["packages"]})
    if waiting:

        async def shipped() -> dict[str, Any] | None:
            fresh = await salesorder(zoho, so_id)
            ids = {str(p["package_id"]): p for p in fresh.get("packages") or ()}
            if any(ids.get(w, {}).get("status") == "not_shipped" for w in waiting):
                return None
            return {"shipment_id": str(ids.get(waiting[0], {}).get("shipment_id") or "")}

        async def ship() -> dict[str, Any]:
            body = {
                "date": on.isoformat(),
                "delivery_method": courier or "Shiprocket",
                "tracking_number": awb,
                "custom_fields": [{"api_name": "cf_awb_number", "value": awb}],
            }
            params = {"salesorder_id": so_id, "package_ids": ",".join(waiting)}
            made = await zoho.call("POST", f"{INVENTORY}/shipmentorders", params=params, json=body, idempotent=False)
            return {"shipment_id": str(decimal_json(made.text)["shipmentorder"]["shipment_id"])}

        return str((await once(ctx, f"zoho:shipment:{so_id}", shipped, ship))["shipment_id"])
    return next((str(p["shipment_id"]) for p in order.get("packages") or () if p.get("shipment_id")), "")


def shipments_of(order: Mapping[str, Any]) -> list[str]:
    """The order's shipment orders not yet delivered, as the sales order lists them (pure)."""
    found: list[str] = []
    for package in order.get("packages") or ():
        shipment_id = str(package.get("shipment_id") or "")
        if shipment_id and package.get("status") == "shipped" and shipment_id not in found:
            found.append(shipment_id)
    return found


async def mark_delivered(zoho: Api, shipment_ids: list[str]) -> list[str]:
    """The shipment orders marked delivered. Zoho refuses a second delivery (code 1014, HTTP 400): one that
    was delivered already, by an answer lost on the way or by other hands, is taken as done."""
    marked: list[str] = []
    for shipment_id in shipment_ids:
        try:
            await zoho.call("POST", f"{INVENTORY}/shipmentorders/{shipment_id}/status/delivered")
        except CallFailed as failed:
            if failed.status != 400 or "(delivered)" not in failed.verdict.message:
                raise
            continue
        marked.append(shipment_id)
    return marked


async def restock(
    ctx: FlowContext, zoho: Api, order: Mapping[str, Any], key: str, reason: str, reference: str, on: date
) -> dict[str, Any] | None:
    """What the order shipped, back into its warehouse by one inventory adjustment claimed under ``key``.
    None when nothing left the warehouse in Zoho (so nothing comes back)."""
    lines = shipped_stock(order)
    if not lines:
        return None

    async def adjusted() -> dict[str, Any] | None:
        found = decimal_json(
            (await zoho.call("GET", f"{INVENTORY}/inventoryadjustments", params={"reference_number": reference})).text
        )
        rows = [r for r in found.get("inventory_adjustments") or [] if r.get("reference_number") == reference]
        return {"adjustment_id": str(rows[0]["inventory_adjustment_id"])} if rows else None

    async def adjust() -> dict[str, Any]:
        body = {
            "date": on.isoformat(),
            "reason": reason,
            "reference_number": reference,
            "adjustment_type": "quantity",
            "location_id": str(order["location_id"]),
            "description": f"{reason}: {order['salesorder_number']} back in stock",
            "line_items": lines,
        }
        made = decimal_json(
            (await zoho.call("POST", f"{INVENTORY}/inventoryadjustments", json=body, idempotent=False)).text
        )
        return {"adjustment_id": str(made["inventory_adjustment"]["inventory_adjustment_id"])}

    result = await once(ctx, key, adjusted, adjust)
    return {**result, "lines": [{**line, "quantity_adjusted": str(line["quantity_adjusted"])} for line in lines]}
