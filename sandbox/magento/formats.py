"""How Magento's REST API writes sales entities (orders, invoices, shipments, credit memos): field names,
money as JSON numbers, ``Y-m-d H:i:s`` UTC times.

Nulls are left out, as Magento's data object processor does; the shipping address appears only under
``extension_attributes.shipping_assignments``; ``base_*`` amounts mirror the order currency amounts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.magento.state import (
    ZERO,
    Address,
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

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

STATUS_LABELS: dict[str, str] = {
    "pending": "Pending",
    "pending_payment": "Pending Payment",
    "payment_review": "Payment Review",
    "processing": "Processing",
    "complete": "Complete",
    "closed": "Closed",
    "canceled": "Canceled",
    "holded": "On Hold",
    "fraud": "Suspected Fraud",
}
STATE_DEFAULT_STATUS: dict[str, str] = {
    "new": "pending",
    "pending_payment": "pending_payment",
    "payment_review": "payment_review",
    "processing": "processing",
    "complete": "complete",
    "closed": "closed",
    "canceled": "canceled",
    "holded": "holded",
}
PAYMENT_TITLES: dict[str, str] = {
    "cashondelivery": "Cash On Delivery",
    "checkmo": "Check / Money order",
    "banktransfer": "Bank Transfer Payment",
    "purchaseorder": "Purchase Order",
    "free": "No Payment Information Required",
    "razorpay": "Razorpay",
}
OFFLINE_METHODS = frozenset({"cashondelivery", "checkmo", "banktransfer", "purchaseorder", "free"})


def ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def parse_ts(value: str) -> datetime:
    """Accepts Magento's ``Y-m-d H:i:s`` (UTC) or ISO 8601 with an offset."""
    text = value.strip().replace("T", " ").replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def num(value: Decimal) -> float:
    return float(value)


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def address(a: Address) -> dict[str, Any]:
    return _clean(
        {
            "address_type": a.address_type,
            "city": a.city,
            "country_id": a.country_id,
            "email": a.email,
            "entity_id": a.entity_id,
            "firstname": a.firstname,
            "lastname": a.lastname,
            "parent_id": a.parent_id,
            "postcode": a.postcode,
            "region": a.region,
            "region_code": a.region_code,
            "region_id": a.region_id,
            "street": list(a.street),
            "telephone": a.telephone,
        }
    )


def order_item(item: OrderItem, order: Order, *, with_parent: bool = True) -> dict[str, Any]:
    child = item.is_child
    price = ZERO if child else item.price
    row = ZERO if child else item.row_total
    tax = ZERO if child else item.tax_amount
    unit_tax = ZERO if child else item.unit_tax()
    out: dict[str, Any] = {
        "amount_refunded": num(money(price * item.qty_refunded)),
        "base_amount_refunded": num(money(price * item.qty_refunded)),
        "base_discount_amount": num(item.discount_amount),
        "base_discount_invoiced": 0.0,
        "base_original_price": num(item.price),
        "base_price": num(price),
        "base_price_incl_tax": num(price + unit_tax),
        "base_row_invoiced": num(money(price * item.qty_invoiced)),
        "base_row_total": num(row),
        "base_row_total_incl_tax": num(row + tax),
        "base_tax_amount": num(tax),
        "base_tax_invoiced": num(money(unit_tax * item.qty_invoiced)),
        "created_at": ts(item.created_at),
        "discount_amount": num(item.discount_amount),
        "discount_invoiced": 0.0,
        "discount_percent": 0.0,
        "free_shipping": 0,
        "is_qty_decimal": 0,
        "is_virtual": 0,
        "item_id": item.item_id,
        "name": item.name,
        "no_discount": 0,
        "order_id": item.order_id,
        "original_price": num(item.price),
        "price": num(price),
        "price_incl_tax": num(price + unit_tax),
        "product_id": item.product_id,
        "product_type": item.product_type,
        "qty_canceled": num(item.qty_canceled),
        "qty_invoiced": num(item.qty_invoiced),
        "qty_ordered": num(item.qty_ordered),
        "qty_refunded": num(item.qty_refunded),
        "qty_shipped": num(item.qty_shipped),
        "quote_item_id": item.item_id + 1000,
        "row_invoiced": num(money(price * item.qty_invoiced)),
        "row_total": num(row),
        "row_total_incl_tax": num(row + tax),
        "row_weight": num(item.weight * item.qty_ordered),
        "sku": item.sku,
        "store_id": 1,
        "tax_amount": num(tax),
        "tax_invoiced": num(money(unit_tax * item.qty_invoiced)),
        "tax_percent": num(item.tax_percent),
        "updated_at": ts(item.updated_at),
        "weight": num(item.weight),
    }
    if item.product_options:
        out["product_option"] = {"extension_attributes": item.product_options}
    if item.parent_item_id is not None:
        out["parent_item_id"] = item.parent_item_id
        if with_parent:
            parent = next((i for i in order.items if i.item_id == item.parent_item_id), None)
            if parent is not None:
                out["parent_item"] = order_item(parent, order, with_parent=False)
    return out


def history(h: StatusHistory) -> dict[str, Any]:
    return _clean(
        {
            "comment": h.comment,
            "created_at": ts(h.created_at),
            "entity_id": h.entity_id,
            "entity_name": h.entity_name,
            "is_customer_notified": h.is_customer_notified,
            "is_visible_on_front": h.is_visible_on_front,
            "parent_id": h.parent_id,
            "status": h.status,
        }
    )


def order_row(o: Order, store: Store) -> dict[str, Any]:
    """The order's own columns (what searchCriteria filters and sorts on)."""
    gt = o.grand_total
    total_due = money(gt - o.total_paid)
    row: dict[str, Any] = {
        "applied_rule_ids": None,
        "base_currency_code": store.base_currency,
        "base_discount_amount": num(-o.discount_amount),
        "base_discount_tax_compensation_amount": 0.0,
        "base_grand_total": num(gt),
        "base_shipping_amount": num(o.shipping_amount),
        "base_shipping_discount_amount": 0.0,
        "base_shipping_incl_tax": num(o.shipping_amount),
        "base_shipping_tax_amount": 0.0,
        "base_subtotal": num(o.subtotal),
        "base_subtotal_incl_tax": num(o.subtotal + o.tax_amount),
        "base_tax_amount": num(o.tax_amount),
        "base_to_global_rate": 1.0,
        "base_to_order_rate": 1.0,
        "base_total_canceled": num(o.total_canceled) if o.total_canceled else None,
        "base_total_due": num(total_due),
        "base_total_invoiced": num(o.total_invoiced) if o.total_invoiced else None,
        "base_total_paid": num(o.total_paid) if o.total_paid else None,
        "base_total_refunded": num(o.total_refunded) if o.total_refunded else None,
        "billing_address_id": o.billing.entity_id,
        "created_at": ts(o.created_at),
        "customer_email": o.customer_email,
        "customer_firstname": o.customer_firstname,
        "customer_group_id": 1 if o.customer_id else 0,
        "customer_id": o.customer_id,
        "customer_is_guest": 0 if o.customer_id else 1,
        "customer_lastname": o.customer_lastname,
        "customer_note_notify": 1,
        "discount_amount": num(-o.discount_amount),
        "discount_tax_compensation_amount": 0.0,
        "email_sent": o.email_sent,
        "entity_id": o.entity_id,
        "ext_order_id": o.ext_order_id,
        "global_currency_code": store.base_currency,
        "grand_total": num(gt),
        "hold_before_state": o.hold_before_state,
        "hold_before_status": o.hold_before_status,
        "increment_id": o.increment_id,
        "is_virtual": 0,
        "order_currency_code": store.base_currency,
        "protect_code": f"{o.entity_id:06x}ab",
        "quote_id": o.quote_id,
        "remote_ip": o.remote_ip,
        "shipping_amount": num(o.shipping_amount),
        "shipping_description": o.shipping_description,
        "shipping_discount_amount": 0.0,
        "shipping_discount_tax_compensation_amount": 0.0,
        "shipping_incl_tax": num(o.shipping_amount),
        "shipping_invoiced": num(o.shipping_invoiced) if o.shipping_invoiced else None,
        "shipping_refunded": num(o.shipping_refunded) if o.shipping_refunded else None,
        "shipping_tax_amount": 0.0,
        "state": o.state,
        "status": o.status,
        "store_currency_code": store.base_currency,
        "store_id": store.store_id,
        "store_name": f"Main Website\n{store.name}\nDefault Store View",
        "store_to_base_rate": 0.0,
        "store_to_order_rate": 0.0,
        "subtotal": num(o.subtotal),
        "subtotal_incl_tax": num(o.subtotal + o.tax_amount),
        "tax_amount": num(o.tax_amount),
        "total_canceled": num(o.total_canceled) if o.total_canceled else None,
        "total_due": num(total_due),
        "total_invoiced": num(o.total_invoiced) if o.total_invoiced else None,
        "total_item_count": len(o.parent_items),
        "total_paid": num(o.total_paid) if o.total_paid else None,
        "total_qty_ordered": num(o.total_qty_ordered),
        "total_refunded": num(o.total_refunded) if o.total_refunded else None,
        "updated_at": ts(o.updated_at),
        "weight": num(sum((i.weight * i.qty_ordered for i in o.parent_items), ZERO)),
    }
    return row


def payment(o: Order) -> dict[str, Any]:
    p = o.payment
    return _clean(
        {
            "account_status": None,
            "additional_information": [PAYMENT_TITLES.get(p.method, p.method), *p.additional_information],
            "amount_ordered": num(p.amount_ordered),
            "amount_paid": num(p.amount_paid) if p.amount_paid else None,
            "amount_canceled": num(p.amount_canceled) if p.amount_canceled else None,
            "amount_refunded": num(p.amount_refunded) if p.amount_refunded else None,
            "base_amount_ordered": num(p.amount_ordered),
            "base_amount_paid": num(p.amount_paid) if p.amount_paid else None,
            "base_shipping_amount": num(p.shipping_amount),
            "cc_last4": p.cc_last4,
            "entity_id": p.entity_id,
            "last_trans_id": p.last_trans_id,
            "method": p.method,
            "parent_id": o.entity_id,
            "shipping_amount": num(p.shipping_amount),
        }
    )


def order(o: Order, store: Store) -> dict[str, Any]:
    out = _clean(order_row(o, store))
    out["items"] = [order_item(i, o) for i in o.items]
    out["billing_address"] = address(o.billing)
    out["payment"] = payment(o)
    out["status_histories"] = [history(h) for h in sorted(o.histories, key=lambda h: -h.entity_id)]
    tax_code = "GST"
    out["extension_attributes"] = {
        "shipping_assignments": [
            {
                "shipping": {
                    "address": address(o.shipping),
                    "method": o.shipping_method,
                    "total": {
                        "base_shipping_amount": num(o.shipping_amount),
                        "base_shipping_incl_tax": num(o.shipping_amount),
                        "shipping_amount": num(o.shipping_amount),
                        "shipping_incl_tax": num(o.shipping_amount),
                        "base_shipping_tax_amount": 0.0,
                        "shipping_tax_amount": 0.0,
                    },
                },
                "items": [order_item(i, o) for i in o.items],
            }
        ],
        "payment_additional_info": [
            {"key": "method_title", "value": PAYMENT_TITLES.get(o.payment.method, o.payment.method)}
        ],
        "applied_taxes": _applied_taxes(o, tax_code),
        "item_applied_taxes": [
            {
                "type": "product",
                "item_id": i.item_id,
                "applied_taxes": [
                    {
                        "code": f"{tax_code}-{int(i.tax_percent)}",
                        "title": f"{tax_code}-{int(i.tax_percent)}",
                        "percent": num(i.tax_percent),
                        "amount": num(i.tax_amount),
                        "base_amount": num(i.tax_amount),
                    }
                ],
            }
            for i in o.parent_items
            if i.tax_percent
        ],
        "converting_from_quote": False,
    }
    return out


def _applied_taxes(o: Order, code: str) -> list[dict[str, Any]]:
    by_rate: dict[Decimal, Decimal] = {}
    for i in o.parent_items:
        if i.tax_percent:
            by_rate[i.tax_percent] = by_rate.get(i.tax_percent, ZERO) + i.tax_amount
    return [
        {
            "code": f"{code}-{int(rate)}",
            "title": f"{code}-{int(rate)}",
            "percent": num(rate),
            "amount": num(amount),
            "base_amount": num(amount),
        }
        for rate, amount in sorted(by_rate.items())
    ]


def _document_item(d: DocumentItem, o: Order, parent_key: str, parent_id: int) -> dict[str, Any]:
    item = next(i for i in o.items if i.item_id == d.order_item_id)
    row = money(item.price * d.qty)
    tax = money(item.unit_tax() * d.qty)
    return {
        "base_price": num(item.price),
        "base_price_incl_tax": num(item.price + item.unit_tax()),
        "base_row_total": num(row),
        "base_row_total_incl_tax": num(row + tax),
        "base_tax_amount": num(tax),
        "entity_id": d.entity_id,
        "name": item.name,
        "order_item_id": d.order_item_id,
        parent_key: parent_id,
        "price": num(item.price),
        "price_incl_tax": num(item.price + item.unit_tax()),
        "product_id": item.product_id,
        "qty": num(d.qty),
        "row_total": num(row),
        "row_total_incl_tax": num(row + tax),
        "sku": item.sku,
        "tax_amount": num(tax),
    }


def _doc_totals(items: list[DocumentItem], o: Order) -> tuple[Decimal, Decimal, Decimal]:
    subtotal = ZERO
    tax = ZERO
    qty = ZERO
    for d in items:
        item = next(i for i in o.items if i.item_id == d.order_item_id)
        subtotal += money(item.price * d.qty)
        tax += money(item.unit_tax() * d.qty)
        qty += d.qty
    return subtotal, tax, qty


def _comment(c: Comment) -> dict[str, Any]:
    return {
        "comment": c.comment,
        "created_at": ts(c.created_at),
        "entity_id": c.entity_id,
        "is_customer_notified": c.is_customer_notified,
        "is_visible_on_front": c.is_visible_on_front,
        "parent_id": c.parent_id,
    }


def invoice(inv: Invoice, store: Store) -> dict[str, Any]:
    o = store.orders[inv.order_id]
    subtotal, tax, qty = _doc_totals(inv.items, o)
    grand = money(subtotal + tax + inv.shipping_amount)
    return _clean(
        {
            "base_currency_code": store.base_currency,
            "base_discount_amount": 0.0,
            "base_grand_total": num(grand),
            "base_shipping_amount": num(inv.shipping_amount),
            "base_subtotal": num(subtotal),
            "base_tax_amount": num(tax),
            "billing_address_id": o.billing.entity_id,
            "can_void_flag": 0,
            "created_at": ts(inv.created_at),
            "discount_amount": 0.0,
            "email_sent": 1,
            "entity_id": inv.entity_id,
            "global_currency_code": store.base_currency,
            "grand_total": num(grand),
            "increment_id": inv.increment_id,
            "order_currency_code": store.base_currency,
            "order_id": inv.order_id,
            "shipping_address_id": o.shipping.entity_id,
            "shipping_amount": num(inv.shipping_amount),
            "shipping_incl_tax": num(inv.shipping_amount),
            "state": inv.state,
            "store_currency_code": store.base_currency,
            "store_id": store.store_id,
            "subtotal": num(subtotal),
            "subtotal_incl_tax": num(subtotal + tax),
            "tax_amount": num(tax),
            "total_qty": num(qty),
            "transaction_id": inv.transaction_id,
            "updated_at": ts(inv.updated_at),
            "items": [_document_item(d, o, "parent_id", inv.entity_id) for d in inv.items],
            "comments": [_comment(c) for c in inv.comments],
        }
    )


def track(t: Track) -> dict[str, Any]:
    return _clean(
        {
            "carrier_code": t.carrier_code,
            "created_at": ts(t.created_at),
            "description": t.description,
            "entity_id": t.entity_id,
            "order_id": t.order_id,
            "parent_id": t.parent_id,
            "qty": num(t.qty) if t.qty is not None else None,
            "title": t.title,
            "track_number": t.track_number,
            "updated_at": ts(t.updated_at),
            "weight": num(t.weight) if t.weight is not None else None,
        }
    )


def shipment(s: Shipment, store: Store) -> dict[str, Any]:
    o = store.orders[s.order_id]
    _, _, qty = _doc_totals(s.items, o)
    items = []
    for d in s.items:
        line = next(i for i in o.items if i.item_id == d.order_item_id)
        items.append(
            {
                "entity_id": d.entity_id,
                "name": line.name,
                "order_item_id": d.order_item_id,
                "parent_id": s.entity_id,
                "price": num(line.price),
                "product_id": line.product_id,
                "qty": num(d.qty),
                "sku": line.sku,
                "weight": num(line.weight),
            }
        )
    return {
        "billing_address_id": o.billing.entity_id,
        "created_at": ts(s.created_at),
        "customer_id": o.customer_id if o.customer_id else None,
        "email_sent": 1,
        "entity_id": s.entity_id,
        "increment_id": s.increment_id,
        "order_id": s.order_id,
        "packages": [],
        "shipping_address_id": o.shipping.entity_id,
        "store_id": store.store_id,
        "total_qty": num(qty),
        "updated_at": ts(s.updated_at),
        "items": items,
        "tracks": [track(t) for t in s.tracks],
        "comments": [_comment(c) for c in s.comments],
        "extension_attributes": {"source_code": s.source_code},
    }


def creditmemo(c: Creditmemo, store: Store) -> dict[str, Any]:
    o = store.orders[c.order_id]
    subtotal, tax, _ = _doc_totals(c.items, o)
    grand = money(subtotal + tax + c.shipping_amount + c.adjustment_positive - c.adjustment_negative)
    return _clean(
        {
            "adjustment": num(c.adjustment_positive - c.adjustment_negative),
            "adjustment_negative": num(c.adjustment_negative),
            "adjustment_positive": num(c.adjustment_positive),
            "base_currency_code": store.base_currency,
            "base_grand_total": num(grand),
            "base_shipping_amount": num(c.shipping_amount),
            "base_subtotal": num(subtotal),
            "base_tax_amount": num(tax),
            "billing_address_id": o.billing.entity_id,
            "created_at": ts(c.created_at),
            "creditmemo_status": c.state,
            "entity_id": c.entity_id,
            "grand_total": num(grand),
            "increment_id": c.increment_id,
            "invoice_id": c.invoice_id,
            "order_currency_code": store.base_currency,
            "order_id": c.order_id,
            "shipping_address_id": o.shipping.entity_id,
            "shipping_amount": num(c.shipping_amount),
            "state": c.state,
            "store_id": store.store_id,
            "subtotal": num(subtotal),
            "tax_amount": num(tax),
            "updated_at": ts(c.updated_at),
            "items": [_document_item(d, o, "parent_id", c.entity_id) for d in c.items],
            "comments": [_comment(x) for x in c.comments],
        }
    )
