"""Shipments: labels and marked-as-shipped records, voiding, rendering and the ``GET /shipments`` filters."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sandbox.shipstation import catalog
from sandbox.shipstation.formats import money, pacific, today_pacific
from sandbox.shipstation.orders import render_item
from sandbox.shipstation.query import DayWindow, Query, Window
from sandbox.shipstation.state import Ids, Order, Shipment

FAKE_LABEL = base64.b64encode(b"%PDF-1.4\n% ShipStation sandbox label\n%%EOF\n").decode()


def tracking_number(carrier: str | None, rng: random.Random) -> str:
    prefix = catalog.TRACKING_PREFIX.get(carrier or "", "")
    if prefix == "1Z":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    return prefix + "".join(rng.choice("0123456789") for _ in range(22 - len(prefix) if prefix else 12))


def rate(service: str | None, weight_oz: float) -> Decimal:
    """A plausible label cost: a base per service plus a per-pound step."""
    base = {"ground": Decimal("7.35"), "priority": Decimal("8.95"), "2nd_day": Decimal("18.40")}
    price = next((v for k, v in base.items() if service and k in service), Decimal("5.10"))
    pounds = max(1, int(weight_oz // 16) + 1)
    return (price + Decimal("0.85") * (pounds - 1)).quantize(Decimal("0.01"))


def for_order(
    order: Order,
    *,
    ids: Ids,
    batch_id: int,
    now: datetime,
    carrier: str | None,
    service: str | None,
    package: str | None,
    tracking: str | None,
    cost: Decimal,
    ship_date: date | None,
    label: bool,
    confirmation: str | None = None,
) -> Shipment:
    """A shipment for an order: a bought label (``label``) or an externally shipped record (markasshipped)."""
    return Shipment(
        shipment_id=next(ids.shipment),
        batch_id=batch_id,
        order_id=order.order_id,
        order_key=order.order_key,
        order_number=order.order_number,
        customer_email=order.customer_email,
        user_id=order.user_id,
        create_date=now,
        ship_date=ship_date or today_pacific(now),
        cost=cost,
        insurance_cost=Decimal("0"),
        tracking_number=tracking,
        carrier_code=carrier,
        service_code=service,
        package_code=package or ("package" if label else None),
        confirmation=confirmation or order.text.get("confirmation") or "none",
        warehouse_id=order.advanced.get("warehouseId"),
        ship_to=dict(order.ship_to),
        weight=order.text.get("weight"),
        dimensions=order.text.get("dimensions"),
        insurance_options=order.text.get("insuranceOptions"),
        advanced=dict(order.advanced),
        items=[render_item(i) for i in order.items],
        label_data=FAKE_LABEL if label else None,
    )


def render(s: Shipment, with_items: bool, with_label: bool = False) -> dict[str, Any]:
    return {
        "shipmentId": s.shipment_id,
        "orderId": s.order_id,
        "orderKey": s.order_key,
        "userId": s.user_id,
        "customerEmail": s.customer_email,
        "orderNumber": s.order_number,
        "createDate": pacific(s.create_date),
        "shipDate": s.ship_date.isoformat(),
        "shipmentCost": money(s.cost),
        "insuranceCost": money(s.insurance_cost),
        "trackingNumber": s.tracking_number,
        "isReturnLabel": s.is_return_label,
        "batchNumber": None,
        "carrierCode": s.carrier_code,
        "serviceCode": s.service_code,
        "packageCode": s.package_code,
        "confirmation": s.confirmation,
        "warehouseId": s.warehouse_id,
        "voided": s.voided,
        "voidDate": pacific(s.void_date),
        "marketplaceNotified": s.marketplace_notified,
        "notifyErrorMessage": None,
        "shipTo": dict(s.ship_to) if s.ship_to else None,
        "weight": s.weight,
        "dimensions": s.dimensions,
        "insuranceOptions": s.insurance_options,
        "advancedOptions": {
            "billToParty": s.advanced.get("billToParty"),
            "billToAccount": s.advanced.get("billToAccount"),
            "billToPostalCode": s.advanced.get("billToPostalCode"),
            "billToCountryCode": s.advanced.get("billToCountryCode"),
            "storeId": s.advanced.get("storeId"),
        },
        "shipmentItems": [dict(i) for i in s.items] if with_items else None,
        "labelData": s.label_data if with_label else None,
        "formData": None,
    }


def label_answer(s: Shipment) -> dict[str, Any]:
    """What ``createlabel``/``createlabelfororder`` answer: the shipment with its label, and none of the
    detail ShipStation leaves out of that answer."""
    return {
        **render(s, with_items=False, with_label=True),
        "voidDate": None,
        "marketplaceNotified": False,
        "shipTo": None,
        "weight": None,
        "dimensions": None,
        "insuranceOptions": None,
        "advancedOptions": None,
    }


@dataclass(frozen=True)
class ShipmentFilter:
    recipient_name: str | None
    recipient_country: str | None
    order_number: str | None
    order_id: int | None
    carrier: str | None
    service: str | None
    tracking: str | None
    store_id: int | None
    batch: frozenset[int] | None
    created: Window
    voided: Window
    shipped: DayWindow

    @classmethod
    def parse(cls, q: Query, batches: dict[int, list[int]]) -> ShipmentFilter:
        batch_id = q.integer("batchId")
        return cls(
            recipient_name=_lower(q.text("recipientName")),
            recipient_country=_lower(q.text("recipientCountryCode")),
            order_number=q.text("orderNumber"),
            order_id=q.integer("orderId"),
            carrier=_lower(q.text("carrierCode")),
            service=_lower(q.text("serviceCode")),
            tracking=q.text("trackingNumber"),
            store_id=q.integer("storeId"),
            batch=None if batch_id is None else frozenset(batches.get(batch_id, ())),
            created=q.window("createDate"),
            voided=q.window("voidDate"),
            shipped=q.day_window("shipDate"),
        )

    def matches(self, s: Shipment) -> bool:
        to = s.ship_to or {}
        checks = (
            self.recipient_name is None or self.recipient_name in (to.get("name") or "").lower(),
            self.recipient_country is None or self.recipient_country == (to.get("country") or "").lower(),
            self.order_number is None or self.order_number == s.order_number,
            self.order_id is None or self.order_id == s.order_id,
            self.carrier is None or self.carrier == (s.carrier_code or "").lower(),
            self.service is None or self.service == (s.service_code or "").lower(),
            self.tracking is None or self.tracking == s.tracking_number,
            self.store_id is None or self.store_id == s.store_id,
            self.batch is None or s.shipment_id in self.batch,
        )
        return (
            all(checks)
            and self.created.holds(s.create_date)
            and self.voided.holds(s.void_date)
            and self.shipped.holds(s.ship_date)
        )


def sort_value(s: Shipment, field: str) -> Any:
    return {"shipDate": s.ship_date, "createDate": s.create_date}[field]


def _lower(value: str | None) -> str | None:
    return None if value is None else value.strip().lower()
