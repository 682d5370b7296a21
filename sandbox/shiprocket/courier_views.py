"""Courier shapes: serviceability, AWB assignment and pickup responses (pure functions)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sandbox.shiprocket.formats import etd_date, number, php_date, scan_time
from sandbox.shiprocket.pricing import Quote, Serviceability, place
from sandbox.shiprocket.state import Account, Order, PickupLocation, Shipment
from sandbox.shiprocket.views import courier_name, pickup_location


def courier_entry(q: Quote, delivery: str, now: datetime) -> dict[str, Any]:
    c = q.courier
    dest = place(delivery)
    others = {"allow_postcode_auto_sync": 1, "cancel_real_time": True, "courier_available_for_payment_change": 0}
    return {
        "air_max_weight": "0.00",
        "assured_amount": 0,
        "base_courier_id": None,
        "base_weight": "",
        "blocked": 0,
        "call_before_delivery": "Not Available",
        "charge_weight": number(q.charge_weight),
        "city": dest.city,
        "cod": 1 if c.cod else 0,
        "cod_charges": number(q.cod_charges),
        "cod_multiplier": number(c.cod_percent),
        "cost": str(number(q.freight)),
        "courier_company_id": c.id,
        "courier_name": c.name,
        "courier_type": "0",
        "coverage_charges": 0,
        "cutoff_time": c.cutoff_time,
        "delivery_boy_contact": "Not Available",
        "delivery_performance": c.performance[0],
        "description": "",
        "edd": "",
        "entry_tax": 0,
        "estimated_delivery_days": str(q.etd_days),
        "etd": etd_date(q.etd),
        "etd_hours": int((q.etd - now).total_seconds() // 3600),
        "freight_charge": number(q.freight),
        "id": c.id * 1000 + int(q.zone[-1], 36),
        "is_custom_rate": 0,
        "is_hyperlocal": False,
        "is_international": 0,
        "is_rto_address_available": True,
        "is_surface": not c.air,
        "local_region": 1 if q.zone in ("z_a", "z_b") else 0,
        "metro": 1 if q.zone == "z_c" else 0,
        "min_weight": number(c.min_weight),
        "mode": 1 if c.air else 0,
        "odablock": False,
        "other_charges": 0,
        "others": json.dumps(others),
        "pickup_availability": "1",
        "pickup_performance": c.performance[1],
        "pickup_priority": "",
        "pickup_supress_hours": 0,
        "pod_available": "Instant",
        "postcode": delivery,
        "qc_courier": 0,
        "rank": "",
        "rate": number(q.rate),
        "rating": c.rating,
        "realtime_tracking": "Real Time",
        "region": 2,
        "rto_charges": number(q.rto_charges),
        "rto_performance": c.performance[2],
        "seconds_left_for_pickup": 0,
        "secure_shipment_disabled": False,
        "ship_type": 1,
        "state": dest.state,
        "suppress_date": "",
        "suppress_text": "",
        "suppression_dates": None,
        "surface_max_weight": str(number(c.max_weight)),
        "tracking_performance": c.performance[3],
        "volumetric_max_weight": None,
        "weight_cases": 0.5,
        "zone": q.zone,
    }


def serviceability(
    service: Serviceability, pickup: str, delivery: str, now: datetime, seller: PickupLocation | None
) -> dict[str, Any]:
    recommended = service.recommended.courier.id if service.recommended else None
    return {
        "company_auto_shipment_insurance_setting": False,
        "covid_zones": {"delivery_zone": None, "pickup_zone": None},
        "currency": "INR",
        "data": {
            "available_courier_companies": [courier_entry(q, delivery, now) for q in service.available],
            "blocked_courier_companies": [
                {
                    "block_reason": b.reason,
                    "courier_company_id": b.courier.id,
                    "courier_name": b.courier.name,
                    "postcode": delivery,
                }
                for b in service.blocked
            ],
            "child_courier_id": None,
            "is_recommendation_enabled": 1,
            "promise_recommended_courier_company_id": None,
            "recommendation_advance_rule": None,
            "recommended_by": {"id": 6, "title": "Recommendation By Shiprocket"},
            "recommended_courier_company_id": recommended,
            "shiprocket_recommended_courier_id": recommended,
        },
        "dg_courier": 0,
        "eligible_for_insurance": 0,
        "insurace_opted_at_order_creation": False,
        "is_allow_templatized_pricing": True,
        "is_latlong": 0,
        "is_old_zone_opted": False,
        "is_zone_from_mongo": False,
        "label_generate_type": 0,
        "on_new_zone": 2,
        "seller_address": [] if seller is None else [pickup_location(seller, 0)],
        "status": 200,
        "user_insurance_manadatory": False,
    }


def assigned(order: Order, shipment: Shipment, q: Quote, account: Account) -> dict[str, Any]:
    p = order.pickup
    assert shipment.awb_assigned_at is not None
    return {
        "awb_assign_status": 1,
        "response": {
            "data": {
                "courier_company_id": q.courier.id,
                "awb_code": shipment.awb,
                "cod": 1 if order.cod else 0,
                "order_id": order.id,
                "shipment_id": shipment.id,
                "awb_code_status": 1,
                "assigned_date_time": php_date(shipment.awb_assigned_at),
                "applied_weight": number(q.charge_weight),
                "company_id": account.company_id,
                "courier_name": q.courier.name,
                "child_courier_name": None,
                "pickup_scheduled_date": None,
                "routing_code": f"{place(order.customer.pincode).city[:3].upper()}/{order.customer.pincode[:3]}",
                "rto_routing_code": f"{place(p.pin_code).city[:3].upper()}/{p.pin_code[:3]}",
                "invoice_no": f"Retail{order.id % 100000:05d}",
                "transporter_id": "",
                "transporter_name": "",
                "shipped_by": {
                    "shipper_company_name": account.company_name,
                    "shipper_address_1": p.address,
                    "shipper_address_2": p.address_2,
                    "shipper_city": p.city,
                    "shipper_state": p.state,
                    "shipper_country": p.country,
                    "shipper_postcode": p.pin_code,
                    "shipper_first_mile_activated": 0,
                    "shipper_phone": p.phone,
                    "lat": "",
                    "long": "",
                    "shipper_email": p.email,
                    "rto_company_name": account.company_name,
                    "rto_address_1": p.address,
                    "rto_address_2": p.address_2,
                    "rto_city": p.city,
                    "rto_state": p.state,
                    "rto_country": p.country,
                    "rto_postcode": p.pin_code,
                    "rto_phone": p.phone,
                    "rto_email": p.email,
                },
            }
        },
        "no_pickup_popup": 0,
        "quick_pick": 0,
    }


def pickup_generated(shipment: Shipment, now: datetime) -> dict[str, Any]:
    assert shipment.pickup_scheduled_at is not None
    others = {"tier_id": 4, "etd_zone": shipment.zone, "etd_hours": "48"}
    return {
        "pickup_status": 1,
        "response": {
            "pickup_scheduled_date": scan_time(shipment.pickup_scheduled_at),
            "pickup_token_number": shipment.pickup_token,
            "status": 3,
            "others": json.dumps(others),
            "pickup_generated_date": php_date(now),
            "data": f"Pickup is confirmed by {courier_name(shipment)} For AWB :- {shipment.awb}",
        },
    }
