"""Moving a shipment through its tracking lifecycle (pure: mutates the model, no I/O).

Each applied event adds a courier scan, sets the shipment status (shipment numbering) and the order
status (order numbering, or the return numbering for return orders), and stamps the dates the API
shows (shipped, delivered, RTO).
"""

from __future__ import annotations

from datetime import datetime

from sandbox.shiprocket.catalog import EVENTS, SHIPMENT_STATUSES, Event
from sandbox.shiprocket.pricing import place
from sandbox.shiprocket.state import Ids, Order, Scan, Shipment

FINAL_PHASE = "final"


def last_event(shipment: Shipment) -> Event | None:
    if not shipment.scans:
        return None
    return EVENTS[max(shipment.scans, key=lambda s: (s.at, s.seq)).event]


def phase(shipment: Shipment) -> str:
    event = last_event(shipment)
    if event is None:
        return "new" if shipment.awb is None else "booked"
    if shipment.status == 8:
        return FINAL_PHASE
    return event.phase


ALLOWED: dict[str, set[str]] = {
    "booked": {"booked", "forward", "cancel"},
    "forward": {"forward", "rto", "final"},
    "rto": {"rto", "final-rto"},
}
"""Which kinds of event may follow each phase."""


def _kind(event: Event) -> str:
    if event.name == "CANCELLED":
        return "cancel"
    if event.name == "RTO DELIVERED":
        return "final-rto"
    if event.name in ("LOST", "DAMAGED"):
        return "lost"
    return event.phase


def refusal(shipment: Shipment, name: str) -> str | None:
    """Why ``name`` cannot happen to this shipment now, or None if it can."""
    event = EVENTS.get(name)
    if event is None:
        return f"unknown status {name!r}; choose from {', '.join(EVENTS)}"
    if shipment.awb is None:
        return "no AWB assigned to this shipment"
    now = phase(shipment)
    if now == FINAL_PHASE:
        return f"shipment is already final ({SHIPMENT_STATUSES.get(shipment.status, shipment.status)})"
    kind = _kind(event)
    if kind == "lost" and now in ("forward", "rto"):
        return None
    if now == "booked" and name in ("DELIVERED", "OUT FOR DELIVERY", "UNDELIVERED"):
        return f"{name} needs a picked-up shipment"
    if kind not in ALLOWED[now]:
        return f"{name} cannot follow the shipment's {now} phase"
    return None


def location(order: Order, event: Event) -> str:
    origin = place(order.pickup.pin_code)
    dest = place(order.customer.pincode)
    if event.name in ("IN TRANSIT", "SHIPPED", "MISROUTED", "DELAYED", "RTO IN TRANSIT"):
        where = origin if event.phase != "rto" else dest
        return f"{where.city.upper()}_HUB, {where.city}, {where.state.upper()}"
    if (event.phase == "forward" and event.name not in ("PICKED UP",)) or event.name in (
        "DELIVERED",
        "RTO INITIATED",
        "RTO NDR",
        "LOST",
        "DAMAGED",
    ):
        return f"{dest.city.upper()}_DC, {dest.city}, {dest.state.upper()}"
    return f"{origin.city.upper()}_PICKUP, {origin.city}, {origin.state.upper()}"


def apply(order: Order, shipment: Shipment, name: str, at: datetime, ids: Ids, where: str | None = None) -> Scan:
    """Record ``name`` at ``at``; the caller has checked ``refusal`` first."""
    event = EVENTS[name]
    scan = Scan(at, name, where or location(order, event), next(ids.scan))
    shipment.scans.append(scan)
    shipment.status = event.shipment_status
    shipment.updated_at = order.updated_at = at
    order.status_code = event.return_order_status if order.is_return else event.order_status
    if name in ("PICKED UP", "SHIPPED") and shipment.shipped_at is None:
        shipment.shipped_at = at
    elif name == "DELIVERED":
        shipment.delivered_at = at
    elif name == "RTO INITIATED":
        shipment.rto_initiated_at = at
    elif name == "RTO DELIVERED":
        shipment.rto_delivered_at = at
    return scan


def activities(shipment: Shipment) -> list[Scan]:
    """Scans oldest first (webhooks); reverse for tracking (newest first)."""
    return sorted(shipment.scans, key=lambda s: (s.at, s.seq))
