"""ShipStation V1 orders and shipments as the ShipStation → Zoho Books flow reads them, and the Books bodies made
from them (pure: no I/O).

ShipStation V1 prints every instant as US Pacific wall time with no offset; here they become aware UTC
instants at once (``from_pacific``) and go back to Pacific only in a filter (``to_pacific``). A wall time in
the repeated fall-back hour names two instants; like ShipStation's own order bodies, the earlier (PDT)
reading is taken, and the poll's overlap window covers the hour either way.

Money is Decimal from the JSON text on (``json.loads(..., parse_float=Decimal)``); a Books invoice's total is
its lines plus ``shipping_charge`` plus ``adjustment``, so the order's tax and any negative (discount) lines
go into the adjustment and the invoice total equals the ShipStation order total to the cent.

A foreign-currency order (V1 has no currency field: the seller marks it ``currency:GBP`` in
``advancedOptions.customField1``) is converted at the tenant's documented rate, the rounding of the
converted lines absorbed by the adjustment so the invoice total is ``round(order total * rate, 2)``; with no
rate it cannot be booked (``Unbookable``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
CENT = Decimal("0.01")
ZERO = Decimal(0)
CURRENCY_MARK = re.compile(r"^\s*currency\s*:\s*([A-Za-z]{3})\s*$")
_WALL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$")

CHANNEL_KEY = "cf_channel_order_id"
"""The Books invoice custom field that holds the order's identity (unique per organisation)."""
CUSTOMER_KEY = "cf_external_customer_id"
"""The Books contact custom field that marks a contact made from ShipStation (``ss:<email>``)."""
TRACKING_FIELD = "cf_awb_number"
CARRIER_FIELD = "cf_courier_partner"


class Unbookable(ValueError):
    """The order or shipment cannot become a Books record as it is; the message says which field and why."""


# --------------------------------------------------------------------------------------------------- time
def from_pacific(text: Any, field: str = "date", *, after: datetime | None = None) -> datetime:
    """A V1 wall time (``2026-03-08T01:59:00.0000000``) → the aware UTC instant. A wall time of the repeated
    fall-back hour reads as PDT, unless ``after`` (the instant of the row before it in a list sorted by this
    field, ascending) shows it must be the second, PST, reading."""
    match = _WALL.match(str(text or "").strip())
    if not match:
        raise Unbookable(f"{field}: {text!r} is not a ShipStation date and time")
    y, mo, d, h, mi, s, frac = match.groups()
    micro = int((frac or "0").ljust(7, "0")[:6])
    wall = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), micro, tzinfo=PACIFIC)
    early = wall.astimezone(UTC)
    if after is not None and early < after:
        late = wall.replace(fold=1).astimezone(UTC)
        if late != early and late >= after:
            return late
    return early


def to_pacific(moment: datetime) -> str:
    """An instant as a V1 filter value: Pacific wall time, ``yyyy-mm-dd hh:mm:ss``."""
    return moment.astimezone(PACIFIC).strftime("%Y-%m-%d %H:%M:%S")


def pacific_day(moment: datetime) -> date:
    return moment.astimezone(PACIFIC).date()


def version(moment: datetime) -> str:
    """A fixed-width UTC stamp, so versions of one order sort as text in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -------------------------------------------------------------------------------------------------- money
def amount(value: Any, field: str) -> Decimal:
    if value is None or value == "":
        return ZERO
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Unbookable(f"{field}: {value!r} is not an amount") from None
    if not number.is_finite():
        raise Unbookable(f"{field}: {value!r} is not an amount")
    return number


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# -------------------------------------------------------------------------------------------------- orders
@dataclass(frozen=True)
class Line:
    name: str
    sku: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class Order:
    order_id: str
    order_key: str
    number: str
    status: str
    modified_at: datetime
    ordered_at: datetime
    email: str
    customer_name: str
    currency: str | None
    """None: the order carries no currency mark (the tenant's ShipStation currency)."""
    lines: tuple[Line, ...]
    shipping: Decimal
    tax: Decimal
    total: Decimal

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def source(self) -> str:
        """This version's record: one per order and modifyDate, so an edit is a record of its own."""
        return f"shipstation_order:{self.order_id}@{version(self.modified_at)}"


def parse_order(raw: Mapping[str, Any], *, after: datetime | None = None) -> Order:
    """``after``: the modifyDate instant of the order listed before this one (see ``from_pacific``)."""
    if not isinstance(raw, Mapping) or raw.get("orderId") in (None, ""):
        raise Unbookable("orderId: missing; this is not a ShipStation order")
    oid = str(raw["orderId"])
    where = f"order {oid}"
    items = raw.get("items") or []
    if not isinstance(items, list):
        raise Unbookable(f"{where}: items is not a list")
    lines = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise Unbookable(f"{where}: items[{n}] is not an item")
        quantity = amount(item.get("quantity"), f"{where}: items[{n}].quantity")
        if quantity <= 0:
            continue
        name = str(item.get("name") or item.get("sku") or f"Item {n}").strip()
        lines.append(
            Line(name, str(item.get("sku") or ""), quantity, amount(item.get("unitPrice"), f"{where}: items[{n}]"))
        )
    mark = CURRENCY_MARK.match(str((raw.get("advancedOptions") or {}).get("customField1") or ""))
    return Order(
        order_id=oid,
        order_key=str(raw.get("orderKey") or oid),
        number=str(raw.get("orderNumber") or oid),
        status=str(raw.get("orderStatus") or ""),
        modified_at=from_pacific(raw.get("modifyDate"), f"{where}: modifyDate", after=after),
        ordered_at=from_pacific(raw.get("orderDate") or raw.get("createDate"), f"{where}: orderDate"),
        email=str(raw.get("customerEmail") or "").strip().lower(),
        customer_name=_customer_name(raw),
        currency=mark.group(1).upper() if mark else None,
        lines=tuple(lines),
        shipping=amount(raw.get("shippingAmount"), f"{where}: shippingAmount"),
        tax=amount(raw.get("taxAmount"), f"{where}: taxAmount"),
        total=amount(raw.get("orderTotal"), f"{where}: orderTotal"),
    )


def _customer_name(raw: Mapping[str, Any]) -> str:
    for value in ((raw.get("billTo") or {}).get("name"), (raw.get("shipTo") or {}).get("name")):
        if value and str(value).strip():
            return str(value).strip()
    return str(raw.get("customerUsername") or raw.get("customerEmail") or f"ShipStation order {raw.get('orderId')}")


def rate_for(order: Order, home: str, rates: Mapping[str, Decimal], unmarked: str = "USD") -> Decimal:
    """The rate that turns the order's amounts into the books' currency (1 when they are the same); an order
    with no currency mark is in ``unmarked`` (the ShipStation account's currency)."""
    currency = order.currency or unmarked
    if currency == home:
        return Decimal(1)
    if currency not in rates:
        raise Unbookable(
            f"order {order.number} is in {currency} and the books are in {home}; no exchange rate for {currency} "
            "is set (setting shipstation_books.exchange_rates)"
        )
    return rates[currency]


def invoice_body(order: Order, customer_id: str, rate: Decimal, home: str, unmarked: str = "USD") -> dict[str, Any]:
    """The Books invoice for the order as it is now (Decimal amounts; ``wire_json`` sends them)."""
    currency = order.currency or unmarked
    if not order.lines:
        raise Unbookable(f"order {order.number}: has no line with a quantity; there is nothing to invoice")
    target = cents(order.total * rate)
    lines: list[dict[str, Any]] = []
    listed, discounts = ZERO, ZERO
    for line in order.lines:
        if line.unit_price < 0:
            discounts += line.unit_price * line.quantity
            continue
        price = cents(line.unit_price * rate)
        listed += cents(price * line.quantity)
        lines.append(
            {
                "name": line.name[:200],
                "description": f"SKU {line.sku}" if line.sku else "",
                "rate": price,
                "quantity": line.quantity,
            }
        )
    if not lines:
        raise Unbookable(f"order {order.number}: every line is a discount; there is nothing to invoice")
    shipping = cents(order.shipping * rate)
    adjustment = target - listed - shipping
    notes = [f"ShipStation order {order.number} (id {order.order_id})."]
    if rate != 1:
        notes.append(f"Converted from {currency} {cents(order.total)} at {rate} {home} per {currency}.")
    parts = [p for p, v in (("tax", order.tax), ("discounts", discounts)) if v]
    return {
        "customer_id": customer_id,
        "date": pacific_day(order.ordered_at).isoformat(),
        "reference_number": order.number[:50],
        "line_items": lines,
        "shipping_charge": shipping,
        "adjustment": adjustment,
        "adjustment_description": ("ShipStation " + " and ".join(parts)) if parts else "Rounding",
        "notes": " ".join(notes),
        "custom_fields": [{"api_name": CHANNEL_KEY, "value": channel_key(order.order_key)}],
    }


def channel_key(order_key: str) -> str:
    """The invoice's identity in Books: the ShipStation order key, marked as ShipStation's."""
    return f"shipstation:{order_key}"[:100]


def contact_body(order: Order, taken: bool) -> dict[str, Any]:
    """A new Books contact for the order's customer; ``taken``: another contact has the name (Books names are
    unique), so the email tells them apart."""
    name = order.customer_name if not taken else f"{order.customer_name} ({order.email or order.order_id})"
    return {
        "contact_name": name[:200],
        "contact_type": "customer",
        "email": order.email,
        "custom_fields": [{"api_name": CUSTOMER_KEY, "value": customer_key(order.email or order.order_id)}],
    }


def customer_key(email: str) -> str:
    return f"ss:{email}"[:100]


# ------------------------------------------------------------------------------------------------ shipments
@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    order_id: str
    order_key: str
    order_number: str
    carrier: str
    service: str
    tracking: str
    cost: Decimal
    shipped_on: date
    voided: bool
    voided_on: date | None


def parse_shipment(raw: Mapping[str, Any]) -> Shipment:
    if not isinstance(raw, Mapping) or raw.get("shipmentId") in (None, ""):
        raise Unbookable("shipmentId: missing; this is not a ShipStation shipment")
    sid = str(raw["shipmentId"])
    where = f"shipment {sid}"
    cost = amount(raw.get("shipmentCost"), f"{where}: shipmentCost") + amount(
        raw.get("insuranceCost"), f"{where}: insuranceCost"
    )
    if cost < 0:
        raise Unbookable(f"{where}: shipmentCost is negative")
    created = raw.get("createDate")
    shipped = _day(raw.get("shipDate")) or (pacific_day(from_pacific(created)) if created else None)
    if shipped is None:
        raise Unbookable(f"{where}: has neither shipDate nor createDate")
    voided_on = _day(raw.get("voidDate")) if raw.get("voidDate") else None
    return Shipment(
        shipment_id=sid,
        order_id=str(raw.get("orderId") or ""),
        order_key=str(raw.get("orderKey") or raw.get("orderId") or ""),
        order_number=str(raw.get("orderNumber") or ""),
        carrier=str(raw.get("carrierCode") or ""),
        service=str(raw.get("serviceCode") or ""),
        tracking=str(raw.get("trackingNumber") or ""),
        cost=cents(cost),
        shipped_on=shipped,
        voided=bool(raw.get("voided")),
        voided_on=voided_on,
    )


def _day(value: Any) -> date | None:
    if not value:
        return None
    text = str(value).strip()
    if _WALL.match(text):
        return pacific_day(from_pacific(text))
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise Unbookable(f"{value!r} is not a date") from None


@dataclass(frozen=True)
class ShippingAccounts:
    expense: str
    paid_through: str


def journal_body(shipment: Shipment, accounts: ShippingAccounts, *, reverse: bool = False) -> dict[str, Any]:
    """The shipping cost as a journal entry (expense debited, the paying account credited); ``reverse`` undoes
    it for a voided label, dated the day of the void."""
    debit, credit = (accounts.paid_through, accounts.expense) if reverse else (accounts.expense, accounts.paid_through)
    label = f"{shipment.carrier} {shipment.tracking}".strip() or "no tracking number"
    what = f"{'Void of shipping' if reverse else 'Shipping'} for ShipStation order {shipment.order_number} ({label})"
    day = (shipment.voided_on or shipment.shipped_on) if reverse else shipment.shipped_on
    return {
        "journal_date": day.isoformat(),
        "reference_number": journal_reference(shipment, reverse),
        "notes": what,
        "line_items": [
            {"account_id": debit, "debit_or_credit": "debit", "amount": shipment.cost, "description": what},
            {"account_id": credit, "debit_or_credit": "credit", "amount": shipment.cost, "description": what},
        ],
    }


def journal_reference(shipment: Shipment, reverse: bool = False) -> str:
    return f"{'SS-VOID' if reverse else 'SS-SHIP'}-{shipment.shipment_id}"


def tracking_fields(
    invoice_fields: Mapping[str, str], shipment: Shipment, *, voided: bool = False
) -> list[dict[str, str]] | None:
    """The invoice's carrier and tracking custom fields after this shipment (None: nothing to change). A void
    clears them only when they still name the voided label."""
    if voided:
        if invoice_fields.get(TRACKING_FIELD) != shipment.tracking or not shipment.tracking:
            return None
        return [{"api_name": TRACKING_FIELD, "value": ""}, {"api_name": CARRIER_FIELD, "value": ""}]
    wanted = {TRACKING_FIELD: shipment.tracking, CARRIER_FIELD: shipment.carrier}
    if all(invoice_fields.get(k, "") == v for k, v in wanted.items()):
        return None
    return [{"api_name": k, "value": v} for k, v in wanted.items()]


def fields_of(record: Mapping[str, Any]) -> dict[str, str]:
    """A Books record's custom fields by api name (full records' list, or a list row's flattened ``cf_*``)."""
    found = {str(k): str(v) for k, v in record.items() if str(k).startswith("cf_") and v is not None}
    for cf in record.get("custom_fields") or ():
        if isinstance(cf, Mapping) and cf.get("api_name"):
            found[str(cf["api_name"])] = "" if cf.get("value") is None else str(cf["value"])
    return found
