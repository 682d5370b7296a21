"""Tracking shapes: ``tracking_data`` (activities newest first) and the webhook push (scans oldest first)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.shiprocket import lifecycle
from sandbox.shiprocket.catalog import EVENTS, SHIPMENT_STATUSES
from sandbox.shiprocket.formats import scan_time, webhook_timestamp
from sandbox.shiprocket.pricing import place
from sandbox.shiprocket.state import Order, Scan, Shipment
from sandbox.shiprocket.views import courier_name

NO_ACTIVITY = "Aahh! There is no activities found in our DB. Please have some patience it will be updated soon."


def _scan(scan: Scan) -> dict[str, Any]:
    event = EVENTS[scan.event]
    return {
        "date": scan_time(scan.at),
        "status": event.scan_code,
        "activity": event.activity,
        "location": scan.location,
        "sr-status": str(event.shipment_status) if event.sr_status else "NA",
        "sr-status-label": event.name if event.sr_status else "NA",
    }


def no_tracking() -> dict[str, Any]:
    return {"tracking_data": {"track_status": 0, "error": NO_ACTIVITY}}


def tracking(order: Order, shipment: Shipment) -> dict[str, Any]:
    """``{"tracking_data": ...}`` for one shipment (activities newest first)."""
    scans = lifecycle.activities(shipment)
    if not scans or shipment.awb is None:
        return no_tracking()
    origin, dest = place(order.pickup.pin_code), place(order.customer.pincode)
    current = SHIPMENT_STATUSES.get(shipment.status, "")
    return {
        "tracking_data": {
            "track_status": 1,
            "shipment_status": shipment.status,
            "shipment_track": [
                {
                    "id": shipment.id,
                    "awb_code": shipment.awb,
                    "courier_company_id": shipment.courier_id,
                    "shipment_id": shipment.id,
                    "order_id": order.id,
                    "pickup_date": scan_time(shipment.shipped_at) if shipment.shipped_at else None,
                    "delivered_date": scan_time(shipment.delivered_at) if shipment.delivered_at else None,
                    "weight": f"{order.weight:.2f}",
                    "packages": 1,
                    "current_status": current,
                    "delivered_to": dest.city,
                    "destination": dest.city,
                    "consignee_name": order.customer.name,
                    "origin": origin.city,
                    "courier_agent_details": None,
                    "courier_name": courier_name(shipment),
                    "edd": scan_time(shipment.etd) if shipment.etd and not shipment.delivered_at else None,
                    "pod": "Available" if shipment.delivered_at else "Not Available",
                    "pod_status": "OTP Based Delivery" if shipment.delivered_at else "",
                }
            ],
            "shipment_track_activities": [_scan(s) for s in reversed(scans)],
            "track_url": f"https://shiprocket.co//tracking/{shipment.awb}",
            "etd": scan_time(shipment.etd) if shipment.etd else None,
            "qc_response": {"qc_image": "", "qc_failed_reason": ""},
        }
    }


def webhook(
    order: Order, shipment: Shipment, event_name: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    """The tracking push body (fact sheet §7); scans oldest first."""
    scans = lifecycle.activities(shipment)
    name = event_name or (scans[-1].event if scans else "AWB ASSIGNED")
    event = EVENTS[name]
    when = at or (scans[-1].at if scans else shipment.updated_at)
    order_id = event.return_order_status if order.is_return else event.order_status
    return {
        "awb": shipment.awb or "",
        "courier_name": courier_name(shipment),
        "current_status": name,
        "current_status_id": order_id,
        "shipment_status": name,
        "shipment_status_id": event.shipment_status,
        "current_timestamp": webhook_timestamp(when),
        "order_id": order.channel_order_id,
        "sr_order_id": order.id,
        "awb_assigned_date": scan_time(shipment.awb_assigned_at) if shipment.awb_assigned_at else None,
        "pickup_scheduled_date": scan_time(shipment.pickup_scheduled_at) if shipment.pickup_scheduled_at else None,
        "etd": scan_time(shipment.etd) if shipment.etd else None,
        "scans": [_scan(s) for s in scans],
        "is_return": 1 if order.is_return else 0,
        "channel_id": order.channel_id,
        "pod_status": "OTP Based Delivery" if name == "DELIVERED" else "",
        "pod": "Available" if name == "DELIVERED" else "Not Available",
        "qc_image": "",
        "qc_failure_reason": "",
    }
