"""JSON shapes Shiprocket answers with, built from the model (pure functions)."""

from __future__ import annotations

from typing import Any

from sandbox.shiprocket import lifecycle
from sandbox.shiprocket.catalog import COURIERS_BY_ID, ORDER_STATUSES, SHIPMENT_STATUSES
from sandbox.shiprocket.formats import (
    list_time,
    money,
    number,
    ordinal_time,
    php_date,
    scan_time,
    show_date,
    show_time,
)
from sandbox.shiprocket.state import Account, Order, PickupLocation, Remittance, Shipment


def order_status(order: Order) -> str:
    return ORDER_STATUSES.get(order.status_code, "NEW")


def customer_name(order: Order) -> str:
    """The consignee (shipping addressee; for a return, the warehouse contact), as Shiprocket lists it."""
    return f"{order.customer.name} {order.customer.last_name}".strip()


def courier_name(shipment: Shipment) -> str:
    courier = COURIERS_BY_ID.get(shipment.courier_id or 0)
    return courier.name if courier else ""


def pickup_location(loc: PickupLocation, company_id: int) -> dict[str, Any]:
    return {
        "id": loc.id,
        "pickup_location": loc.nickname,
        "address_type": None,
        "address": loc.address,
        "address_2": loc.address_2,
        "updated_address": False,
        "old_address": "",
        "old_address2": "",
        "tag": "",
        "tag_value": "",
        "instruction": "",
        "city": loc.city,
        "state": loc.state,
        "country": loc.country,
        "pin_code": loc.pin_code,
        "email": loc.email,
        "is_first_mile_pickup": 0,
        "phone": loc.phone,
        "name": loc.name,
        "company_id": company_id,
        "gstin": None,
        "vendor_name": None,
        "status": 2,
        "phone_verified": 1,
        "lat": "",
        "long": "",
        "open_time": None,
        "close_time": None,
        "warehouse_code": None,
        "alternate_phone": "",
        "rto_address_id": loc.id,
        "lat_long_status": 0,
        "new": 1,
        "associated_rto_address": None,
        "is_primary_location": 1 if loc.primary else 0,
    }


def added_pickup(loc: PickupLocation, account: Account) -> dict[str, Any]:
    return {
        "success": True,
        "address": {
            "company_id": account.company_id,
            "pickup_code": loc.nickname,
            "address": loc.address,
            "address_2": loc.address_2,
            "address_type": None,
            "city": loc.city,
            "state": loc.state,
            "country": loc.country,
            "gstin": None,
            "pin_code": loc.pin_code,
            "phone": loc.phone,
            "email": loc.email,
            "name": loc.name,
            "alternate_phone": None,
            "lat": None,
            "long": None,
            "status": 1,
            "phone_verified": 0,
            "rto_address_id": loc.id,
            "extra_info": '{"source":3}',
            "updated_at": scan_time(loc.created_at),
            "created_at": scan_time(loc.created_at),
            "id": loc.id,
        },
        "pickup_id": loc.id,
        "company_name": account.company_name,
        "full_name": f"{account.first_name} {account.last_name}",
    }


def _product(order: Order, item_index: int, full: bool) -> dict[str, Any]:
    item = order.items[item_index]
    base: dict[str, Any] = {
        "id": item.id,
        "channel_order_product_id": str(item.id),
        "name": item.name,
        "channel_sku": item.sku,
        "quantity": item.units,
        "product_id": item.id,
        "available": 0,
        "status": order_status(order),
        "hsn": item.hsn,
    }
    if full:
        base.update(
            {
                "status": 1,
                "description": "",
                "model": None,
                "manufacturer": None,
                "brand": "",
                "color": "",
                "size": None,
                "custom_field": "",
                "custom_field_value": "",
                "custom_field_value_string": "",
                "weight": 0,
                "dimensions": "0x0x0",
                "returnable_quantity": 0,
                "tax": 0,
                "discount_including_tax": number(item.discount),
                "channel_category": "Default Category",
                "packaging_material": "",
                "additional_material": "",
                "is_free_product": "",
                "order_id": order.id,
                "sku": item.sku,
                "price": number(item.selling_price),
                "selling_price": number(item.selling_price),
                "discount": number(item.discount),
                "tax_percentage": number(item.tax),
                "net_total": number(item.selling_price * item.units - item.discount),
                "cost": number(item.selling_price),
                "mrp": number(item.selling_price),
                "product_options": [],
            }
        )
    return base


def _dims(order: Order) -> str:
    return f"{order.length:.2f}x{order.breadth:.2f}x{order.height:.2f}"


def order_head(order: Order) -> dict[str, Any]:
    """The fields every order listing item starts with (``GET /orders``, the return-order list)."""
    return {
        "id": order.id,
        "channel_id": order.channel_id,
        "channel_name": "CUSTOM",
        "base_channel_code": "CS",
        "channel_order_id": order.channel_order_id,
        "customer_name": customer_name(order),
        "customer_email": order.customer.email or order.billing.email,
        "customer_phone": order.customer.phone,
    }


def order_summary(order: Order, shipment: Shipment) -> dict[str, Any]:
    """An item of ``GET /orders``."""
    return {
        **order_head(order),
        "customer_city": order.customer.city,
        "customer_state": order.customer.state,
        "customer_pincode": order.customer.pincode,
        "pickup_location": order.pickup.nickname,
        "payment_status": "",
        "total": money(order.total),
        "tax": "0.00",
        "sla": "2 days",
        "shipping_method": "SR",
        "expedited": 0,
        "status": order_status(order),
        "status_code": order.status_code,
        "payment_method": order.payment_method.lower(),
        "is_international": 0,
        "is_return": 1 if order.is_return else 0,
        "purpose_of_shipment": 0,
        "channel_created_at": list_time(order.order_date),
        "created_at": list_time(order.created_at),
        "updated_at": list_time(order.updated_at),
        "products": [_product(order, i, False) for i in range(len(order.items))],
        "shipments": [
            {
                "id": shipment.id,
                "isd_code": "+91",
                "courier": courier_name(shipment),
                "weight": number(order.weight),
                "dimensions": _dims(order),
                "pickup_scheduled_date": scan_time(shipment.pickup_scheduled_at)
                if shipment.pickup_scheduled_at
                else None,
                "pickup_token_number": shipment.pickup_token,
                "awb": shipment.awb or "",
                "return_awb": "",
                "volumetric_weight": number(order.length * order.breadth * order.height / 5000),
                "pod": None,
                "etd": scan_time(shipment.etd) if shipment.etd else "NA",
                "rto_delivered_date": scan_time(shipment.rto_delivered_at)
                if shipment.rto_delivered_at
                else "0000-00-00 00:00:00",
                "delivered_date": scan_time(shipment.delivered_at) if shipment.delivered_at else None,
                "etd_escalation_btn": False,
            }
        ],
        "activities": [],
        "allow_return": 0,
        "is_incomplete": 0,
        "errors": [],
        "show_escalation_btn": 0,
        "escalation_status": "",
        "escalation_history": [],
    }


def _shipment_status_text(shipment: Shipment) -> str:
    if shipment.status == 0:
        return "PENDING"
    return SHIPMENT_STATUSES.get(shipment.status, "PENDING").upper()


def _return_pickup(order: Order) -> dict[str, Any] | None:
    if not order.is_return:
        return None
    b = order.billing
    return {
        "id": order.id,
        "name": f"{b.name} {b.last_name}".strip(),
        "email": b.email,
        "address": b.address,
        "address_2": b.address_2,
        "city": b.city,
        "state": b.state,
        "country": b.country,
        "pin_code": b.pincode,
        "phone": b.phone,
        "lat": None,
        "long": None,
        "order_id": order.id,
        "created_at": scan_time(order.created_at),
        "updated_at": scan_time(order.updated_at),
    }


def _first_scan(shipment: Shipment, event: str) -> str | None:
    at = next((s.at for s in lifecycle.activities(shipment) if s.event == event), None)
    return scan_time(at) if at else None


def order_detail(order: Order, shipment: Shipment) -> dict[str, Any]:
    """``GET /orders/show/{id}`` → ``data``."""
    c, b = order.customer, order.billing
    return {
        "id": order.id,
        "channel_id": order.channel_id,
        "channel_name": "CUSTOM",
        "base_channel_code": "CS",
        "is_international": 0,
        "is_document": 0,
        "channel_order_id": order.channel_order_id,
        "customer_name": customer_name(order),
        "customer_email": order.customer.email or order.billing.email,
        "customer_phone": order.customer.phone,
        "customer_address": c.address,
        "customer_address_2": c.address_2 or None,
        "customer_city": c.city,
        "customer_state": c.state,
        "customer_pincode": c.pincode,
        "customer_country": c.country,
        "pickup_code": order.pickup.pin_code,
        "pickup_location": order.pickup.nickname,
        "pickup_location_id": order.pickup.id or "",
        "pickup_id": order.pickup.id or "",
        "currency": "INR",
        "payment_status": "",
        "delivery_code": c.pincode,
        "total": number(order.total),
        "net_total": money(order.total),
        "sub_total": number(order.sub_total),
        "other_charges": money(order.transaction_charges),
        "other_discounts": money(order.total_discount),
        "giftwrap_charges": money(order.giftwrap_charges),
        "shipping_charges": money(order.shipping_charges),
        "expedited": 0,
        "sla": "2 days",
        "cod": 1 if order.cod else 0,
        "tax": 0,
        "discount": number(order.total_discount),
        "status": order_status(order),
        "sub_status": None,
        "status_code": order.status_code,
        "payment_method": order.payment_method.lower(),
        "purpose_of_shipment": 0,
        "channel_created_at": show_time(order.order_date),
        "created_at": show_time(order.created_at),
        "order_date": show_date(order.order_date),
        "updated_at": show_time(order.updated_at),
        "products": [_product(order, i, True) for i in range(len(order.items))],
        "invoice_no": "",
        "shipments": {
            "id": shipment.id,
            "order_id": order.id,
            "channel_id": order.channel_id,
            "cost": money(shipment.freight),
            "tax": "0.00",
            "awb": shipment.awb,
            "rto_awb": "",
            "awb_assign_date": scan_time(shipment.awb_assigned_at) if shipment.awb_assigned_at else None,
            "etd": scan_time(shipment.etd) if shipment.etd else "",
            "delivered_date": scan_time(shipment.delivered_at) if shipment.delivered_at else "",
            "quantity": sum(i.units for i in order.items),
            "cod_charges": money(shipment.cod_charges),
            "weight": number(order.weight),
            "volumetric_weight": number(order.length * order.breadth * order.height / 5000),
            "dimensions": f"{order.length:.3f}x{order.breadth:.3f}x{order.height:.3f}",
            "comment": order.comment,
            "courier": courier_name(shipment),
            "courier_id": shipment.courier_id or "",
            "manifest_id": "",
            "manifest_escalate": False,
            "status": _shipment_status_text(shipment),
            "isd_code": "+91",
            "created_at": ordinal_time(shipment.created_at),
            "updated_at": ordinal_time(shipment.updated_at),
            "pod": None,
            "eway_bill_number": "-",
            "length": number(order.length),
            "breadth": number(order.breadth),
            "height": number(order.height),
            "rto_initiated_date": scan_time(shipment.rto_initiated_at) if shipment.rto_initiated_at else "",
            "rto_delivered_date": scan_time(shipment.rto_delivered_at) if shipment.rto_delivered_at else "",
            "shipped_date": scan_time(shipment.shipped_at) if shipment.shipped_at else "",
            "is_rto": shipment.rto_initiated_at is not None,
            "eway_required": False,
            "invoice_link": "",
            "is_darkstore_courier": 0,
            "courier_custom_rule": "",
            "is_single_shipment": True,
            "code": "",
            "number": None,
            "name": None,
            "order_item_id": None,
            "order_product_id": None,
            "eway_bill_date": None,
            "package_images": "",
        },
        "awb_data": {
            "awb": shipment.awb or "",
            "applied_weight": str(order.weight),
            "charged_weight": str(shipment.charge_weight) if shipment.awb else "",
            "billed_weight": "",
            "routing_code": "",
            "rto_routing_code": "",
            "charges": {
                "zone": shipment.zone,
                "cod_charges": money(shipment.cod_charges) if shipment.awb else "",
                "applied_weight_amount": money(shipment.freight) if shipment.awb else "",
                "freight_charges": money(shipment.freight) if shipment.awb else "",
                "applied_weight": str(order.weight),
                "charged_weight": str(shipment.charge_weight) if shipment.awb else "",
                "charged_weight_amount": money(shipment.freight) if shipment.awb else "",
                "charged_weight_amount_rto": "",
                "applied_weight_amount_rto": "",
                "service_type_id": "",
            },
        },
        "is_return": 1 if order.is_return else 0,
        "allow_return": 0,
        "is_incomplete": 0,
        "errors": None,
        "shipping_is_billing": 1 if order.customer is order.billing else 0,
        "company_name": "",
        "reseller_name": "",
        "others": {
            "weight": str(order.weight),
            "dimensions": f"{order.length}x{order.breadth}x{order.height}",
            "currency_code": "INR",
            "package_count": "1",
            "shipping_name": c.name,
            "shipping_phone": c.phone,
            "shipping_email": c.email,
            "shipping_address": c.address,
            "shipping_address_2": c.address_2,
            "shipping_city": c.city,
            "shipping_state": c.state,
            "shipping_country": c.country,
            "shipping_pincode": c.pincode,
            "shipping_charges": str(order.shipping_charges),
            "quantity": sum(i.units for i in order.items),
            "buyer_psid": None,
            "api_order_id": "",
            "company_name": "",
            "custom_order_id": None,
            "billing_isd_code": "+91",
            "forward_order_id": None,
        },
        "billing_name": f"{b.name} {b.last_name}".strip(),
        "billing_email": b.email,
        "billing_phone": b.phone,
        "billing_alternate_phone": "",
        "billing_address": b.address,
        "billing_address_2": b.address_2,
        "billing_city": b.city,
        "billing_state_name": b.state,
        "billing_country_name": b.country,
        "billing_pincode": b.pincode,
        "billing_mobile_country_code": "+91",
        "billing_state_id": "",
        "billing_country_id": 99,
        "isd_code": "+91",
        "country_code": 99,
        "state_code": "",
        "ship_type": "",
        "courier_mode": "",
        "master_status": "",
        "exchange_rate_usd": 0,
        "exchange_rate_inr": 0,
        "total_inr": 0,
        "total_usd": 0,
        "total_kerala_cess": "",
        "freight_description": "Forward charges" if not order.is_return else "Return charges",
        "shipping_title": "",
        "shipping_method": "SR",
        "allow_channel_order_sync": False,
        "allow_multiship": 0,
        "api_order_id": "",
        "other_sub_orders": [],
        "company_logo": None,
        "payment_code": None,
        "coupon_is_visible": False,
        "coupons": "",
        "dup": 0,
        "is_blackbox_seller": False,
        "is_order_verified": 0,
        "extra_info": {"order_type": 1 if order.is_return else 0, "insurace_opted_at_order_creation": False},
        "order_insurance": {"insurance_status": "No", "policy_no": "N/A", "claim_enable": False},
        "refund_detail": {
            "refund_mode": "",
            "account_holder_name": "",
            "account_number": "",
            "bank_ifsc": "",
            "bank_name": "",
        },
        "return_pickup_data": _return_pickup(order),
        "pickup_address": [],
        "eway_bill_number": "",
        "eway_bill_url": "",
        "eway_required": False,
        "irn_no": "",
        "engage": None,
        "seller_can_edit": order.status_code == 1,
        "seller_can_cancell": order.status_code in (1, 3, 4, 12, 13),
        "is_post_ship_status": shipment.shipped_at is not None,
        "order_tag": "",
        "qc_status": "",
        "qc_reason": "",
        "qc_image": "",
        "product_qc": [],
        "seller_request": None,
        "change_payment_mode": order.status_code == 1,
        "etd_date": scan_time(shipment.etd) if shipment.etd else None,
        "out_for_delivery_date": _first_scan(shipment, "OUT FOR DELIVERY"),
        "delivered_date": scan_time(shipment.delivered_at) if shipment.delivered_at else None,
        "insurance_excluded": True,
        "can_edit_dimension": shipment.awb is None,
        "uib-tooltip-text": "Re-fetch orders with updated details",
        "remittance_date": "",
        "remittance_utr": "",
        "remittance_status": "",
    }


def shipment_item(order: Order, shipment: Shipment, account: Account) -> dict[str, Any]:
    """An item of ``GET /shipments`` (and the ``data`` of ``GET /shipments/{id}``)."""
    c = order.customer
    return {
        "id": shipment.id,
        "order_id": order.id,
        "channel_id": order.channel_id,
        "company_id": account.company_id,
        "invoice_no": None,
        "invoice_date": None,
        "courier": courier_name(shipment) or None,
        "sr_courier_id": shipment.courier_id,
        "awb": shipment.awb,
        "awb_assign_date": scan_time(shipment.awb_assigned_at) if shipment.awb_assigned_at else None,
        "pickup_generated_date": scan_time(shipment.pickup_generated_at) if shipment.pickup_generated_at else None,
        "pickup_token_number": shipment.pickup_token,
        "method": "Standard",
        "weight": f"{order.weight:.3f}",
        "dimensions": _dims(order),
        "quantity": sum(i.units for i in order.items),
        "cost": money(shipment.freight),
        "tax": "0.00",
        "cod_charges": money(shipment.cod_charges),
        "total": money(order.total),
        "payment_method": order.payment_method.lower(),
        "shipping_address": {
            "city": c.city,
            "state": c.state,
            "address": c.address,
            "country": c.country,
            "pincode": c.pincode,
            "address_2": c.address_2,
            "company_name": None,
        },
        "customer_details": None,
        "status": shipment.status,
        "shipped_date": scan_time(shipment.shipped_at) if shipment.shipped_at else None,
        "delivered_date": scan_time(shipment.delivered_at) if shipment.delivered_at else None,
        "returned_date": scan_time(shipment.rto_delivered_at) if shipment.rto_delivered_at else None,
        "label_url": shipment.label_url,
        "manifest_url": shipment.manifest_url,
        "is_return": 1 if order.is_return else 0,
        "products": [
            {"name": i.name, "sku": i.sku, "quantity": i.units, "price": money(i.selling_price)} for i in order.items
        ],
        "created_at": php_date(shipment.created_at),
        "updated_at": php_date(shipment.updated_at),
    }


def remittance(batch: Remittance) -> dict[str, Any]:
    value = batch.remitted_value
    return {
        "created_at": int(batch.created_at.timestamp()),
        "crf_id": batch.crf_id,
        "utr": batch.utr,
        "utr_icod": None,
        "recharge_value": "0.00",
        "reversal_value": "0.00",
        "remitted_value": money(value),
        "deduction_value": money(batch.deduction_value),
        "cod_payble": money(batch.cod_payable),
        "account_type": "Prepaid",
        "maintained_balance_limit": None,
        "status": batch.status,
        "remarks": batch.remarks,
        "adjustment_data": {
            "adjusted_amount": number(batch.adjustment),
            "details": [{"reason": batch.adjustment_reason, "amount": money(batch.adjustment)}]
            if batch.adjustment
            else [],
        },
        "legal_penal_amount": "0.00",
        "legal_penal_invoices": [],
        "remitted_value_icod": "0.00",
        "remitted_value_std": number(value),
        "icod_vrf_id": None,
        "vrf_ids": "",
        "vrf_utr": "",
        "remittance_amount": [{"key": "Standard", "amount": number(value), "currency": "\u20b9", "utr": batch.utr}],
    }


def remittance_lines(batch: Remittance) -> dict[str, Any]:
    """The sandbox's own per-AWB breakdown (not a Shiprocket API)."""
    return {
        "data": [
            {
                "awb": line.awb,
                "order_id": line.channel_order_id,
                "sr_order_id": line.sr_order_id,
                "shipment_id": line.shipment_id,
                "cod_amount": money(line.cod_amount),
                "freight_charges": money(line.freight_charges),
                "cod_charges": money(line.cod_charges),
                "total_deductions": money(line.deductions),
                "net_amount": money(line.net),
                "delivered_date": scan_time(line.delivered_at) if line.delivered_at else None,
            }
            for line in batch.lines
        ],
        "meta": {
            "crf_id": batch.crf_id,
            "utr": batch.utr,
            "line_count": len(batch.lines),
            "cod_amount": money(batch.gross),
            "line_deductions": money(batch.deduction_value - batch.adjustment),
            "net_amount": money(batch.net_of_lines),
            "batch_adjustment": money(batch.adjustment),
            "cod_payable": money(batch.cod_payable),
            "remitted_value": money(batch.remitted_value),
            "sandbox_extension": True,
        },
    }


def pagination(total: int, count: int, per_page: int, page: int, link: str) -> dict[str, Any]:
    pages = max(1, -(-total // per_page)) if per_page else 1
    links: dict[str, str] = {}
    if page < pages:
        links["next"] = f"{link}?page={page + 1}"
    if page > 1:
        links["previous"] = f"{link}?page={page - 1}"
    return {
        "total": total,
        "count": count,
        "per_page": per_page,
        "current_page": page,
        "total_pages": pages,
        "links": links,
    }
