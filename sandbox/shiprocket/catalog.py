"""Shiprocket facts as data: status numberings, couriers and their price cards, pin-code geography.

Two status numberings exist and both are kept (fact sheet §6):

- *shipment* status ids (``shipment_status``, webhook ``shipment_status_id``, scan ``sr-status``);
- *order* status ids (order ``status_code``, webhook ``current_status_id``).

Lifecycle events name a status once and carry both ids, the courier's own scan code and its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

SHIPMENT_STATUSES: dict[int, str] = {
    1: "AWB Assigned",
    2: "Label Generated",
    3: "Pickup Scheduled/Generated",
    4: "Pickup Queued",
    5: "Manifest Generated",
    6: "Shipped",
    7: "Delivered",
    8: "Cancelled",
    9: "RTO Initiated",
    10: "RTO Delivered",
    11: "Pending",
    12: "Lost",
    13: "Pickup Error",
    14: "RTO Acknowledged",
    15: "Pickup Rescheduled",
    16: "Cancellation Requested",
    17: "Out For Delivery",
    18: "In Transit",
    19: "Out For Pickup",
    20: "Pickup Exception",
    21: "Undelivered",
    22: "Delayed",
    23: "Partial_Delivered",
    24: "Destroyed",
    25: "Damaged",
    26: "Fulfilled",
    38: "Reached at Destination (hub)",
    39: "Misrouted",
    40: "RTO NDR",
    41: "RTO OFD",
    42: "Picked Up",
    43: "Self Fulfilled",
    44: "DISPOSED_OFF",
    45: "CANCELLED_BEFORE_DISPATCHED",
    46: "RTO_IN_TRANSIT",
    47: "QC Failed",
    48: "Reached Warehouse",
    49: "Custom Cleared",
    50: "In Flight",
    51: "Handover to Courier",
    52: "Shipment Booked",
    54: "In Transit Overseas",
    55: "Connection Aligned",
    56: "Reached Overseas Warehouse",
    57: "Custom Cleared Overseas",
    59: "Box Packing",
}

ORDER_STATUSES: dict[int, str] = {
    1: "NEW",
    2: "INVOICED",
    3: "READY TO SHIP",
    4: "PICKUP SCHEDULED",
    5: "CANCELED",
    6: "SHIPPED",
    7: "DELIVERED",
    9: "RETURNED",
    12: "PICKUP QUEUE",
    13: "PICKUP RESCHEDULED",
    14: "PICKUP ERROR",
    15: "RTO INITIATED",
    16: "RTO DELIVERED",
    17: "RTO ACKNOWLEDGED",
    18: "CANCELLATION REQUESTED",
    19: "OUT FOR DELIVERY",
    20: "IN TRANSIT",
    21: "RETURN PENDING",
    22: "RETURN INITIATED",
    23: "RETURN PICKUP QUEUED",
    24: "RETURN PICKUP ERROR",
    25: "RETURN IN TRANSIT",
    26: "RETURN DELIVERED",
    27: "RETURN CANCELLED",
    28: "RETURN PICKUP GENERATED",
    29: "RETURN CANCELLATION REQUESTED",
    30: "RETURN PICKUP CANCELLED",
    31: "RETURN PICKUP RESCHEDULED",
    32: "RETURN PICKED UP",
    33: "LOST",
    34: "OUT FOR PICKUP",
    35: "PICKUP EXCEPTION",
    36: "UNDELIVERED",
    37: "DELIVERY DELAYED",
    43: "REACHED DESTINATION HUB",
    44: "MISROUTED",
    45: "RTO_OFD",
    46: "RTO_NDR",
    51: "PICKED UP",
    54: "CANCELED BEFORE DISPATCHED",
    55: "RTO IN-TRANSIT",
    87: "RTO_LOCK",
}


@dataclass(frozen=True)
class Event:
    """One tracking status: both numberings, the courier scan code and the activity text."""

    name: str
    shipment_status: int
    order_status: int
    return_order_status: int
    scan_code: str
    activity: str
    phase: str
    """``booked`` (before pickup), ``forward`` (picked up, going out), ``rto``, ``final`` (no way on)."""
    sr_status: bool = True
    """False for scans Shiprocket does not map (``sr-status: "NA"``)."""


EVENTS: dict[str, Event] = {
    e.name: e
    for e in [
        Event("AWB ASSIGNED", 1, 3, 22, "AWB", "Shipment information sent to courier", "booked", sr_status=False),
        Event("PICKUP SCHEDULED", 3, 4, 28, "DRC", "Pending Manifest Data Received", "booked", sr_status=False),
        Event("PICKUP RESCHEDULED", 15, 13, 31, "PUR", "Pickup rescheduled", "booked"),
        Event("MANIFEST GENERATED", 5, 4, 28, "X-UCI", "Manifested - Consignment Manifested", "booked"),
        Event("OUT FOR PICKUP", 19, 34, 28, "OFP", "Out for Pickup", "booked"),
        Event("PICKUP EXCEPTION", 20, 35, 24, "PEX", "Pickup exception - seller not available", "booked"),
        Event("PICKED UP", 42, 51, 32, "PUD", "Shipment picked up", "forward"),
        Event("SHIPPED", 6, 6, 25, "PKD", "Picked Shipment InScan from Manifest", "forward"),
        Event("IN TRANSIT", 18, 20, 25, "IT", "InTransit Shipment added in Bag", "forward"),
        Event("REACHED AT DESTINATION HUB", 38, 43, 25, "RAD", "Reached at Destination Hub", "forward"),
        Event("MISROUTED", 39, 44, 25, "MSR", "Shipment misrouted", "forward"),
        Event("DELAYED", 22, 37, 25, "DLY", "Shipment delayed", "forward"),
        Event("OUT FOR DELIVERY", 17, 19, 25, "OFD", "Out for Delivery", "forward"),
        Event("UNDELIVERED", 21, 36, 25, "UD", "Consignee not available", "forward"),
        Event("DELIVERED", 7, 7, 26, "DLVD", "Delivered", "final"),
        Event("RTO INITIATED", 9, 15, 25, "RTO", "RTO Initiated", "rto"),
        Event("RTO IN TRANSIT", 46, 55, 25, "RTO-IT", "RTO In Transit", "rto"),
        Event("RTO NDR", 40, 46, 25, "RTO-UD", "RTO Undelivered", "rto"),
        Event("RTO OFD", 41, 45, 25, "RTO-OFD", "RTO Out for Delivery", "rto"),
        Event("RTO DELIVERED", 10, 16, 26, "RTD", "RTO Delivered to shipper", "final"),
        Event("LOST", 12, 33, 25, "LOST", "Shipment lost in transit", "final"),
        Event("DAMAGED", 25, 33, 25, "DMG", "Shipment damaged", "final"),
        Event("CANCELLED", 8, 5, 27, "CAN", "Shipment cancelled", "final"),
    ]
}

PATHS: dict[str, list[str]] = {
    "delivered": [
        "OUT FOR PICKUP",
        "PICKED UP",
        "SHIPPED",
        "IN TRANSIT",
        "REACHED AT DESTINATION HUB",
        "OUT FOR DELIVERY",
        "DELIVERED",
    ],
    "rto": [
        "OUT FOR PICKUP",
        "PICKED UP",
        "IN TRANSIT",
        "OUT FOR DELIVERY",
        "UNDELIVERED",
        "RTO INITIATED",
        "RTO IN TRANSIT",
        "RTO OFD",
        "RTO DELIVERED",
    ],
    "lost": ["OUT FOR PICKUP", "PICKED UP", "IN TRANSIT", "LOST"],
    "undelivered": ["OUT FOR PICKUP", "PICKED UP", "IN TRANSIT", "OUT FOR DELIVERY", "UNDELIVERED"],
}
"""Scripted lifecycles for ``POST /_sandbox/shipments/{awb}/advance {"path": ...}`` (after pickup scheduling)."""

ZONES = ("z_a", "z_b", "z_c", "z_d", "z_e")


def _rates(*values: str) -> dict[str, Decimal]:
    return {zone: Decimal(v) for zone, v in zip(ZONES, values, strict=True)}


def _days(*values: int) -> dict[str, int]:
    return dict(zip(ZONES, values, strict=True))


@dataclass(frozen=True)
class Courier:
    id: int
    name: str
    air: bool
    cod: bool
    rating: float
    slab_rate: dict[str, Decimal]
    """Freight per 0.5 kg slab by zone (INR)."""
    etd_days: dict[str, int]
    cod_fixed: Decimal
    cod_percent: Decimal
    """COD charge is the larger of the fixed amount and this percentage of the declared value."""
    awb_prefix: str
    awb_length: int
    min_weight: Decimal = Decimal("0.5")
    max_weight: Decimal = Decimal("50")
    blocked: dict[str, str] = field(default_factory=dict)
    """Delivery pin-code prefix → block reason."""
    cutoff_time: str = "11:00"
    performance: tuple[float, float, float, float] = (4.0, 4.0, 4.0, 4.0)
    """delivery, pickup, rto, tracking performance."""


COURIERS: list[Courier] = [
    Courier(
        24, "Xpressbees Surface", False, True, 4.1, _rates("26", "29", "35", "38", "48"), _days(1, 2, 3, 4, 7),
        Decimal("30"), Decimal("1.5"), "14", 15, performance=(4.1, 4.3, 3.9, 4.0),
    ),
    Courier(
        43, "Delhivery Surface", False, True, 4.4, _rates("28", "32", "38", "42", "55"), _days(2, 3, 4, 5, 8),
        Decimal("35"), Decimal("1.75"), "1900", 14, blocked={"744": "ODA location not serviced"},
        performance=(4.5, 4.4, 4.2, 4.6),
    ),
    Courier(
        10, "Delhivery Air", True, True, 4.5, _rates("38", "45", "60", "68", "80"), _days(1, 2, 2, 3, 5),
        Decimal("35"), Decimal("1.75"), "1901", 14, max_weight=Decimal("20"), cutoff_time="14:00",
        performance=(4.6, 4.4, 4.3, 4.6),
    ),
    Courier(
        217, "Ekart Logistics Surface", False, True, 3.9, _rates("24", "27", "33", "36", "46"), _days(2, 3, 4, 6, 9),
        Decimal("28"), Decimal("1.5"), "SRTP", 14, blocked={"781": "Pincode blocked by courier"},
        performance=(3.9, 4.0, 3.6, 3.8),
    ),
    Courier(
        33, "Shadowfax Surface", False, False, 3.8, _rates("22", "25", "30", "33", "44"), _days(2, 3, 4, 5, 8),
        Decimal("0"), Decimal("0"), "SF", 12, max_weight=Decimal("10"), performance=(3.8, 4.1, 3.5, 3.9),
    ),
    Courier(
        1, "Blue Dart Air", True, True, 4.7, _rates("55", "62", "80", "90", "110"), _days(1, 1, 2, 2, 4),
        Decimal("45"), Decimal("2.0"), "7", 11, blocked={"190": "Security restricted area"}, cutoff_time="15:00",
        performance=(4.8, 4.6, 4.5, 4.7),
    ),
    Courier(
        19, "DTDC Surface", False, True, 3.7, _rates("27", "30", "36", "40", "50"), _days(2, 3, 5, 6, 10),
        Decimal("30"), Decimal("1.5"), "D", 9, blocked={"682": "Service suspended by courier"},
        performance=(3.7, 3.8, 3.6, 3.5),
    ),
]  # fmt: skip

COURIERS_BY_ID: dict[int, Courier] = {c.id: c for c in COURIERS}


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    metro: bool = False


PLACES: dict[str, Place] = {
    "110": Place("New Delhi", "Delhi", True),
    "122": Place("Gurgaon", "Haryana"),
    "144": Place("Jalandhar", "Punjab"),
    "190": Place("Srinagar", "Jammu & Kashmir"),
    "194": Place("Leh", "Ladakh"),
    "201": Place("Ghaziabad", "Uttar Pradesh"),
    "226": Place("Lucknow", "Uttar Pradesh"),
    "302": Place("Jaipur", "Rajasthan"),
    "380": Place("Ahmedabad", "Gujarat"),
    "400": Place("Mumbai", "Maharashtra", True),
    "411": Place("Pune", "Maharashtra"),
    "452": Place("Indore", "Madhya Pradesh"),
    "500": Place("Hyderabad", "Telangana", True),
    "517": Place("Chittoor", "Andhra Pradesh"),
    "530": Place("Visakhapatnam", "Andhra Pradesh"),
    "560": Place("Bengaluru", "Karnataka", True),
    "570": Place("Mysuru", "Karnataka"),
    "600": Place("Chennai", "Tamil Nadu", True),
    "641": Place("Coimbatore", "Tamil Nadu"),
    "682": Place("Kochi", "Kerala"),
    "700": Place("Kolkata", "West Bengal", True),
    "737": Place("Gangtok", "Sikkim"),
    "744": Place("Port Blair", "Andaman & Nicobar Islands"),
    "751": Place("Bhubaneswar", "Odisha"),
    "781": Place("Guwahati", "Assam"),
    "800": Place("Patna", "Bihar"),
}

REGION_STATES: dict[str, str] = {
    "1": "Delhi",
    "2": "Uttar Pradesh",
    "3": "Rajasthan",
    "4": "Maharashtra",
    "5": "Karnataka",
    "6": "Tamil Nadu",
    "7": "West Bengal",
    "8": "Bihar",
}
"""Fallback state by the pin code's first digit (India Post zone) for prefixes not in ``PLACES``."""

SPECIAL_PREFIXES = ("18", "19", "78", "79", "737", "744")
"""Zone E: North-East, Jammu & Kashmir / Ladakh, Sikkim, Andaman & Nicobar."""

UNSERVICEABLE_PINS: dict[str, str] = {
    "744301": "Car Nicobar",
    "194101": "Leh",
    "263001": "Nainital (hill area)",
}
"""Valid pin codes no courier serves."""

HOLIDAYS: set[str] = {"01-26", "08-15", "10-02"}
"""Month-day dates with no pickups (Republic Day, Independence Day, Gandhi Jayanti); Sundays too."""

PICKUP_CUTOFF_HOUR = 14
"""Pickups requested after this IST hour are scheduled for the next working day."""
