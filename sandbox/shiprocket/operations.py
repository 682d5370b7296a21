"""What the API calls do to a merchant's records (no HTTP here): create orders and returns, assign
AWBs, schedule pickups, cancel, label and manifest. Refusals raise ``SandboxError`` with Shiprocket's
body; calls that move tracking return the scans so the caller can fire webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sandbox.kit import SandboxError
from sandbox.shiprocket import lifecycle, validation
from sandbox.shiprocket.catalog import COURIERS_BY_ID, HOLIDAYS, PICKUP_CUTOFF_HOUR, Courier
from sandbox.shiprocket.formats import IST, ist, parse_order_date, to_decimal
from sandbox.shiprocket.pricing import Lane, Quote, check
from sandbox.shiprocket.state import (
    Account,
    Address,
    Ids,
    Item,
    Order,
    PickupLocation,
    Scan,
    Settings,
    Shipment,
)

PROFILE_FIELDS = (
    "order_date", "pickup_location", "channel_id", "comment", "reseller_name", "company_name",
    "billing_customer_name", "billing_last_name", "billing_address", "billing_address_2", "billing_isd_code",
    "billing_city", "billing_pincode", "billing_state", "billing_country", "billing_email", "billing_phone",
    "billing_alternate_phone", "shipping_is_billing", "shipping_customer_name", "shipping_last_name",
    "shipping_address", "shipping_address_2", "shipping_city", "shipping_pincode", "shipping_country",
    "shipping_state", "shipping_email", "shipping_phone", "payment_method", "ewaybill_no", "customer_gstin",
)  # fmt: skip
"""Fields ``/orders/update/adhoc`` accepts but does not change (reported as ``not_updated_fields``)."""

CANNOT_REASSIGN = {"message": "Oops! Cannot reassign courier for this shipment.", "status_code": 400}
INVALID_SHIPMENT = {"message": "Invalid shipment id", "status_code": 400}
FOREACH = {"message": "Invalid argument supplied for foreach()", "status_code": 500}
NON_OBJECT = {"message": "Trying to get property of non-object", "status_code": 500}


@dataclass
class Moved:
    """A tracking event that happened, for the webhook sender."""

    order: Order
    shipment: Shipment
    scan: Scan


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


def _dec(data: dict[str, Any], key: str) -> Decimal:
    return to_decimal(data.get(key)) or Decimal(0)


def _address(data: dict[str, Any], prefix: str, name_key: str) -> Address:
    return Address(
        name=_text(data, name_key),
        last_name=_text(data, f"{prefix}_last_name"),
        address=_text(data, f"{prefix}_address"),
        address_2=_text(data, f"{prefix}_address_2"),
        city=_text(data, f"{prefix}_city"),
        state=_text(data, f"{prefix}_state"),
        country=_text(data, f"{prefix}_country"),
        pincode=_text(data, f"{prefix}_pincode"),
        email=_text(data, f"{prefix}_email"),
        phone=_text(data, f"{prefix}_phone"),
    )


def items_from(data: dict[str, Any], ids: Ids) -> list[Item]:
    return [
        Item(
            name=_text(i, "name"),
            sku=_text(i, "sku"),
            units=int(_dec(i, "units")),
            selling_price=_dec(i, "selling_price"),
            discount=_dec(i, "discount"),
            tax=_dec(i, "tax"),
            hsn=_text(i, "hsn"),
            id=next(ids.product),
        )
        for i in data["order_items"]
    ]


def _claim_order_id(account: Account, data: dict[str, Any]) -> str:
    channel = data.get("channel_id")
    if channel not in (None, "") and str(channel).strip() != str(account.channel_id):
        raise SandboxError(400, {"message": "Given channel id does not exist", "status_code": 400})
    order_id = _text(data, "order_id")
    if order_id in account.used_order_ids:
        raise validation.fail({"order_id": ["The order id has already been taken."]})
    return order_id


def _new_order(
    account: Account,
    data: dict[str, Any],
    ids: Ids,
    now: datetime,
    *,
    channel_order_id: str,
    pickup: PickupLocation,
    customer: Address,
    billing: Address,
    payment: str,
    is_return: bool,
) -> Order:
    order = Order(
        id=next(ids.order),
        channel_order_id=channel_order_id,
        channel_id=account.channel_id,
        order_date=parse_order_date(data.get("order_date")) or now,
        created_at=now,
        updated_at=now,
        pickup=pickup,
        customer=customer,
        billing=billing,
        items=items_from(data, ids),
        payment_method=payment,
        sub_total=_dec(data, "sub_total"),
        shipping_charges=_dec(data, "shipping_charges"),
        giftwrap_charges=_dec(data, "giftwrap_charges"),
        transaction_charges=_dec(data, "transaction_charges"),
        total_discount=_dec(data, "total_discount"),
        length=to_decimal(data.get("length")) or Decimal(10),
        breadth=to_decimal(data.get("breadth")) or Decimal(10),
        height=to_decimal(data.get("height")) or Decimal(10),
        weight=to_decimal(data.get("weight")) or Decimal("0.5"),
        status_code=21 if is_return else 1,
        is_return=is_return,
        comment=_text(data, "comment"),
    )
    shipment = Shipment(id=next(ids.shipment), order_id=order.id, created_at=now, updated_at=now)
    order.shipment_id = shipment.id
    account.orders[order.id] = order
    account.shipments[shipment.id] = shipment
    account.used_order_ids.add(channel_order_id)
    return order


def create_order(account: Account, data: dict[str, Any], ids: Ids, now: datetime) -> Order:
    """``POST /orders/create/adhoc``; ``sub_total`` is taken as sent, never recomputed."""
    validation.require_order(data)
    order_id = _claim_order_id(account, data)
    nickname = _text(data, "pickup_location")
    pickup = account.pickups.get(nickname)
    if pickup is None:
        names = ", ".join(account.pickups)
        raise validation.fail(
            {"pickup_location": [f"Wrong Pickup location entered. Please use one of the following: {names}"]}
        )
    billing = _address(data, "billing", "billing_customer_name")
    customer = (
        billing
        if validation.is_true(data["shipping_is_billing"])
        else _address(data, "shipping", "shipping_customer_name")
    )
    payment = "COD" if _text(data, "payment_method").upper() == "COD" else "Prepaid"
    return _new_order(
        account, data, ids, now, channel_order_id=order_id, pickup=pickup, customer=customer,
        billing=billing, payment=payment, is_return=False,
    )  # fmt: skip


def create_return(account: Account, data: dict[str, Any], ids: Ids, now: datetime) -> Order:
    """``POST /orders/create/return``: collected from the customer (``pickup_*``), back to ``shipping_*``."""
    validation.require_return(data)
    order_id = _claim_order_id(account, data)
    customer = _address(data, "pickup", "pickup_customer_name")
    warehouse = _address(data, "shipping", "shipping_customer_name")
    origin = PickupLocation(
        id=0, nickname="Customer", name=customer.name, email=customer.email, phone=customer.phone,
        address=customer.address, address_2=customer.address_2, city=customer.city, state=customer.state,
        country=customer.country, pin_code=customer.pincode, created_at=now,
    )  # fmt: skip
    return _new_order(
        account, data, ids, now, channel_order_id=order_id, pickup=origin, customer=warehouse,
        billing=customer, payment="PREPAID", is_return=True,
    )  # fmt: skip


def lane_of(order: Order, mode: str | None = None) -> Lane:
    return Lane(
        pickup=order.pickup.pin_code,
        delivery=order.customer.pincode,
        weight=order.weight,
        cod=order.cod,
        declared_value=order.total,
        dims=(order.length, order.breadth, order.height),
        mode=mode,
    )


def find_shipment(account: Account, raw: Any) -> tuple[Order, Shipment]:
    sid = to_decimal(raw)
    shipment = account.shipments.get(int(sid)) if sid is not None and sid == sid.to_integral_value() else None
    if shipment is None:
        raise SandboxError(400, INVALID_SHIPMENT)
    return account.orders[shipment.order_id], shipment


def make_awb(courier: Courier, ids: Ids) -> str:
    digits = str(next(ids.awb))
    return courier.awb_prefix + digits.zfill(courier.awb_length - len(courier.awb_prefix))


def next_pickup_day(now: datetime, wanted: datetime | None = None) -> datetime:
    """Pickups happen on working days before the cut-off; Sundays and holidays roll forward."""
    local = ist(now)
    day = ist(wanted).date() if wanted else local.date()
    if day == local.date() and local.hour >= PICKUP_CUTOFF_HOUR:
        day += timedelta(days=1)
    while day.weekday() == 6 or day.strftime("%m-%d") in HOLIDAYS:
        day += timedelta(days=1)
    return datetime.combine(day, time(PICKUP_CUTOFF_HOUR, 0), IST)


class AssignFailed(Exception):
    """``awb_assign_status: 0`` answered with HTTP 200."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def assign_awb(
    account: Account, data: dict[str, Any], ids: Ids, settings: Settings, now: datetime
) -> tuple[Order, Shipment, Quote]:
    """``POST /courier/assign/awb``: the chosen (or recommended) courier must serve the lane."""
    if validation.check_field("shipment_id", data, "required") is not None:
        raise validation.fail({"shipment_id": ["The shipment id field is required."]}, validation.MISSING)
    order, shipment = find_shipment(account, data["shipment_id"])
    if shipment.status == 8:
        raise SandboxError(400, {"message": "Cannot assign AWB to a cancelled shipment.", "status_code": 400})
    reassign = str(data.get("status") or "").lower() == "reassign"
    if shipment.awb is not None:
        if not reassign or lifecycle.phase(shipment) != "booked" or shipment.pickup_scheduled_at is not None:
            raise SandboxError(400, CANNOT_REASSIGN)
        last = shipment.reassigned_at
        if last is not None and (now - last).total_seconds() < settings.reassign_window_seconds:
            raise SandboxError(400, CANNOT_REASSIGN)
    service = check(lane_of(order), now)
    wanted = data.get("courier_id")
    if wanted in (None, ""):
        chosen = service.recommended
        if chosen is None:
            raise AssignFailed("No courier serviceable for this shipment's pin codes.")
    else:
        cid = to_decimal(wanted)
        chosen = next((q for q in service.available if cid is not None and q.courier.id == cid), None)
        if chosen is None:
            raise AssignFailed("Selected courier is not serviceable for this shipment's pin codes.")
        if order.cod and not chosen.courier.cod:
            raise AssignFailed("Selected courier does not support COD shipments.")
    if shipment.awb is not None:
        account.book(
            next(ids.ledger),
            now,
            "Freight reversal (courier reassigned)",
            shipment.freight + shipment.cod_charges,
            order,
            shipment,
        )
        shipment.cancelled_awbs.append(shipment.awb)
        shipment.scans.clear()
        shipment.reassigned_at = now
    shipment.awb = make_awb(chosen.courier, ids)
    shipment.courier_id = chosen.courier.id
    shipment.awb_assigned_at = now
    shipment.freight, shipment.cod_charges = chosen.freight, chosen.cod_charges
    shipment.zone, shipment.charge_weight, shipment.etd = chosen.zone, chosen.charge_weight, chosen.etd
    shipment.status = 1
    shipment.updated_at = order.updated_at = now
    order.status_code = 22 if order.is_return else 3
    account.book(next(ids.ledger), now, f"Freight charges ({chosen.courier.name})", -chosen.rate, order, shipment)
    return order, shipment, chosen


def shipment_ids(data: dict[str, Any]) -> list[Any]:
    """``shipment_id`` as Shiprocket takes it on label, manifest and pickup calls: always an array."""
    raw = data.get("shipment_id")
    if not isinstance(raw, list):
        raise validation.fail({"shipment_id": ["The shipment id must be an array."]})
    return raw


def _one_shipment_id(data: dict[str, Any]) -> Any:
    if data.get("shipment_id") in (None, "", []):
        raise validation.fail({"shipment_id": ["The shipment id field is required."]})
    raw = shipment_ids(data)
    if len(raw) > 1:
        raise validation.fail({"shipment_id": ["The shipment id may not have more than 1 items."]})
    return raw[0]


def schedule_pickup(account: Account, data: dict[str, Any], ids: Ids, now: datetime) -> tuple[Order, Shipment, Moved]:
    """``POST /courier/generate/pickup`` for exactly one shipment."""
    raw = _one_shipment_id(data)
    wanted: datetime | None = None
    dates = data.get("pickup_date")
    if dates not in (None, "", []):
        first = dates[0] if isinstance(dates, list) else dates
        parsed = parse_order_date(first) if isinstance(first, str) and len(first.strip()) == 10 else None
        if parsed is None:
            raise validation.fail({"pickup_date.0": ["The pickup_date.0 does not match the format Y-m-d."]})
        if parsed.date() < ist(now).date():
            raise validation.fail({"pickup_date.0": ["The pickup_date.0 must be a date after or equal to today."]})
        wanted = parsed
    order, shipment = find_shipment(account, raw)
    if shipment.status == 8:
        raise SandboxError(400, INVALID_SHIPMENT)
    if shipment.awb is None:
        raise SandboxError(400, {"message": "Awb not Assigned"})
    retry = str(data.get("status") or "").lower() == "retry"
    if shipment.pickup_scheduled_at is not None and (not retry or lifecycle.phase(shipment) != "booked"):
        raise SandboxError(400, {"message": "Already in Pickup Queue."})
    event = "PICKUP RESCHEDULED" if shipment.pickup_scheduled_at is not None else "PICKUP SCHEDULED"
    shipment.pickup_scheduled_at = next_pickup_day(now, wanted)
    shipment.pickup_generated_at = now
    stamp = ist(shipment.pickup_scheduled_at).strftime("%d%m%Y")
    courier = COURIERS_BY_ID[shipment.courier_id or 0]
    shipment.pickup_token = (
        f"Reference No: {next(ids.pickup_token)}_{courier.name.split()[0].upper()} {shipment.id}_{stamp}"
    )
    scan = lifecycle.apply(order, shipment, event, now, ids)
    return order, shipment, Moved(order, shipment, scan)


def php_error(settings: Settings, body: dict[str, Any], field: str, message: str) -> SandboxError:
    """The documented PHP 500 when ``php_errors`` is on, else a 422 naming the field."""
    if settings.php_errors:
        return SandboxError(500, body)
    return validation.fail({field: [message]})


def cancel_orders(
    account: Account, data: dict[str, Any], ids: Ids, now: datetime, settings: Settings | None = None
) -> list[Moved]:
    """``POST /orders/cancel``: all or nothing; refused once any shipment has been picked up."""
    settings = settings or Settings()
    raw = data.get("ids")
    if raw in (None, "", []):
        raise validation.fail({"ids": ["The ids field is required."]}, validation.MISSING)
    if not isinstance(raw, list):
        raise php_error(settings, FOREACH, "ids", "The ids must be an array.")
    orders: list[Order] = []
    for value in raw:
        oid = to_decimal(value)
        order = account.orders.get(int(oid)) if oid is not None and oid == oid.to_integral_value() else None
        if order is None:
            raise php_error(settings, NON_OBJECT, "ids", "The selected ids is invalid.")
        orders.append(order)
    for order in orders:
        shipment = account.shipments[order.shipment_id]
        if lifecycle.phase(shipment) in ("forward", "rto") or (
            lifecycle.phase(shipment) == "final" and shipment.status != 8
        ):
            raise SandboxError(
                400,
                {
                    "message": f"Order {order.channel_order_id} cannot be cancelled: the shipment has already "
                    "been picked up or shipped.",
                    "status_code": 400,
                },
            )
    moved: list[Moved] = []
    for order in orders:
        shipment = account.shipments[order.shipment_id]
        if shipment.status == 8:
            continue
        if shipment.awb is not None:
            refund = shipment.freight + shipment.cod_charges
            account.book(next(ids.ledger), now, "Freight reversal (order cancelled)", refund, order, shipment)
            moved.append(Moved(order, shipment, lifecycle.apply(order, shipment, "CANCELLED", now, ids)))
        shipment.status = 8
        order.status_code = 27 if order.is_return else 5
        shipment.updated_at = order.updated_at = now
    return moved


def cancel_awbs(account: Account, data: dict[str, Any], ids: Ids, now: datetime) -> list[str]:
    """``POST /orders/cancel/shipment/awbs``: frees the AWB; the order goes back to NEW."""
    raw = data.get("awbs")
    if raw in (None, "", []):
        raise validation.fail({"awbs": ["The awbs field is required."]}, validation.MISSING)
    if not isinstance(raw, list):
        raise validation.fail({"awbs": ["The awbs must be an array."]})
    wanted = {str(a).strip() for a in raw}
    released: list[str] = []
    for shipment in account.shipments.values():
        if shipment.awb in wanted and lifecycle.phase(shipment) == "booked":
            order = account.orders[shipment.order_id]
            refund = shipment.freight + shipment.cod_charges
            account.book(next(ids.ledger), now, "Freight reversal (AWB cancelled)", refund, order, shipment)
            released.append(shipment.awb)
            shipment.cancelled_awbs.append(shipment.awb)
            shipment.awb = shipment.courier_id = shipment.pickup_scheduled_at = shipment.pickup_token = None
            shipment.scans.clear()
            shipment.status = 0
            shipment.freight = shipment.cod_charges = Decimal(0)
            order.status_code = 21 if order.is_return else 1
            shipment.updated_at = order.updated_at = now
    return released


def advance(
    account: Account, order: Order, shipment: Shipment, name: str, at: datetime, ids: Ids, where: str | None = None
) -> Moved:
    """Apply a tracking event (checked by the caller); an RTO also bills the return freight."""
    scan = lifecycle.apply(order, shipment, name, at, ids, where)
    if name == "RTO INITIATED" and shipment.freight:
        account.book(next(ids.ledger), at, "RTO freight charges", -shipment.freight, order, shipment)
    return Moved(order, shipment, scan)


def id_list(data: dict[str, Any], key: str) -> list[Any]:
    raw = data.get(key)
    if raw in (None, "", []):
        raise validation.fail({key: [f"The {key.replace('_', ' ')} field is required."]})
    if not isinstance(raw, list):
        raise validation.fail({key: [f"The {key.replace('_', ' ')} must be an array."]})
    return raw


def shipments_among(account: Account, raw: list[Any]) -> list[tuple[Order, Shipment]]:
    found: list[tuple[Order, Shipment]] = []
    for value in raw:
        try:
            found.append(find_shipment(account, value))
        except SandboxError:
            continue
    return found
