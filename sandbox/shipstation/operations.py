"""What the V1 write endpoints do to an account: upsert orders, ship, label, void, hold, tag, delete.

Every change bumps the order's ``modifyDate`` to sandbox "now". New orders are grouped into import batches
(one per store) and new shipments into a numbered batch; each batch is announced to the account's webhook
subscriptions through ``publish``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sandbox.kit import Clock
from sandbox.shipstation import catalog, customers, orders, shipments, webhooks
from sandbox.shipstation.formats import BadValue, parse_date, parse_int, parse_money, today_pacific
from sandbox.shipstation.orders import Invalid
from sandbox.shipstation.state import Account, Ids, Order, Shipment
from sandbox.shipstation.webhooks import Notice


class Refused(Exception):
    """A request the API understands but refuses (ASP.NET "An error has occurred." body)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class Missing(Exception):
    """An id that names nothing in this account (404)."""


class Operations:
    def __init__(self, clock: Clock, base_url: Callable[[], str], publish: Callable[[list[Notice]], None]) -> None:
        self.clock = clock
        self.base_url = base_url
        self.publish = publish
        self.ids = Ids()
        self.rng = random.Random(20150629)

    def now(self) -> datetime:
        return self.clock.now()

    # ---------------------------------------------------------------------------------- lookups
    def order(self, account: Account, order_id: int) -> Order:
        found = account.orders.get(order_id)
        if found is None or not found.active:
            raise Missing(f"Order {order_id} not found.")
        return found

    def shipment(self, account: Account, shipment_id: int) -> Shipment:
        found = account.shipments.get(shipment_id)
        if found is None:
            raise Missing(f"Shipment {shipment_id} not found.")
        return found

    # ----------------------------------------------------------------------------------- orders
    def upsert(
        self, account: Account, body: Any, *, import_now: bool = True, force: bool = False
    ) -> tuple[Order, bool]:
        """``createorder``: update the order named by ``orderKey`` (then ``orderId``) or create one."""
        if not isinstance(body, dict):
            raise Invalid("", "The request body must be an order object.")
        existing: Order | None = None
        key = body.get("orderKey")
        if key not in (None, ""):
            existing_id = account.order_keys.get(str(key))
            existing = account.orders.get(existing_id) if existing_id else None
        if existing is None and body.get("orderId") not in (None, "", 0):
            try:
                order_id = parse_int(body.get("orderId"))
            except BadValue:
                raise Invalid("orderId", f"The value '{body.get('orderId')}' is not valid for orderId.") from None
            existing = account.orders.get(order_id or 0)
            if existing is None:
                raise Refused(f"Order {order_id} not found.")
        if existing is not None and not existing.active:
            if key in (None, ""):
                raise Refused(f"Order {existing.order_id} has been deleted.")
            account.order_keys.pop(existing.order_key, None)
            existing = None
        if existing is not None and not force and existing.status not in catalog.OPEN_STATUSES:
            raise Refused(
                f"Order {existing.order_id} is in status '{existing.status}'; only open orders "
                "(awaiting_payment, awaiting_shipment, on_hold) can be updated."
            )
        now = self.now()
        order = orders.build(body, account, self.ids, now, existing)
        if existing is not None and existing.order_key != order.order_key:
            account.order_keys.pop(existing.order_key, None)
        account.orders[order.order_id] = order
        account.order_keys[order.order_key] = order.order_id
        customers.link(account, order, self.ids, now)
        if existing is None:
            if import_now:
                self.imported(account, [order])
        elif order.status == "rejected_fulfillment" and existing.status != "rejected_fulfillment":
            self.rejected(account, order)
        return order, existing is None

    def imported(self, account: Account, new: list[Order], *, announce: bool = True) -> list[str]:
        """Group new orders into one import batch per store and announce each batch."""
        by_store: dict[int | None, list[Order]] = {}
        for order in new:
            by_store.setdefault(order.store_id, []).append(order)
        batches = []
        for store_id, group in by_store.items():
            batch = str(uuid.uuid4())
            account.import_batches[batch] = [o.order_id for o in group]
            batches.append(batch)
            if announce:
                self.publish(webhooks.notices(account, self.base_url(), catalog.ORDER_EVENTS, batch, {store_id}))
        return batches

    def rejected(self, account: Account, order: Order) -> None:
        batch = str(uuid.uuid4())
        account.import_batches[batch] = [order.order_id]
        self.publish(webhooks.notices(account, self.base_url(), ("FULFILLMENT_REJECTED",), batch, {order.store_id}))

    def ship_batch(self, account: Account, shipment_ids: list[int] | None = None) -> int:
        """A new shipment batch (what ``/shipments?batchId=`` selects)."""
        batch_id = next(self.ids.ship_batch)
        account.ship_batches[batch_id] = list(shipment_ids or [])
        return batch_id

    def touch(self, order: Order, status: str | None = None) -> None:
        if status is not None:
            order.status = status
        order.modify_date = self.now()

    def release_holds(self, account: Account) -> int:
        """Orders held until a date that has come (Pacific calendar) go back to awaiting_shipment, as
        ShipStation releases them; checked lazily before each API call. Returns how many were released."""
        today = today_pacific(self.now())
        due = [
            o
            for o in account.orders.values()
            if o.status == "on_hold" and o.hold_until is not None and o.hold_until <= today and o.active
        ]
        for order in due:
            order.hold_until = None
            self.touch(order, "awaiting_shipment")
        return len(due)

    def hold(self, account: Account, body: Any) -> Order:
        order = self.order(account, self._id(body, "orderId"))
        raw = body.get("holdUntilDate")
        if raw in (None, ""):
            raise Invalid("holdUntilDate", "The holdUntilDate field is required.")
        try:
            order.hold_until = parse_date(str(raw))
        except BadValue:
            raise Invalid("holdUntilDate", f"The value '{raw}' is not valid for holdUntilDate.") from None
        self.touch(order, "on_hold")
        return order

    def restore(self, account: Account, body: Any) -> Order:
        order = self.order(account, self._id(body, "orderId"))
        order.hold_until = None
        self.touch(order, "awaiting_shipment")
        return order

    def tag(self, account: Account, body: Any, add: bool) -> Order:
        order = self.order(account, self._id(body, "orderId"))
        tag_id = self._id(body, "tagId")
        if add and tag_id not in order.tag_ids:
            order.tag_ids.append(tag_id)
        elif not add and tag_id in order.tag_ids:
            order.tag_ids.remove(tag_id)
        self.touch(order)
        return order

    def assign(self, account: Account, body: Any, user: str | None) -> list[Order]:
        raw = body.get("orderIds") if isinstance(body, dict) else None
        if not isinstance(raw, list) or not raw:
            raise Invalid("orderIds", "The orderIds field is required.")
        found = [self.order(account, self._int(v, "orderIds")) for v in raw]
        for order in found:
            order.user_id = user
            self.touch(order)
        return found

    def delete(self, account: Account, order_id: int) -> Order:
        order = self.order(account, order_id)
        order.active = False
        self.touch(order)
        return order

    def edit(self, account: Account, order: Order, fields: dict[str, Any]) -> Order:
        """Admin edit: merge ``fields`` into the order (top level, nested dicts merged) and bump modifyDate."""
        current = orders.render(order)
        for name, value in fields.items():
            if isinstance(value, dict) and isinstance(current.get(name), dict):
                current[name] = {**current[name], **value}
            else:
                current[name] = value
        keep = {"orderDate": "order_date", "paymentDate": "payment_date", "shipByDate": "ship_by_date"}
        saved = {attr: getattr(order, attr) for attr in keep.values()}
        ship_to, bill_to = dict(order.ship_to), dict(order.bill_to)
        updated, _ = self.upsert(account, current, import_now=False, force=True)
        for name, attr in keep.items():
            if name not in fields:
                setattr(updated, attr, saved[attr])
        if "shipTo" not in fields:
            updated.ship_to = ship_to
        if "billTo" not in fields:
            updated.bill_to = bill_to
        return updated

    # -------------------------------------------------------------------------------- shipments
    def mark_shipped(self, account: Account, body: Any) -> Shipment:
        order = self.order(account, self._id(body, "orderId"))
        carrier = body.get("carrierCode")
        if carrier in (None, ""):
            raise Invalid("carrierCode", "The carrierCode field is required.")
        if order.status in ("cancelled",):
            raise Refused(f"Order {order.order_id} is cancelled and cannot be marked as shipped.")
        ship_date = self._date(body, "shipDate")
        shipment = self._ship(
            account,
            order,
            carrier=str(carrier),
            service=None,
            package=None,
            tracking=_opt_str(body.get("trackingNumber")),
            cost=Decimal("0"),
            ship_date=ship_date,
            label=False,
        )
        shipment.marketplace_notified = bool(body.get("notifySalesChannel"))
        return shipment

    def label_for_order(self, account: Account, body: Any) -> Shipment:
        order = self.order(account, self._id(body, "orderId"))
        carrier, service = self._carrier(body)
        if order.status in ("cancelled", "shipped"):
            raise Refused(f"Order {order.order_id} is {order.status}; a label cannot be created for it.")
        weight_oz = _ounces(order.text.get("weight"))
        return self._ship(
            account,
            order,
            carrier=carrier,
            service=service,
            package=_opt_str(body.get("packageCode")),
            tracking=shipments.tracking_number(carrier, self.rng),
            cost=shipments.rate(service, weight_oz),
            ship_date=self._date(body, "shipDate"),
            label=True,
            confirmation=_opt_str(body.get("confirmation")),
        )

    def label(self, account: Account, body: Any) -> Shipment:
        """``/shipments/createlabel``: a label not tied to an order (``orderId`` null)."""
        if not isinstance(body, dict):
            raise Invalid("", "The request body must be a label object.")
        carrier, service = self._carrier(body)
        for required in ("packageCode", "shipDate", "weight", "shipFrom", "shipTo"):
            if body.get(required) in (None, ""):
                raise Invalid(required, f"The {required} field is required.")
        ship_to = orders.address(body.get("shipTo"), "shipTo", catalog.ADDRESS_NOT_VALIDATED)
        orders.address(body.get("shipFrom"), "shipFrom", None)
        weight = orders.weight(body.get("weight"), "weight")
        raw_advanced = body.get("advancedOptions")
        advanced: dict[str, Any] = raw_advanced if isinstance(raw_advanced, dict) else {}
        store_id = advanced.get("storeId") if isinstance(advanced.get("storeId"), int) else None
        now = self.now()
        batch_id = self.ship_batch(account)
        shipment = Shipment(
            shipment_id=next(self.ids.shipment),
            batch_id=batch_id,
            order_id=None,
            order_key=None,
            order_number=None,
            customer_email=None,
            user_id=None,
            create_date=now,
            ship_date=self._date(body, "shipDate") or today_pacific(now),
            cost=shipments.rate(service, _ounces(weight)),
            insurance_cost=Decimal("0"),
            tracking_number=shipments.tracking_number(carrier, self.rng),
            carrier_code=carrier,
            service_code=service,
            package_code=_opt_str(body.get("packageCode")),
            confirmation=_opt_str(body.get("confirmation")) or "none",
            warehouse_id=None,
            ship_to=ship_to,
            weight=weight,
            dimensions=orders.dimensions(body.get("dimensions"), "dimensions"),
            insurance_options=body.get("insuranceOptions") if isinstance(body.get("insuranceOptions"), dict) else None,
            advanced={"storeId": store_id},
            items=[],
            label_data=shipments.FAKE_LABEL,
        )
        account.shipments[shipment.shipment_id] = shipment
        account.ship_batches[batch_id].append(shipment.shipment_id)
        self.publish(webhooks.notices(account, self.base_url(), catalog.SHIP_EVENTS, batch_id, {store_id}))
        return shipment

    def ship(
        self,
        account: Account,
        order: Order,
        *,
        label: bool,
        carrier: str,
        service: str | None,
        tracking: str | None,
        cost: Decimal | None,
    ) -> Shipment:
        """Admin: ship an order (a bought label, or marked as shipped), whatever its status."""
        return self._ship(
            account,
            order,
            carrier=carrier,
            service=service,
            package="package" if label else None,
            tracking=tracking or shipments.tracking_number(carrier, self.rng),
            cost=cost
            if cost is not None
            else (shipments.rate(service, _ounces(order.text.get("weight"))) if label else Decimal(0)),
            ship_date=None,
            label=label,
        )

    def void(self, account: Account, shipment: Shipment) -> Shipment:
        if shipment.voided:
            raise Refused(f"Shipment {shipment.shipment_id} has already been voided.")
        now = self.now()
        shipment.voided = True
        shipment.void_date = now
        order = account.orders.get(shipment.order_id or 0)
        if order is not None:
            live = [s for s in account.shipments.values() if s.order_id == order.order_id and not s.voided]
            self.touch(order, "awaiting_shipment" if not live and order.status == "shipped" else None)
            if not live and order.status == "awaiting_shipment":
                order.ship_date = None
        return shipment

    def _ship(
        self,
        account: Account,
        order: Order,
        *,
        carrier: str,
        service: str | None,
        package: str | None,
        tracking: str | None,
        cost: Decimal,
        ship_date: date | None,
        label: bool,
        confirmation: str | None = None,
    ) -> Shipment:
        now = self.now()
        batch_id = self.ship_batch(account)
        shipment = shipments.for_order(
            order,
            ids=self.ids,
            batch_id=batch_id,
            now=now,
            carrier=carrier,
            service=service,
            package=package,
            tracking=tracking,
            cost=cost,
            ship_date=ship_date,
            label=label,
            confirmation=confirmation,
        )
        account.shipments[shipment.shipment_id] = shipment
        account.ship_batches[batch_id].append(shipment.shipment_id)
        order.ship_date = shipment.ship_date
        order.hold_until = None
        order.text["carrierCode"] = carrier
        if service:
            order.text["serviceCode"] = service
        self.touch(order, "shipped")
        self.publish(webhooks.notices(account, self.base_url(), catalog.SHIP_EVENTS, batch_id, {order.store_id}))
        return shipment

    # ---------------------------------------------------------------------------------- helpers
    def _int(self, value: Any, field: str) -> int:
        try:
            parsed = parse_int(value)
        except BadValue:
            raise Invalid(field, f"The value '{value}' is not valid for {field}.") from None
        if parsed is None:
            raise Invalid(field, f"The {field} field is required.")
        return parsed

    def _id(self, body: Any, field: str) -> int:
        if not isinstance(body, dict):
            raise Invalid("", "The request body must be a JSON object.")
        return self._int(body.get(field), field)

    def _date(self, body: dict[str, Any], field: str) -> date | None:
        raw = body.get(field)
        if raw in (None, ""):
            return None
        try:
            return parse_date(str(raw))
        except BadValue:
            raise Invalid(field, f"The value '{raw}' is not valid for {field}.") from None

    def _carrier(self, body: dict[str, Any]) -> tuple[str, str | None]:
        carrier = body.get("carrierCode")
        if carrier in (None, ""):
            raise Invalid("carrierCode", "The carrierCode field is required.")
        service = body.get("serviceCode")
        if service in (None, ""):
            raise Invalid("serviceCode", "The serviceCode field is required.")
        if not isinstance(carrier, str) or carrier not in catalog.CARRIERS:
            raise Refused(f"Invalid carrierCode: {carrier}.")
        if not isinstance(service, str) or service not in catalog.CARRIERS[carrier]:
            raise Refused(f"Invalid serviceCode '{service}' for carrier {carrier}.")
        return str(carrier), str(service)


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _ounces(weight: dict[str, Any] | None) -> float:
    if not weight:
        return 0.0
    value = float(weight.get("value") or 0.0)
    return {"pounds": value * 16, "grams": value / 28.3495}.get(str(weight.get("units")), value)


def parse_cost(value: Any) -> Decimal | None:
    try:
        return parse_money(value)
    except BadValue:
        return None
