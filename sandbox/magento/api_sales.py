"""Sales REST endpoints (Magento_Sales webapi.xml): orders, items, comments, invoices, shipments, refunds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.magento import errors, listing, sales
from sandbox.magento import formats as fmt
from sandbox.magento.routing import Call, Endpoint
from sandbox.magento.state import ZERO, Order

VIEW = "Magento_Sales::actions_view"


def _order(call: Call, name: str = "id") -> Order:
    order = call.store.orders.get(call.int_param(name))
    if order is None:
        raise errors.no_entity()
    return order


def list_orders(call: Call) -> Any:
    store = call.store
    return listing.run(
        call,
        store.orders.values(),
        lambda o: fmt.order_row(o, store),
        lambda o: fmt.order(o, store),
    )


def save_order(call: Call) -> Any:
    """``POST /V1/orders`` {"entity": {...}}: updates an existing order's status fields.

    Magento saves the entity as sent, so an update that leaves out ``increment_id`` gets a new one
    (PyMagento repeats it for that reason). Placing new orders this way is not simulated.
    """
    entity = call.need("entity")
    if not isinstance(entity, dict):
        raise errors.bad_type(entity, "object")
    raw_id = entity.get("entity_id")
    if raw_id is None:
        raise errors.magento_error(400, "The order couldn't be saved.")
    try:
        order = call.store.orders.get(int(raw_id))
    except (TypeError, ValueError):
        raise errors.bad_type(raw_id, "int") from None
    if order is None:
        raise errors.no_entity()
    if entity.get("state"):
        order.state = str(entity["state"])
    if entity.get("status"):
        order.status = str(entity["status"])
    if "ext_order_id" in entity:
        order.ext_order_id = None if entity["ext_order_id"] is None else str(entity["ext_order_id"])
    if entity.get("increment_id"):
        order.increment_id = str(entity["increment_id"])
    else:
        order.increment_id = call.store.increment("order")
    sales.touch(order, call.now)
    return fmt.order(order, call.store)


def get_order(call: Call) -> Any:
    return fmt.order(_order(call), call.store)


def get_status(call: Call) -> Any:
    return _order(call).status


def cancel(call: Call) -> Any:
    return sales.cancel(call.store, _order(call), call.now)


def hold(call: Call) -> Any:
    sales.hold(_order(call), call.now)
    return True


def unhold(call: Call) -> Any:
    sales.unhold(_order(call), call.now)
    return True


def emails(call: Call) -> Any:
    order = _order(call)
    order.email_sent = 1
    return True


def list_comments(call: Call) -> Any:
    order = _order(call)
    items = [fmt.history(h) for h in sorted(order.histories, key=lambda h: h.entity_id)]
    return {"items": items, "total_count": len(items)}


def add_comment(call: Call) -> Any:
    order = _order(call)
    spec = call.need("statusHistory")
    if not isinstance(spec, dict):
        raise errors.bad_type(spec, "object")
    sales.comment(call.store, order, call.now, spec)
    return True


def _item_row(item: Any) -> dict[str, Any]:
    order, line = item
    return fmt.order_item(line, order, with_parent=False)


def list_items(call: Call) -> Any:
    pairs = [(o, i) for o in call.store.orders.values() for i in o.items]
    return listing.run(call, pairs, _item_row, lambda p: fmt.order_item(p[1], p[0]))


def get_item(call: Call) -> Any:
    item_id = call.int_param("id")
    for order in call.store.orders.values():
        for line in order.items:
            if line.item_id == item_id:
                return fmt.order_item(line, order)
    raise errors.no_entity()


def _comment_text(body: dict[str, Any]) -> str | None:
    comment = body.get("comment")
    if isinstance(comment, dict):
        text = comment.get("comment")
        return str(text) if text else None
    return None


def invoice_order(call: Call) -> Any:
    order = _order(call, "orderId")
    body = call.body()
    lines = sales.parse_lines(body.get("items"))
    inv = sales.invoice(
        call.store, order, call.now, lines, capture=bool(body.get("capture")), comment=_comment_text(body)
    )
    return _doc_id(call, inv.entity_id)


def list_invoices(call: Call) -> Any:
    store = call.store
    return listing.run(
        call, store.invoices.values(), lambda i: _flat(fmt.invoice(i, store)), lambda i: fmt.invoice(i, store)
    )


def get_invoice(call: Call) -> Any:
    inv = call.store.invoices.get(call.int_param("id"))
    if inv is None:
        raise errors.no_entity()
    return fmt.invoice(inv, call.store)


def ship_order(call: Call) -> Any:
    order = _order(call, "orderId")
    body = call.body()
    lines = sales.parse_lines(body.get("items"))
    tracks = body.get("tracks") or []
    if not isinstance(tracks, list) or not all(isinstance(t, dict) for t in tracks):
        raise errors.bad_type(tracks, "array")
    args = body.get("arguments") or {}
    source = "default"
    if isinstance(args, dict):
        ext = args.get("extension_attributes") or {}
        if isinstance(ext, dict) and ext.get("source_code"):
            source = str(ext["source_code"])
            if source not in call.store.sources:
                raise errors.magento_error(400, "Source with code %1 does not exist.", [source])
    shipment = sales.ship(
        call.store, order, call.now, lines, tracks=tracks, comment=_comment_text(body), source_code=source
    )
    return _doc_id(call, shipment.entity_id)


def list_shipments(call: Call) -> Any:
    store = call.store
    return listing.run(
        call, store.shipments.values(), lambda s: _flat(fmt.shipment(s, store)), lambda s: fmt.shipment(s, store)
    )


def get_shipment(call: Call) -> Any:
    shipment = call.store.shipments.get(call.int_param("id"))
    if shipment is None:
        raise errors.no_entity()
    return fmt.shipment(shipment, call.store)


def save_shipment(call: Call) -> Any:
    entity = call.need("entity")
    if not isinstance(entity, dict):
        raise errors.bad_type(entity, "object")
    return fmt.shipment(sales.save_shipment(call.store, call.now, entity), call.store)


def add_track(call: Call) -> Any:
    spec = call.need("entity")
    if not isinstance(spec, dict):
        raise errors.bad_type(spec, "object")
    return fmt.track(sales.add_track(call.store, call.now, spec))


def delete_track(call: Call) -> Any:
    found = call.store.track(call.int_param("id"))
    if found is None:
        raise errors.no_entity()
    shipment, track = found
    shipment.tracks.remove(track)
    shipment.updated_at = call.now
    sales.touch(call.store.orders[shipment.order_id], call.now)
    return True


def refund_order(call: Call) -> Any:
    order = _order(call, "orderId")
    body = call.body()
    lines = sales.parse_lines(body.get("items"))
    args = body.get("arguments") or {}
    if not isinstance(args, dict):
        raise errors.bad_type(args, "object")

    def amount(name: str) -> Decimal | None:
        raw = args.get(name)
        if raw is None:
            return None
        try:
            return Decimal(str(raw))
        except ArithmeticError:
            raise errors.bad_type(raw, "float") from None

    memo = sales.refund(
        call.store,
        order,
        call.now,
        lines,
        shipping_amount=amount("shipping_amount"),
        adjustment_positive=amount("adjustment_positive") or ZERO,
        adjustment_negative=amount("adjustment_negative") or ZERO,
        comment=_comment_text(body),
    )
    return _doc_id(call, memo.entity_id)


def list_creditmemos(call: Call) -> Any:
    store = call.store
    return listing.run(
        call, store.creditmemos.values(), lambda c: _flat(fmt.creditmemo(c, store)), lambda c: fmt.creditmemo(c, store)
    )


def get_creditmemo(call: Call) -> Any:
    memo = call.store.creditmemos.get(call.int_param("id"))
    if memo is None:
        raise errors.no_entity()
    return fmt.creditmemo(memo, call.store)


def _doc_id(call: Call, entity_id: int) -> int | str:
    return str(entity_id) if call.store.settings.document_ids_as_strings else entity_id


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not isinstance(v, list | dict)}


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/V1/orders", VIEW, list_orders),
    Endpoint("POST", "/V1/orders", "Magento_Sales::create", save_order),
    Endpoint("GET", "/V1/orders/items", VIEW, list_items),
    Endpoint("GET", "/V1/orders/items/:id", VIEW, get_item),
    Endpoint("GET", "/V1/orders/:id", VIEW, get_order),
    Endpoint("GET", "/V1/orders/:id/statuses", VIEW, get_status),
    Endpoint("POST", "/V1/orders/:id/cancel", "Magento_Sales::cancel", cancel),
    Endpoint("POST", "/V1/orders/:id/hold", "Magento_Sales::hold", hold),
    Endpoint("POST", "/V1/orders/:id/unhold", "Magento_Sales::unhold", unhold),
    Endpoint("POST", "/V1/orders/:id/emails", "Magento_Sales::emails", emails),
    Endpoint("GET", "/V1/orders/:id/comments", VIEW, list_comments),
    Endpoint("POST", "/V1/orders/:id/comments", "Magento_Sales::comment", add_comment),
    Endpoint("POST", "/V1/order/:orderId/invoice", "Magento_Sales::invoice", invoice_order),
    Endpoint("GET", "/V1/invoices", "Magento_Sales::sales_invoice", list_invoices),
    Endpoint("GET", "/V1/invoices/:id", "Magento_Sales::sales_invoice", get_invoice),
    Endpoint("POST", "/V1/order/:orderId/ship", "Magento_Sales::ship", ship_order),
    Endpoint("GET", "/V1/shipments", "Magento_Sales::shipment", list_shipments),
    Endpoint("GET", "/V1/shipment/:id", "Magento_Sales::shipment", get_shipment),
    Endpoint("POST", "/V1/shipment/track", "Magento_Sales::shipment", add_track),
    Endpoint("POST", "/V1/shipment", "Magento_Sales::shipment", save_shipment),
    Endpoint("DELETE", "/V1/shipment/track/:id", "Magento_Sales::shipment", delete_track),
    Endpoint("POST", "/V1/order/:orderId/refund", "Magento_Sales::creditmemo", refund_order),
    Endpoint("GET", "/V1/creditmemos", "Magento_Sales::sales_creditmemo", list_creditmemos),
    Endpoint("GET", "/V1/creditmemo/:id", "Magento_Sales::sales_creditmemo", get_creditmemo),
]
