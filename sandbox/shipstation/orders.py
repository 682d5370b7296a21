"""Orders: building an order from a ``createorder`` body (whole-order replace), rendering it, filtering lists.

Pure logic: callers pass the account, the id counters and "now"; nothing here touches HTTP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.shipstation import catalog
from sandbox.shipstation.formats import (
    BadValue,
    money,
    pacific,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_int,
    parse_money,
    parse_number,
)
from sandbox.shipstation.query import Query, Window
from sandbox.shipstation.state import Account, Ids, Item, Order

ADDRESS_FIELDS = ("name", "company", "street1", "street2", "street3", "city", "state", "postalCode", "country", "phone")
TEXT_FIELDS = (
    "customerNotes",
    "internalNotes",
    "giftMessage",
    "paymentMethod",
    "requestedShippingService",
    "carrierCode",
    "serviceCode",
    "packageCode",
    "externallyFulfilledBy",
    "externallyFulfilledById",
    "externallyFulfilledByName",
    "labelMessages",
)
ADVANCED_DEFAULTS: dict[str, Any] = {
    "warehouseId": None,
    "nonMachinable": False,
    "saturdayDelivery": False,
    "containsAlcohol": False,
    "mergedOrSplit": False,
    "mergedIds": [],
    "parentId": None,
    "storeId": None,
    "customField1": None,
    "customField2": None,
    "customField3": None,
    "source": None,
    "billToParty": None,
    "billToAccount": None,
    "billToPostalCode": None,
    "billToCountryCode": None,
    "billToMyOtherAccount": None,
}
ADVANCED_BOOLS = ("nonMachinable", "saturdayDelivery", "containsAlcohol")
READ_ONLY_ADVANCED = ("mergedOrSplit", "mergedIds")


@dataclass
class Invalid(Exception):
    """A field of an order body the API refuses; ``field`` is the ModelState key below ``apiOrder``."""

    field: str
    reason: str

    def __str__(self) -> str:
        return self.reason


# ------------------------------------------------------------------------------------------ building
def address(raw: Any, field: str, verified: str | None) -> dict[str, Any]:
    if raw is None:
        raise Invalid(field, f"The {field} field is required.")
    if not isinstance(raw, dict):
        raise Invalid(field, f"Error converting value to type 'Address' for {field}.")
    out: dict[str, Any] = {}
    for name in ADDRESS_FIELDS:
        value = raw.get(name)
        out[name] = None if value is None else str(value)
    try:
        out["residential"] = parse_bool(raw.get("residential"))
    except BadValue:
        raise Invalid(f"{field}.residential", "Invalid value for residential.") from None
    out["addressVerified"] = verified if out.get("street1") else None
    return out


def weight(raw: Any, field: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Invalid(field, f"Error converting value to type 'Weight' for {field}.")
    units = raw.get("units")
    if units is not None and str(units).lower() not in catalog.WEIGHT_UNITS:
        raise Invalid(f"{field}.units", f"The value '{units}' is not valid for units.")
    try:
        value = parse_number(raw.get("value"))
    except BadValue:
        raise Invalid(f"{field}.value", f"The value '{raw.get('value')}' is not valid for value.") from None
    unit_name = str(units).lower() if units is not None else "ounces"
    return {"value": value or 0.0, "units": unit_name, "WeightUnits": catalog.WEIGHT_UNITS[unit_name]}


def dimensions(raw: Any, field: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Invalid(field, f"Error converting value to type 'Dimensions' for {field}.")
    units = raw.get("units")
    if units is not None and str(units).lower() not in catalog.DIMENSION_UNITS:
        raise Invalid(f"{field}.units", f"The value '{units}' is not valid for units.")
    out: dict[str, Any] = {"units": None if units is None else str(units).lower()}
    for side in ("length", "width", "height"):
        try:
            out[side] = parse_number(raw.get(side))
        except BadValue:
            raise Invalid(f"{field}.{side}", f"The value '{raw.get(side)}' is not valid for {side}.") from None
    return out


def _money(raw: dict[str, Any], name: str, field: str) -> Decimal | None:
    try:
        return parse_money(raw.get(name))
    except BadValue:
        raise Invalid(field, f"Could not convert '{raw.get(name)}' to decimal: {name}.") from None


def _moment(raw: dict[str, Any], name: str) -> datetime | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    try:
        return parse_datetime(str(value))
    except BadValue:
        raise Invalid(name, f"Could not convert string to DateTime: {value}. Path '{name}'.") from None


def items(raw: Any, previous: list[Item], ids: Ids, now: datetime) -> list[Item]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Invalid("items", "Cannot deserialize the current JSON object into type 'List`1' for items.")
    by_key = {i.line_item_key: i for i in previous if i.line_item_key}
    out: list[Item] = []
    for n, entry in enumerate(raw):
        field = f"items[{n}]"
        if not isinstance(entry, dict):
            raise Invalid(field, f"Error converting value to type 'OrderItem' for {field}.")
        key = entry.get("lineItemKey")
        key = None if key is None else str(key)
        before = by_key.get(key) if key else None
        try:
            quantity = parse_int(entry.get("quantity"))
            product_id = parse_int(entry.get("productId"))
            adjustment = parse_bool(entry.get("adjustment")) or False
        except BadValue:
            raise Invalid(field, f"Error converting a value of {field}.") from None
        options = entry.get("options") or []
        if not isinstance(options, list):
            raise Invalid(f"{field}.options", "options must be a list of {name, value}.")
        out.append(
            Item(
                order_item_id=before.order_item_id if before else next(ids.item),
                line_item_key=key,
                sku=_str(entry.get("sku")),
                name=_str(entry.get("name")),
                image_url=_str(entry.get("imageUrl")),
                weight=weight(entry.get("weight"), f"{field}.weight"),
                quantity=quantity if quantity is not None else 1,
                unit_price=_money(entry, "unitPrice", f"{field}.unitPrice"),
                tax_amount=_money(entry, "taxAmount", f"{field}.taxAmount"),
                shipping_amount=_money(entry, "shippingAmount", f"{field}.shippingAmount"),
                warehouse_location=_str(entry.get("warehouseLocation")),
                options=[
                    {"name": _str(o.get("name")), "value": _str(o.get("value"))} for o in options if isinstance(o, dict)
                ],
                product_id=product_id,
                fulfillment_sku=_str(entry.get("fulfillmentSku")),
                adjustment=adjustment,
                upc=_str(entry.get("upc")),
                create_date=before.create_date if before else now,
                modify_date=now,
            )
        )
    return out


def advanced(raw: Any, account: Account) -> dict[str, Any]:
    if raw is not None and not isinstance(raw, dict):
        raise Invalid("advancedOptions", "Error converting value to type 'AdvancedOptions'.")
    given = raw or {}
    out = dict(ADVANCED_DEFAULTS)
    out["mergedIds"] = []
    for key in ADVANCED_DEFAULTS:
        if key in given and key not in READ_ONLY_ADVANCED:
            out[key] = given[key]
    for key in ADVANCED_BOOLS:
        try:
            out[key] = parse_bool(out[key]) or False
        except BadValue:
            raise Invalid(f"advancedOptions.{key}", f"The value '{out[key]}' is not valid for {key}.") from None
    for key in ("warehouseId", "storeId", "parentId"):
        try:
            out[key] = parse_int(out[key])
        except BadValue:
            raise Invalid(f"advancedOptions.{key}", f"The value '{out[key]}' is not valid for {key}.") from None
    if out["storeId"] is None:
        out["storeId"] = next(iter(account.stores))
    elif out["storeId"] not in account.stores:
        raise Invalid("advancedOptions.storeId", f"Invalid storeId: {out['storeId']}.")
    if out["warehouseId"] is None:
        out["warehouseId"] = account.seller_id * 10 + 1
    for key in ("customField1", "customField2", "customField3", "source"):
        out[key] = _str(out[key])
    return out


def build(body: Any, account: Account, ids: Ids, now: datetime, existing: Order | None) -> Order:
    """The order a ``createorder`` body describes; ``existing`` is replaced whole (omitted fields clear)."""
    if not isinstance(body, dict):
        raise Invalid("", "The request body must be an order object.")
    number = body.get("orderNumber")
    if number is None or str(number).strip() == "":
        raise Invalid("orderNumber", "The orderNumber field is required.")
    if len(str(number)) > 50:
        raise Invalid("orderNumber", "The field orderNumber must be a string with a maximum length of 50.")
    order_date = _moment(body, "orderDate")
    if order_date is None:
        raise Invalid("orderDate", "The orderDate field is required.")
    status = body.get("orderStatus")
    if status is None:
        raise Invalid("orderStatus", "The orderStatus field is required.")
    if status not in catalog.ORDER_STATUSES:
        raise Invalid("orderStatus", f"The value '{status}' is not valid for orderStatus.")
    confirmation = body.get("confirmation")
    if confirmation is not None and confirmation not in catalog.CONFIRMATIONS:
        raise Invalid("confirmation", f"The value '{confirmation}' is not valid for confirmation.")
    key = body.get("orderKey")
    order_key = str(key) if key not in (None, "") else (existing.order_key if existing else uuid.uuid4().hex)
    ship_date = hold_until = None
    try:
        if body.get("shipDate"):
            ship_date = parse_date(str(body["shipDate"]))
        if body.get("holdUntilDate"):
            hold_until = parse_date(str(body["holdUntilDate"]))
    except BadValue:
        raise Invalid("shipDate", "Could not convert string to DateTime.") from None
    tag_ids = body.get("tagIds") or []
    if not isinstance(tag_ids, list) or not all(isinstance(t, int) for t in tag_ids):
        raise Invalid("tagIds", "tagIds must be a list of integers.")
    text: dict[str, Any] = {name: _str(body.get(name)) for name in TEXT_FIELDS}
    text["confirmation"] = confirmation or "none"
    text["gift"] = _flag(body, "gift")
    text["externallyFulfilled"] = _flag(body, "externallyFulfilled")
    text["weight"] = weight(body.get("weight"), "weight")
    text["dimensions"] = dimensions(body.get("dimensions"), "dimensions")
    text["insuranceOptions"] = _dict_or_none(body.get("insuranceOptions"), "insuranceOptions")
    text["internationalOptions"] = _dict_or_none(body.get("internationalOptions"), "internationalOptions")
    verified = catalog.ADDRESS_NOT_VALIDATED
    return Order(
        order_id=existing.order_id if existing else next(ids.order),
        order_number=str(number),
        order_key=order_key,
        order_date=order_date,
        create_date=existing.create_date if existing else now,
        modify_date=now,
        payment_date=_moment(body, "paymentDate"),
        ship_by_date=_moment(body, "shipByDate"),
        status=status,
        customer_username=_str(body.get("customerUsername")),
        customer_email=_str(body.get("customerEmail")),
        bill_to=address(body.get("billTo"), "billTo", None),
        ship_to=address(body.get("shipTo"), "shipTo", verified),
        items=items(body.get("items"), existing.items if existing else [], ids, now),
        amount_paid=_money(body, "amountPaid", "amountPaid"),
        tax_amount=_money(body, "taxAmount", "taxAmount"),
        shipping_amount=_money(body, "shippingAmount", "shippingAmount"),
        ship_date=ship_date,
        hold_until=hold_until,
        text=text,
        advanced=advanced(body.get("advancedOptions"), account),
        tag_ids=list(tag_ids),
        user_id=_str(body.get("userId")),
    )


def _flag(raw: dict[str, Any], name: str) -> bool:
    try:
        return bool(parse_bool(raw.get(name)))
    except BadValue:
        raise Invalid(name, f"The value '{raw.get(name)}' is not valid for {name}.") from None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _dict_or_none(value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(field, f"Error converting value to type for {field}.")
    return dict(value)


# ----------------------------------------------------------------------------------------- rendering
def total(order: Order) -> Decimal:
    subtotal = sum(((i.unit_price or Decimal(0)) * i.quantity for i in order.items), Decimal(0))
    return subtotal + (order.tax_amount or Decimal(0)) + (order.shipping_amount or Decimal(0))


def render_item(item: Item) -> dict[str, Any]:
    return {
        "orderItemId": item.order_item_id,
        "lineItemKey": item.line_item_key,
        "sku": item.sku,
        "name": item.name,
        "imageUrl": item.image_url,
        "weight": item.weight,
        "quantity": item.quantity,
        "unitPrice": money(item.unit_price),
        "taxAmount": money(item.tax_amount),
        "shippingAmount": money(item.shipping_amount),
        "warehouseLocation": item.warehouse_location,
        "options": [dict(o) for o in item.options],
        "productId": item.product_id,
        "fulfillmentSku": item.fulfillment_sku,
        "adjustment": item.adjustment,
        "upc": item.upc,
        "createDate": pacific(item.create_date),
        "modifyDate": pacific(item.modify_date),
    }


def render(order: Order) -> dict[str, Any]:
    t = order.text
    return {
        "orderId": order.order_id,
        "orderNumber": order.order_number,
        "orderKey": order.order_key,
        "orderDate": pacific(order.order_date),
        "createDate": pacific(order.create_date),
        "modifyDate": pacific(order.modify_date),
        "paymentDate": pacific(order.payment_date),
        "shipByDate": pacific(order.ship_by_date),
        "orderStatus": order.status,
        "customerId": order.customer_id,
        "customerUsername": order.customer_username,
        "customerEmail": order.customer_email,
        "billTo": dict(order.bill_to),
        "shipTo": dict(order.ship_to),
        "items": [render_item(i) for i in order.items],
        "orderTotal": money(total(order)),
        "amountPaid": money(order.amount_paid) if order.amount_paid is not None else 0.0,
        "taxAmount": money(order.tax_amount) if order.tax_amount is not None else 0.0,
        "shippingAmount": money(order.shipping_amount) if order.shipping_amount is not None else 0.0,
        "customerNotes": t.get("customerNotes"),
        "internalNotes": t.get("internalNotes"),
        "gift": t.get("gift", False),
        "giftMessage": t.get("giftMessage"),
        "paymentMethod": t.get("paymentMethod"),
        "requestedShippingService": t.get("requestedShippingService"),
        "carrierCode": t.get("carrierCode"),
        "serviceCode": t.get("serviceCode"),
        "packageCode": t.get("packageCode"),
        "confirmation": t.get("confirmation", "none"),
        "shipDate": order.ship_date.isoformat() if order.ship_date else None,
        "holdUntilDate": order.hold_until.isoformat() if order.hold_until else None,
        "weight": t.get("weight") or {"value": 0.0, "units": "ounces", "WeightUnits": 1},
        "dimensions": t.get("dimensions"),
        "insuranceOptions": t.get("insuranceOptions")
        or {"provider": None, "insureShipment": False, "insuredValue": 0.0},
        "internationalOptions": t.get("internationalOptions")
        or {"contents": None, "customsItems": None, "nonDelivery": None},
        "advancedOptions": {**order.advanced, "mergedIds": list(order.advanced.get("mergedIds") or [])},
        "tagIds": list(order.tag_ids) or None,
        "userId": order.user_id,
        "externallyFulfilled": t.get("externallyFulfilled", False),
        "externallyFulfilledBy": t.get("externallyFulfilledBy"),
        "externallyFulfilledById": t.get("externallyFulfilledById"),
        "externallyFulfilledByName": t.get("externallyFulfilledByName"),
        "labelMessages": t.get("labelMessages"),
    }


# ------------------------------------------------------------------------------------------ listing
@dataclass(frozen=True)
class OrderFilter:
    """The ``GET /orders`` filters, parsed once per request."""

    customer_name: str | None
    item_keyword: str | None
    customs_country: str | None
    order_number: str | None
    status: str | None
    store_id: int | None
    batch: frozenset[int] | None
    tag_id: int | None
    created: Window
    modified: Window
    ordered: Window
    paid: Window

    @classmethod
    def parse(cls, q: Query, batches: dict[str, list[int]]) -> OrderFilter:
        batch = q.text("importBatch")
        return cls(
            customer_name=_lower(q.text("customerName")),
            item_keyword=_lower(q.text("itemKeyword")),
            customs_country=_lower(q.text("customsCountryCode")),
            order_number=_lower(q.text("orderNumber")),
            status=q.choice("orderStatus", catalog.ORDER_STATUSES),
            store_id=q.integer("storeId"),
            batch=None if batch is None else frozenset(batches.get(batch.strip(), ())),
            tag_id=q.integer("tagId"),
            created=q.window("createDate"),
            modified=q.window("modifyDate"),
            ordered=q.window("orderDate"),
            paid=q.window("paymentDate"),
        )

    def matches(self, o: Order) -> bool:
        if self.status is not None and o.status != self.status:
            return False
        if self.store_id is not None and o.store_id != self.store_id:
            return False
        if self.batch is not None and o.order_id not in self.batch:
            return False
        if self.tag_id is not None and self.tag_id not in o.tag_ids:
            return False
        if self.order_number is not None and not o.order_number.lower().startswith(self.order_number):
            return False
        if self.customer_name is not None:
            names = [(o.bill_to.get("name") or "").lower(), (o.ship_to.get("name") or "").lower()]
            if not any(self.customer_name in n for n in names):
                return False
        if self.item_keyword is not None:
            words = [f"{i.sku or ''} {i.name or ''}".lower() for i in o.items]
            if not any(self.item_keyword in w for w in words):
                return False
        if self.customs_country is not None and (o.ship_to.get("country") or "").lower() != self.customs_country:
            return False
        return (
            self.modified.holds(o.modify_date)
            and self.created.holds(o.create_date)
            and self.ordered.holds(o.order_date)
            and self.paid.holds(o.payment_date)
        )


def sort_value(order: Order, field: str) -> Any:
    return {"orderDate": order.order_date, "modifyDate": order.modify_date, "createDate": order.create_date}[field]


def _lower(value: str | None) -> str | None:
    return None if value is None else value.strip().lower()
