"""The deterministic pricing model behind ``GET /courier/serviceability/`` (pure; no HTTP, no state).

Zone from the pin codes (A within city, B within state, C metro to metro, D rest of India, E special
areas), charged weight rounded up to 0.5 kg slabs (the larger of dead and volumetric weight, at least
the courier's minimum), freight = slabs x the courier's slab rate for the zone, COD charge = the larger
of a fixed amount and a percentage of the declared value, ETD in days by zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from sandbox.shiprocket.catalog import (
    COURIERS,
    PLACES,
    REGION_STATES,
    SPECIAL_PREFIXES,
    UNSERVICEABLE_PINS,
    Courier,
    Place,
)
from sandbox.shiprocket.formats import IST, PAISA, ist

HALF_KG = Decimal("0.5")
VOLUMETRIC_DIVISOR = Decimal("5000")


def place(pin: str) -> Place:
    known = PLACES.get(pin[:3])
    if known:
        return known
    return Place(f"City {pin[:3]}", REGION_STATES.get(pin[:1], "Delhi"))


def zone(pickup: str, delivery: str) -> str:
    if delivery.startswith(SPECIAL_PREFIXES) or pickup.startswith(SPECIAL_PREFIXES):
        return "z_e"
    if pickup[:3] == delivery[:3]:
        return "z_a"
    a, b = place(pickup), place(delivery)
    if a.state == b.state:
        return "z_b"
    if a.metro and b.metro:
        return "z_c"
    return "z_d"


def charged_weight(weight: Decimal, dims: tuple[Decimal, Decimal, Decimal] | None, minimum: Decimal) -> Decimal:
    volumetric = dims[0] * dims[1] * dims[2] / VOLUMETRIC_DIVISOR if dims else Decimal(0)
    heavier = max(weight, volumetric, minimum)
    return (heavier / HALF_KG).to_integral_value(rounding=ROUND_CEILING) * HALF_KG


@dataclass(frozen=True)
class Lane:
    pickup: str
    delivery: str
    weight: Decimal
    cod: bool
    declared_value: Decimal = Decimal(0)
    dims: tuple[Decimal, Decimal, Decimal] | None = None
    mode: str | None = None
    """``Surface`` or ``Air`` filter, or None for both."""


@dataclass(frozen=True)
class Quote:
    courier: Courier
    zone: str
    charge_weight: Decimal
    freight: Decimal
    cod_charges: Decimal
    etd_days: int
    etd: datetime

    @property
    def rate(self) -> Decimal:
        return self.freight + self.cod_charges

    @property
    def rto_charges(self) -> Decimal:
        return self.freight


@dataclass(frozen=True)
class Block:
    courier: Courier
    reason: str


@dataclass(frozen=True)
class Serviceability:
    zone: str
    available: list[Quote]
    blocked: list[Block]
    recommended: Quote | None


def unserviceable_reason(lane: Lane) -> str | None:
    for pin in (lane.pickup, lane.delivery):
        if pin in UNSERVICEABLE_PINS:
            return f"{pin} ({UNSERVICEABLE_PINS[pin]}) is not serviceable"
    return None


def quote(courier: Courier, lane: Lane, now: datetime) -> Quote:
    z = zone(lane.pickup, lane.delivery)
    weight = charged_weight(lane.weight, lane.dims, courier.min_weight)
    freight = (weight / HALF_KG) * courier.slab_rate[z]
    cod = Decimal(0)
    if lane.cod and courier.cod:
        cod = max(courier.cod_fixed, (lane.declared_value * courier.cod_percent / 100).quantize(PAISA))
    days = courier.etd_days[z]
    local = ist(now)
    hour, minute = (int(x) for x in courier.cutoff_time.split(":"))
    if (local.hour, local.minute) >= (hour, minute):
        days += 1
    etd = (local + timedelta(days=days)).replace(hour=23, minute=59, second=0, microsecond=0).astimezone(IST)
    return Quote(courier, z, weight, freight.quantize(PAISA), cod, days, etd)


def check(lane: Lane, now: datetime, couriers: list[Courier] | None = None) -> Serviceability:
    """Which couriers serve the lane, at what price, and which one Shiprocket would recommend."""
    z = zone(lane.pickup, lane.delivery)
    available: list[Quote] = []
    blocked: list[Block] = []
    if unserviceable_reason(lane):
        return Serviceability(z, [], [], None)
    for courier in couriers or COURIERS:
        if lane.mode and courier.air != (lane.mode.lower() == "air"):
            continue
        if lane.weight > courier.max_weight:
            continue
        reason = next((r for p, r in courier.blocked.items() if lane.delivery.startswith(p)), None)
        if reason:
            blocked.append(Block(courier, reason))
            continue
        available.append(quote(courier, lane, now))
    return Serviceability(z, available, blocked, recommend(available, lane.cod))


def recommend(quotes: list[Quote], cod: bool) -> Quote | None:
    """Cheapest, then best rated; never a courier without COD for a COD shipment."""
    eligible = [q for q in quotes if q.courier.cod or not cod]
    if not eligible:
        return None
    return min(eligible, key=lambda q: (q.rate, -q.courier.rating, q.courier.id))
