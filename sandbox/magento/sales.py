"""Order life cycle rules: place, invoice, ship, track, cancel, hold, comment, refund.

Pure functions over a ``Store``; each takes "now" from the caller (the sandbox clock) and bumps the
order's ``updated_at``. Refusals raise Magento's own errors (``errors.py``). The rules follow Magento
2.4's ``Order::canCancel/canHold``, ``Validation\\CanInvoice``/``CanShip`` and the quantity validators:

    new/pending --invoice--> processing --ship--> complete            (order state/status pairs)
    new/pending --ship-----> processing --invoice--> complete
    any open state --cancel--> canceled   (false once fully invoiced, shipped, or on hold)
    processing/complete --refund everything--> closed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.magento import errors
from sandbox.magento.formats import OFFLINE_METHODS, STATE_DEFAULT_STATUS
from sandbox.magento.state import (
    ZERO,
    Comment,
    Creditmemo,
    DocumentItem,
    Invoice,
    Order,
    OrderItem,
    Shipment,
    StatusHistory,
    Store,
    Track,
    money,
)

CLOSED_STATES = frozenset({"canceled", "complete", "closed"})


@dataclass(frozen=True)
class Line:
    order_item_id: int
    qty: Decimal


def _qty(value: Any) -> Decimal:
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise errors.bad_type(value, "float") from None
    if not qty.is_finite():
        raise errors.bad_type(value, "float")
    return qty


def parse_lines(raw: Any, field_name: str = "items") -> list[Line] | None:
    """``[{"order_item_id": 1, "qty": 2}]`` → lines; None when absent or empty (= every line)."""
    if raw is None or raw == []:
        return None
    if not isinstance(raw, list):
        raise errors.bad_type(raw, "array")
    lines = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise errors.bad_type(entry, "object")
        if entry.get("order_item_id") is None:
            raise errors.required("orderItemId")
        if entry.get("qty") is None:
            raise errors.required("qty")
        try:
            item_id = int(entry["order_item_id"])
        except (TypeError, ValueError):
            raise errors.bad_type(entry["order_item_id"], "int") from None
        lines.append(Line(item_id, _qty(entry["qty"])))
    return lines


def touch(order: Order, now: datetime) -> None:
    order.updated_at = max(now, order.updated_at)
    for item in order.items:
        item.updated_at = order.updated_at


def set_state(order: Order, state: str, now: datetime, status: str | None = None) -> None:
    order.state = state
    order.status = status or STATE_DEFAULT_STATUS[state]
    touch(order, now)


def add_history(
    store: Store,
    order: Order,
    now: datetime,
    comment: str | None,
    *,
    status: str | None = None,
    notified: int | None = 0,
    visible: int = 0,
) -> StatusHistory:
    h = StatusHistory(
        entity_id=store.seq.next("sales_order_status_history"),
        parent_id=order.entity_id,
        comment=comment,
        status=status or order.status,
        created_at=now,
        is_customer_notified=notified,
        is_visible_on_front=visible,
    )
    order.histories.append(h)
    touch(order, now)
    return h


def _fully(order: Order, attr: str) -> bool:
    return all(getattr(i, attr) <= 0 for i in order.parent_items)


def resolve_state(order: Order, now: datetime) -> None:
    """After a document (Magento's OrderStateResolver): closed when everything paid was refunded,
    complete when nothing is left to invoice or ship, otherwise processing."""
    if order.state in ("canceled", "closed", "holded"):
        touch(order, now)
        return
    if _fully(order, "qty_to_invoice") and _fully(order, "qty_to_ship"):
        if order.total_refunded and order.total_refunded >= order.total_paid > 0:
            set_state(order, "closed", now)
        else:
            set_state(order, "complete", now)
    else:
        set_state(order, "processing", now)


def _resolve_lines(order: Order, lines: list[Line] | None, attr: str) -> tuple[dict[int, Decimal], list[str]]:
    """Requested quantities per parent line (child ids fold into their parent) plus refusals."""
    by_id = {i.item_id: i for i in order.items}
    wanted: dict[int, Decimal] = {}
    messages: list[str] = []
    if lines is None:
        for item in order.parent_items:
            left: Decimal = getattr(item, attr)
            if left > 0:
                wanted[item.item_id] = left
        return wanted, messages
    for line in lines:
        found = by_id.get(line.order_item_id)
        if found is None:
            messages.append(
                f"The {'invoice' if attr == 'qty_to_invoice' else 'shipment'} contains "
                f'product SKU "{line.order_item_id}" that is not part of the original order.'
            )
            continue
        target = by_id[found.parent_item_id] if found.parent_item_id is not None else found
        wanted[target.item_id] = wanted.get(target.item_id, ZERO) + line.qty
    return wanted, messages


def invoice(
    store: Store, order: Order, now: datetime, lines: list[Line] | None, *, capture: bool, comment: str | None
) -> Invoice:
    if order.state in ("payment_review", "holded", "canceled", "complete", "closed"):
        raise errors.validation_failed(
            errors.INVOICE_ERRORS, [f"An invoice cannot be created when an order has a status of {order.status}"]
        )
    if _fully(order, "qty_to_invoice"):
        raise errors.validation_failed(errors.INVOICE_ERRORS, ["The order does not allow an invoice to be created."])
    wanted, messages = _resolve_lines(order, lines, "qty_to_invoice")
    by_id = {i.item_id: i for i in order.items}
    total = ZERO
    for item_id, qty in wanted.items():
        item = by_id[item_id]
        if qty > item.qty_to_invoice:
            messages.append(
                "The quantity to invoice must not be greater than the uninvoiced quantity "
                f'for product SKU "{item.sku}".'
            )
        else:
            total += qty
    if total <= 0:
        messages.append("The invoice can't be created without products. Add products and try again.")
    if messages:
        raise errors.validation_failed(errors.INVOICE_ERRORS, messages)

    inv_id = store.seq.next("sales_invoice")
    doc_items: list[DocumentItem] = []
    for item_id, qty in wanted.items():
        if qty <= 0:
            continue
        item = by_id[item_id]
        item.qty_invoiced += qty
        doc_items.append(DocumentItem(store.seq.next("sales_invoice_item"), item_id, qty))
        for child in order.children_of(item):
            child.qty_invoiced += qty * (child.qty_ordered / item.qty_ordered)
    shipping = ZERO if order.shipping_invoiced else order.shipping_amount
    order.shipping_invoiced += shipping
    amount = money(
        sum((money(by_id[d.order_item_id].price * d.qty) for d in doc_items), ZERO)
        + sum((money(by_id[d.order_item_id].unit_tax() * d.qty) for d in doc_items), ZERO)
        + shipping
    )
    paid = capture or order.payment.method in OFFLINE_METHODS or order.payment.last_trans_id is not None
    order.total_invoiced += amount
    if paid:
        order.total_paid += amount
        order.payment.amount_paid += amount
    inv = Invoice(
        entity_id=inv_id,
        increment_id=store.increment("invoice"),
        order_id=order.entity_id,
        state=2 if paid else 1,
        items=doc_items,
        shipping_amount=shipping,
        created_at=now,
        updated_at=now,
        transaction_id=order.payment.last_trans_id,
    )
    if comment:
        inv.comments.append(Comment(store.seq.next("sales_invoice_comment"), inv_id, comment, now))
    store.invoices[inv_id] = inv
    resolve_state(order, now)
    return inv


def ship(
    store: Store,
    order: Order,
    now: datetime,
    lines: list[Line] | None,
    *,
    tracks: list[dict[str, Any]],
    comment: str | None,
    source_code: str = "default",
) -> Shipment:
    if order.state in ("payment_review", "holded", "canceled", "complete", "closed"):
        raise errors.validation_failed(
            errors.SHIPMENT_ERRORS, [f"A shipment cannot be created when an order has a status of {order.status}"]
        )
    if _fully(order, "qty_to_ship"):
        raise errors.validation_failed(errors.SHIPMENT_ERRORS, ["The order does not allow a shipment to be created."])
    wanted, messages = _resolve_lines(order, lines, "qty_to_ship")
    by_id = {i.item_id: i for i in order.items}
    total = ZERO
    for item_id, qty in wanted.items():
        item = by_id[item_id]
        if qty > item.qty_to_ship:
            messages.append(
                f'The quantity to ship must not be greater than the unshipped quantity for product SKU "{item.sku}".'
            )
        else:
            total += qty
    if total <= 0:
        messages.append("You can't create a shipment without products.")
    if messages:
        raise errors.validation_failed(errors.SHIPMENT_ERRORS, messages)

    ship_id = store.seq.next("sales_shipment")
    doc_items: list[DocumentItem] = []
    for item_id, qty in wanted.items():
        if qty <= 0:
            continue
        item = by_id[item_id]
        item.qty_shipped += qty
        doc_items.append(DocumentItem(store.seq.next("sales_shipment_item"), item_id, qty))
        for child in order.children_of(item):
            child.qty_shipped += qty * (child.qty_ordered / item.qty_ordered)
    shipment = Shipment(
        entity_id=ship_id,
        increment_id=store.increment("shipment"),
        order_id=order.entity_id,
        items=doc_items,
        created_at=now,
        updated_at=now,
        source_code=source_code,
    )
    for spec in tracks:
        shipment.tracks.append(_track(store, now, order.entity_id, ship_id, spec))
    if comment:
        shipment.comments.append(Comment(store.seq.next("sales_shipment_comment"), ship_id, comment, now))
    store.shipments[ship_id] = shipment
    resolve_state(order, now)
    return shipment


def _track(store: Store, now: datetime, order_id: int, shipment_id: int, spec: dict[str, Any]) -> Track:
    missing = [name for name in ("track_number", "carrier_code") if not spec.get(name)]
    if missing:
        raise errors.required(missing[0])
    weight, qty = spec.get("weight"), spec.get("qty")
    return Track(
        entity_id=store.seq.next("sales_shipment_track"),
        parent_id=shipment_id,
        order_id=order_id,
        track_number=str(spec["track_number"]),
        title=str(spec.get("title") or spec["carrier_code"]),
        carrier_code=str(spec["carrier_code"]),
        created_at=now,
        updated_at=now,
        description=spec.get("description"),
        weight=None if weight is None else _qty(weight),
        qty=None if qty is None else _qty(qty),
    )


def add_track(store: Store, now: datetime, spec: dict[str, Any]) -> Track:
    """``POST /V1/shipment/track``: the shipment (``parent_id``) must exist and belong to ``order_id``."""
    for name in ("parent_id", "order_id", "track_number", "carrier_code"):
        if spec.get(name) in (None, ""):
            raise errors.required(name)
    try:
        shipment_id, order_id = int(spec["parent_id"]), int(spec["order_id"])
    except (TypeError, ValueError):
        raise errors.bad_type(spec["parent_id"], "int") from None
    shipment = store.shipments.get(shipment_id)
    if shipment is None or shipment.order_id != order_id:
        raise errors.magento_error(400, "The shipment track couldn't be saved.")
    t = _track(store, now, order_id, shipment_id, spec)
    shipment.tracks.append(t)
    shipment.updated_at = now
    touch(store.orders[order_id], now)
    return t


def save_shipment(store: Store, now: datetime, entity: dict[str, Any]) -> Shipment:
    """``POST /V1/shipment`` (ShipmentRepository::save): stores the document as sent.

    Unlike ``/V1/order/{id}/ship`` it does not register the shipment on the order: no ``qty_shipped``,
    no state change, no order ``updated_at`` bump (which is why Magento added ShipOrder in 2.2).
    """
    try:
        order_id = int(entity.get("order_id") or 0)
    except (TypeError, ValueError):
        raise errors.bad_type(entity.get("order_id"), "int") from None
    order = store.orders.get(order_id)
    if order is None:
        raise errors.magento_error(400, "The shipment couldn't be saved.")
    lines = parse_lines(entity.get("items")) or []
    by_id = {i.item_id: i for i in order.items}
    if any(line.order_item_id not in by_id for line in lines):
        raise errors.magento_error(400, "The shipment couldn't be saved.")
    ship_id = store.seq.next("sales_shipment")
    shipment = Shipment(
        entity_id=ship_id,
        increment_id=str(entity.get("increment_id") or store.increment("shipment")),
        order_id=order_id,
        items=[DocumentItem(store.seq.next("sales_shipment_item"), ln.order_item_id, ln.qty) for ln in lines],
        created_at=now,
        updated_at=now,
    )
    for spec in entity.get("tracks") or []:
        if not isinstance(spec, dict):
            raise errors.bad_type(spec, "object")
        shipment.tracks.append(_track(store, now, order_id, ship_id, spec))
    for spec in entity.get("comments") or []:
        if isinstance(spec, dict) and spec.get("comment"):
            shipment.comments.append(
                Comment(
                    store.seq.next("sales_shipment_comment"),
                    ship_id,
                    str(spec["comment"]),
                    now,
                    int(bool(spec.get("is_customer_notified"))),
                    int(bool(spec.get("is_visible_on_front"))),
                )
            )
    store.shipments[ship_id] = shipment
    return shipment


def can_cancel(order: Order) -> bool:
    if order.state in ("holded", "payment_review") or order.state in CLOSED_STATES:
        return False
    if _fully(order, "qty_to_invoice"):
        return False
    return not all(min(i.qty_to_invoice, i.qty_to_ship) <= 0 for i in order.parent_items)


def cancel(store: Store, order: Order, now: datetime) -> bool:
    if not can_cancel(order):
        return False
    canceled_amount = ZERO
    for item in order.items:
        qty = min(item.qty_to_invoice, item.qty_to_ship)
        if qty <= 0:
            continue
        item.qty_canceled += qty
        if not item.is_child:
            canceled_amount += money((item.price + item.unit_tax()) * qty)
            restock(store, item.sku, qty)
    if not order.shipping_invoiced:
        canceled_amount += order.shipping_amount
    order.total_canceled += canceled_amount
    order.payment.amount_canceled += canceled_amount
    if any(i.qty_invoiced > 0 for i in order.parent_items):
        resolve_state(order, now)
    else:
        set_state(order, "canceled", now)
    return True


def restock(store: Store, sku: str, qty: Decimal) -> None:
    stock = store.stock.get(sku)
    if stock is not None:
        stock.qty += qty
        stock.is_in_stock = stock.qty > 0
    src = store.source_items.get((sku, "default"))
    if src is not None:
        src.quantity += qty
        src.status = 1 if src.quantity > 0 else 0


def hold(order: Order, now: datetime) -> None:
    if order.state in ("payment_review", "holded") or order.state in CLOSED_STATES:
        raise errors.magento_error(400, errors.HOLD_NOT_AVAILABLE)
    order.hold_before_state, order.hold_before_status = order.state, order.status
    set_state(order, "holded", now)


def unhold(order: Order, now: datetime) -> None:
    if order.state != "holded":
        raise errors.magento_error(400, errors.UNHOLD_NOT_AVAILABLE)
    state = order.hold_before_state or "new"
    status = order.hold_before_status or STATE_DEFAULT_STATUS[state]
    order.hold_before_state = order.hold_before_status = None
    set_state(order, state, now, status)


def comment(store: Store, order: Order, now: datetime, spec: dict[str, Any]) -> StatusHistory:
    """``addComment``: the history's status (default: the current one) becomes the order's status."""
    status = spec.get("status") or order.status
    notified = spec.get("is_customer_notified")
    h = add_history(
        store,
        order,
        now,
        spec.get("comment"),
        status=str(status),
        notified=None if notified is None else int(bool(notified)),
        visible=int(bool(spec.get("is_visible_on_front", 0))),
    )
    order.status = h.status
    return h


def refund(
    store: Store,
    order: Order,
    now: datetime,
    lines: list[Line] | None,
    *,
    shipping_amount: Decimal | None,
    adjustment_positive: Decimal,
    adjustment_negative: Decimal,
    comment: str | None,
) -> Creditmemo:
    messages: list[str] = []
    if order.state in ("canceled", "closed", "holded", "payment_review") or not any(
        i.qty_to_refund > 0 for i in order.parent_items
    ):
        raise errors.validation_failed(errors.CREDITMEMO_ERRORS, ["We can't create creditmemo for the order."])
    by_id = {i.item_id: i for i in order.items}
    wanted: dict[int, Decimal] = {}
    if lines is None:
        wanted = {i.item_id: i.qty_to_refund for i in order.parent_items if i.qty_to_refund > 0}
    else:
        for line in lines:
            item = by_id.get(line.order_item_id)
            if item is None:
                messages.append(
                    f'The creditmemo contains product item id "{line.order_item_id}" that is not '
                    "part of the original order."
                )
                continue
            if item.parent_item_id is not None:
                item = by_id[item.parent_item_id]
            wanted[item.item_id] = wanted.get(item.item_id, ZERO) + line.qty
        for item_id, qty in wanted.items():
            if qty > by_id[item_id].qty_to_refund:
                messages.append(
                    f"The quantity to creditmemo must not be greater than the unrefunded quantity "
                    f'for product SKU "{by_id[item_id].sku}".'
                )
    if messages:
        raise errors.validation_failed(errors.CREDITMEMO_ERRORS, messages)
    shipping_left = order.shipping_invoiced - order.shipping_refunded
    shipping = shipping_left if shipping_amount is None else shipping_amount
    if shipping > shipping_left:
        raise errors.validation_failed(
            errors.CREDITMEMO_ERRORS, [f"Maximum shipping amount allowed to refund is: {shipping_left}"]
        )
    items_total = sum((money((by_id[i].price + by_id[i].unit_tax()) * q) for i, q in wanted.items()), ZERO)
    total = money(items_total + shipping + adjustment_positive - adjustment_negative)
    available = order.total_paid - order.total_refunded
    if total > available:
        raise errors.validation_failed(
            errors.CREDITMEMO_ERRORS, [f"The most money available to refund is {money(available)}."]
        )
    memo_id = store.seq.next("sales_creditmemo")
    doc_items = []
    for item_id, qty in wanted.items():
        if qty <= 0:
            continue
        item = by_id[item_id]
        item.qty_refunded += qty
        for child in order.children_of(item):
            child.qty_refunded += qty * (child.qty_ordered / item.qty_ordered)
        doc_items.append(DocumentItem(store.seq.next("sales_creditmemo_item"), item_id, qty))
    order.shipping_refunded += shipping
    order.total_refunded += total
    order.payment.amount_refunded += total
    memo = Creditmemo(
        entity_id=memo_id,
        increment_id=store.increment("creditmemo"),
        order_id=order.entity_id,
        invoice_id=next((i.entity_id for i in store.invoices.values() if i.order_id == order.entity_id), None),
        items=doc_items,
        shipping_amount=shipping,
        adjustment_positive=adjustment_positive,
        adjustment_negative=adjustment_negative,
        created_at=now,
        updated_at=now,
    )
    if comment:
        memo.comments.append(Comment(store.seq.next("sales_creditmemo_comment"), memo_id, comment, now))
    store.creditmemos[memo_id] = memo
    if all(i.qty_refunded >= i.qty_invoiced for i in order.parent_items) and order.total_refunded >= order.total_paid:
        set_state(order, "closed", now)
    else:
        touch(order, now)
    return memo


def item_by_id(order: Order, item_id: int) -> OrderItem | None:
    return next((i for i in order.items if i.item_id == item_id), None)
