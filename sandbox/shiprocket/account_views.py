"""Shapes for account-level lists: the wallet statement, the NDR queue and return orders (pure functions)."""

from __future__ import annotations

from typing import Any

from sandbox.shiprocket import lifecycle
from sandbox.shiprocket.formats import list_time, money, number, scan_time
from sandbox.shiprocket.state import Account, LedgerEntry, Order, Shipment
from sandbox.shiprocket.views import courier_name, order_head, order_status

NDR_REASONS = ("Consignee not available", "Customer Asked For Future Delivery", "Address incomplete / incorrect")


def statement_entry(entry: LedgerEntry) -> dict[str, Any]:
    weight = str(entry.charged_weight) if entry.charged_weight else ""
    return {
        "transaction_id": str(entry.id),
        "order_id": str(entry.sr_order_id or ""),
        "channel_order_id": entry.channel_order_id,
        "awb_code": entry.awb,
        "return_awb_code": None,
        "applied_weight": weight,
        "charged_weight": weight,
        "billed_weight": weight,
        "action": "Debit" if entry.debit else "Credit",
        "charge": money(entry.debit or entry.credit),
        "description": entry.description,
        "debit_amount": money(entry.debit) if entry.debit else "",
        "credit_amount": money(entry.credit) if entry.credit else "",
        "balance_amount": money(entry.balance),
        "balance_weight": 0,
        "volumetric_weight": "",
        "entered_weight": weight,
        "created_at": scan_time(entry.at),
        "can_ship": entry.balance > 0,
    }


def ndr_entry(account: Account, order: Order, shipment: Shipment) -> dict[str, Any]:
    undelivered = [s for s in lifecycle.activities(shipment) if s.event == "UNDELIVERED"]
    actions = account.ndr_actions.get(shipment.id, [])
    c = order.customer
    history = [
        {
            "id": shipment.id * 10 + i,
            "ndr_id": shipment.id,
            "ndr_reason": NDR_REASONS[i % len(NDR_REASONS)],
            "action_by": 3,
            "ndr_attempt": i + 1,
            "medium": None,
            "ndr_push_status": 0,
            "comment": actions[i].comments if i < len(actions) else "",
            "call_center_call_recording": "",
            "call_center_recording_date": "",
            "proof_recording": None,
            "proof_image": None,
            "sms_response": "No Response",
            "ndr_raised_at": scan_time(scan.at),
        }
        for i, scan in enumerate(undelivered)
    ]
    first = order.items[0] if order.items else None
    return {
        "id": order.id,
        "shipment_id": shipment.id,
        "customer_name": f"{c.name} {c.last_name}".strip(),
        "customer_email": c.email,
        "customer_phone": c.phone,
        "customer_address": c.address,
        "customer_address_2": c.address_2,
        "customer_city": c.city,
        "customer_state": c.state,
        "customer_pincode": c.pincode,
        "payment_status": "2",
        "status": order_status(order),
        "status_code": order.status_code,
        "payment_method": order.payment_method.lower(),
        "created_at": list_time(order.created_at),
        "reason": NDR_REASONS[(len(undelivered) - 1) % len(NDR_REASONS)] if undelivered else "",
        "attempts": len(undelivered),
        "ndr_raised_at": scan_time(undelivered[-1].at) if undelivered else "",
        "courier": courier_name(shipment),
        "awb_code": shipment.awb,
        "escalation_status": "N/A",
        "action_taken": actions[-1].action if actions else "",
        "product_name": first.name if first else "",
        "product_price": money(first.selling_price) if first else "0.00",
        "shipment_channel_id": order.channel_id,
        "history": history,
        "delivered_date": "",
    }


def return_order(order: Order, shipment: Shipment) -> dict[str, Any]:
    """An item of ``GET /orders/processing/return``."""
    p = order.pickup
    return {
        **order_head(order),
        "customer_pincode": order.customer.pincode,
        "pickup_code": p.pin_code,
        "pickup_location": f"{p.address} ,{p.city} ,{p.state} ,{p.country}",
        "payment_status": "",
        "total": money(order.total),
        "expedited": 0,
        "sla": "2 days",
        "shipping_method": "SR",
        "status": order_status(order),
        "status_code": order.status_code,
        "payment_method": "prepaid",
        "is_international": 0,
        "purpose_of_shipment": 0,
        "channel_created_at": list_time(order.order_date),
        "created_at": list_time(order.created_at),
        "products": [
            {
                "id": i.id,
                "name": i.name,
                "channel_sku": i.sku,
                "channel_order_product_id": str(i.id),
                "quantity": i.units,
                "product_id": i.id,
                "sku": i.sku,
                "custom_field": "",
                "custom_field_value": "",
                "status": "UNDEFINED",
                "hsn": i.hsn,
            }
            for i in order.items
        ],
        "delivery_code": order.customer.pincode,
        "cod": 0,
        "shipment_id": shipment.id,
        "in_queue": 0,
        "shipments": [
            {
                "isd_code": "+91",
                "courier": courier_name(shipment),
                "sr_courier_id": shipment.courier_id or "",
                "weight": str(order.weight),
                "length": str(order.length),
                "breadth": str(order.breadth),
                "height": str(order.height),
                "volumetric_weight": number(order.length * order.breadth * order.height / 5000),
                "awb": shipment.awb or "",
            }
        ],
    }
