"""Changing orders after creation (pure): items/dimensions (``/orders/update/adhoc``), the delivery address
(``/orders/address/update``), the pickup location (``PATCH /orders/address/pickup``), and NDR actions.

Shiprocket allows these only before the shipment moves; later attempts are refused with a 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.kit import SandboxError
from sandbox.shiprocket import lifecycle, operations, validation
from sandbox.shiprocket.formats import to_decimal
from sandbox.shiprocket.operations import FOREACH, Moved
from sandbox.shiprocket.state import Account, Address, Ids, NdrAction, Order, Settings, Shipment

ADDRESS_RULES: dict[str, str] = {
    "order_id": "required|integer",
    "shipping_customer_name": "required",
    "shipping_phone": "required|phone",
    "shipping_address": "required",
    "shipping_city": "required|max:30",
    "shipping_state": "required",
    "shipping_country": "required",
    "shipping_pincode": "required|pincode",
    "shipping_email": "email",
}

UPDATABLE = ("order_items", "sub_total", "total_discount", "length", "breadth", "height", "weight", "is_document")
NDR_ACTIONS = ("re-attempt", "return", "fake-attempt")


def _order_by_sr_id(account: Account, raw: Any) -> Order | None:
    oid = to_decimal(raw)
    if oid is None or oid != oid.to_integral_value():
        return None
    return account.orders.get(int(oid))


def update_adhoc(account: Account, data: dict[str, Any], ids: Ids, now: datetime) -> tuple[Order, dict[str, Any]]:
    """Only items, totals and package details change, and only before an AWB exists."""
    validation.require_order(data)
    channel_id = str(data["order_id"]).strip()
    order = next((o for o in account.orders.values() if o.channel_order_id == channel_id and not o.is_return), None)
    if order is None:
        raise validation.fail({"order_id": ["The selected order id is invalid."]})
    shipment = account.shipments[order.shipment_id]
    if shipment.awb is not None or order.status_code != 1:
        raise SandboxError(400, {"message": "Order can be updated only before AWB assignment.", "status_code": 400})
    fresh = operations.items_from(data, ids)
    order.items = fresh
    for key in ("sub_total", "total_discount"):
        setattr(order, key, to_decimal(data.get(key)) or getattr(order, key))
    for key in ("length", "breadth", "height", "weight"):
        setattr(order, key, to_decimal(data.get(key)) or getattr(order, key))
    order.updated_at = shipment.updated_at = now
    ignored = [k for k in operations.PROFILE_FIELDS if k in data]
    return order, {
        "success": True,
        "partially_update": bool(ignored),
        "not_updated_fields": " ,".join(ignored),
        "order_id": order.id,
        "shipment_id": shipment.id,
        "new_order_status": "NEW",
        "old_order_status": 1,
        "awb_code": "",
        "courier_company_id": "",
        "courier_name": "",
    }


def update_address(account: Account, data: dict[str, Any], now: datetime) -> Order:
    errors = validation.check(data, ADDRESS_RULES)
    order = None if "order_id" in errors else _order_by_sr_id(account, data["order_id"])
    if order is None and "order_id" not in errors:
        errors["order_id"] = ["The selected order id is invalid."]
    if errors or order is None:
        raise validation.fail(errors)
    if lifecycle.phase(account.shipments[order.shipment_id]) not in ("new", "booked"):
        raise SandboxError(
            400, {"message": "Address cannot be updated after the shipment is picked up.", "status_code": 400}
        )
    text = {k: str(v).strip() for k, v in data.items() if v is not None}
    order.customer = Address(
        name=text["shipping_customer_name"],
        last_name=text.get("shipping_last_name", order.customer.last_name),
        address=text["shipping_address"],
        address_2=text.get("shipping_address_2", ""),
        city=text["shipping_city"],
        state=text["shipping_state"],
        country=text["shipping_country"],
        pincode=text["shipping_pincode"],
        email=text.get("shipping_email", order.customer.email),
        phone=text["shipping_phone"],
    )
    order.updated_at = now
    return order


def change_pickup(account: Account, data: dict[str, Any], settings: Settings, now: datetime) -> None:
    raw = data.get("order_id")
    if raw in (None, "", []) or validation.check_field("pickup_location", data, "required"):
        raise validation.fail(
            {
                k: [f"The {k.replace('_', ' ')} field is required."]
                for k in ("order_id", "pickup_location")
                if data.get(k) in (None, "", [])
            }
        )
    if not isinstance(raw, list):
        raise operations.php_error(settings, FOREACH, "order_id", "The order id must be an array.")
    location = account.pickups.get(str(data["pickup_location"]).strip())
    if location is None:
        raise SandboxError(400, {"message": "Pickup Code does not exist", "status_code": 400})
    orders = [_order_by_sr_id(account, x) for x in raw]
    if any(o is None or o.is_return for o in orders):
        raise SandboxError(400, {"message": "Order Id does not exists", "status_code": 400})
    for order in orders:
        assert order is not None
        if account.shipments[order.shipment_id].awb is not None:
            raise SandboxError(
                400, {"message": "Pickup location cannot be changed after AWB assignment.", "status_code": 400}
            )
    for order in orders:
        assert order is not None
        order.pickup = location
        order.updated_at = now


def in_ndr(shipment: Shipment) -> bool:
    last = lifecycle.last_event(shipment)
    return last is not None and last.name == "UNDELIVERED"


def ndr_action(
    account: Account, order: Order, shipment: Shipment, data: dict[str, Any], ids: Ids, now: datetime
) -> list[Moved]:
    """``POST /ndr/{awb}/action``: ``return`` starts the RTO at once; re-attempts are only recorded."""
    errors = validation.check(data, {"action": "required|in:" + ",".join(NDR_ACTIONS), "comments": "required"})
    if errors:
        raise validation.fail(errors)
    if not in_ndr(shipment):
        raise SandboxError(400, {"message": "Shipment is not in NDR.", "status_code": 400})
    action = str(data["action"]).strip().lower()
    account.ndr_actions.setdefault(shipment.id, []).append(NdrAction(now, action, str(data["comments"])))
    if action == "return":
        return [operations.advance(account, order, shipment, "RTO INITIATED", now, ids)]
    return []
