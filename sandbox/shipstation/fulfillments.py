"""Fulfillments (``GET /fulfillments``): orders shipped outside ShipStation, i.e. marked as shipped.

A view over the shipments ``markasshipped`` records (no label bought); ``fulfillmentId`` is that row's
shipment id. Filters: ``fulfillmentId``, ``orderId``, ``orderNumber``, ``trackingNumber``, ``recipientName``,
``createDate*``, ``shipDate*``, ``sortBy`` (``ShipDate``/``CreateDate``), ``sortDir``, ``page``, ``pageSize``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.shipstation.formats import pacific
from sandbox.shipstation.query import DayWindow, Query, Window
from sandbox.shipstation.state import Shipment


def is_fulfillment(s: Shipment) -> bool:
    return s.order_id is not None and s.label_data is None


def render(s: Shipment) -> dict[str, Any]:
    return {
        "fulfillmentId": s.shipment_id,
        "orderId": s.order_id,
        "orderNumber": s.order_number,
        "userId": s.user_id,
        "customerEmail": s.customer_email,
        "trackingNumber": s.tracking_number,
        "createDate": pacific(s.create_date),
        "shipDate": s.ship_date.isoformat(),
        "voidDate": pacific(s.void_date),
        "deliveryDate": None,
        "carrierCode": s.carrier_code,
        "sellerFillProviderId": None,
        "sellerFillProviderName": None,
        "fulfillmentProviderCode": None,
        "fulfillmentServiceCode": None,
        "fulfillmentFee": 0.0,
        "voidRequested": s.voided,
        "voided": s.voided,
        "marketplaceNotified": s.marketplace_notified,
        "notifyErrorMessage": None,
        "shipTo": dict(s.ship_to) if s.ship_to else None,
    }


@dataclass(frozen=True)
class FulfillmentFilter:
    fulfillment_id: int | None
    order_id: int | None
    order_number: str | None
    tracking: str | None
    recipient_name: str | None
    created: Window
    shipped: DayWindow

    @classmethod
    def parse(cls, q: Query) -> FulfillmentFilter:
        name = q.text("recipientName")
        return cls(
            fulfillment_id=q.integer("fulfillmentId"),
            order_id=q.integer("orderId"),
            order_number=q.text("orderNumber"),
            tracking=q.text("trackingNumber"),
            recipient_name=name.strip().lower() if name else None,
            created=q.window("createDate"),
            shipped=q.day_window("shipDate"),
        )

    def matches(self, s: Shipment) -> bool:
        return (
            is_fulfillment(s)
            and (self.fulfillment_id is None or self.fulfillment_id == s.shipment_id)
            and (self.order_id is None or self.order_id == s.order_id)
            and (self.order_number is None or self.order_number == s.order_number)
            and (self.tracking is None or self.tracking == s.tracking_number)
            and (self.recipient_name is None or self.recipient_name in ((s.ship_to or {}).get("name") or "").lower())
            and self.created.holds(s.create_date)
            and self.shipped.holds(s.ship_date)
        )
