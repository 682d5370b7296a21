"""Demo merchant and bulk seeding: realistic Amazon.in orders over a time range with a status mix."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.amazon.formats import cents, parse_iso, whole_second
from sandbox.amazon.india import COMPANIES, FIRST_NAMES, LAST_NAMES, PLACES, PRODUCTS, STREETS, gstin
from sandbox.amazon.state import STATUSES, Account, Address, Business, Buyer, Item, Order, Package
from sandbox.kit import SandboxError

DEMO_SELLING_PARTNER_ID = "A2DEMOSELLERIN"
DEMO_NAME = "Demo Seller India"
DEMO_CLIENT_ID = "amzn1.application-oa2-client.0de5a7b1e2c34f5a9b8c7d6e5f4a3b21"
DEMO_CLIENT_SECRET = "amzn1.oa2-cs.v1.5a4e6f0d9c2b7e18a3f6d0c4b9e2a7f1c8d3e6b0a9f2c5d8e1b4a7f0c3d6e9b2"
DEMO_APPLICATION_ID = "amzn1.sp.solution.0de5a7b1-e2c3-4f5a-9b8c-7d6e5f4a3b21"
DEMO_REFRESH_TOKEN = "Atzr|IwEBIDemoRefreshToken-AmazonIndiaSandbox-A2DEMOSELLERIN-0de5a7b1e2c34f5a"

DEMO_ORDER_IDS = {
    "mfn_cod_easy_ship": "403-1234567-1234501",
    "mfn_prepaid_shipped": "404-2345678-2345602",
    "afn_prime": "405-3456789-3456703",
    "business": "406-4567890-4567804",
    "pending": "407-5678901-5678905",
    "canceled": "408-6789012-6789006",
}

GIFT_MESSAGES = ("Happy Diwali!", "Happy Birthday, with love", "Congratulations on the new home", "Best wishes")
DEFAULT_MIX = {"Unshipped": 3, "Shipped": 5, "Pending": 1, "Canceled": 1}
MAX_SEED = 5000


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def new_order_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        oid = f"40{rng.randint(2, 8)}-{_digits(rng, 7)}-{_digits(rng, 7)}"
        if oid not in taken:
            return oid


def _buyer(rng: random.Random, business: bool) -> tuple[Buyer, Address]:
    place = rng.choice(PLACES)
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    local = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(14))
    company = rng.choice(COMPANIES) if business else None
    addr = Address(
        name=name,
        company=company,
        line1=f"{rng.randint(1, 399)}, {rng.choice(STREETS)}",
        line2=rng.choice([None, "Near City Mall", "Opp. Post Office", "2nd Floor"]),
        city=place.city,
        state=place.state,
        postal_code=rng.choice(place.postal_codes),
        phone=f"+91 9{_digits(rng, 9)}",
        address_type="Commercial" if business else "Residential",
    )
    biz = None
    if company is not None:
        pan = "".join(rng.choice(string.ascii_uppercase) for _ in range(3)) + "C"
        pan += rng.choice(string.ascii_uppercase) + _digits(rng, 4) + rng.choice(string.ascii_uppercase)
        biz = Business(
            legal_name=company,
            gstin=gstin(place.gst_state_code, pan),
            address=f"{addr.line1}, {place.city}, {place.state} {addr.postal_code}",
            purchase_order=f"PO-{_digits(rng, 6)}",
        )
    return Buyer(name=name, email=f"{local}@marketplace.amazon.in", business=biz), addr


def _items(rng: random.Random, count: int, taken: set[str]) -> list[Item]:
    items = []
    for _ in range(count):
        product = rng.choice(PRODUCTS)
        item_id = _digits(rng, 14)
        while item_id in taken:
            item_id = _digits(rng, 14)
        taken.add(item_id)
        item = Item(
            order_item_id=item_id,
            asin=product.asin,
            sku=product.sku,
            title=product.title,
            quantity=rng.choice([1, 1, 1, 2, 3]),
            unit_price=product.price,
            gst_rate=product.gst_rate,
            shipping_price=rng.choice([Decimal("0"), Decimal("0"), Decimal("40.00")]),
        )
        if rng.random() < 0.15:  # a coupon or lightning deal: 5-10 % off the line
            item.promotion_discount = cents(item.item_price * Decimal(rng.randint(5, 10)) / 100)
            item.promotion_ids = [f"IN-{rng.choice(['COUPON', 'DEAL', 'PROMO'])}-{_digits(rng, 6)}"]
        if rng.random() < 0.05:
            item.is_gift, item.gift_message = True, rng.choice(GIFT_MESSAGES)
        items.append(item)
    return items


@dataclass
class Spec:
    status: str
    purchase: datetime
    channel: str = "MFN"
    payment: str = "Other"
    business: bool = False
    easy_ship: bool = False
    prime: bool = False
    items: int = 1
    order_id: str | None = None


_LAG = {
    "Pending": (0, 0),
    "PendingAvailability": (0, 0),
    "Unshipped": (300, 3600),
    "InvoiceUnconfirmed": (3600, 86400),
    "PartiallyShipped": (3600, 86400),
    "Shipped": (3600, 2 * 86400),
    "Canceled": (600, 2 * 86400),
    "Unfulfillable": (600, 86400),
}
_EASY_SHIP = {
    "Unshipped": ("PendingSchedule", "PendingPickUp"),
    "InvoiceUnconfirmed": ("PendingPickUp",),
    "PartiallyShipped": ("PendingPickUp",),
    "Shipped": ("PickedUp", "AtOriginFC", "AtDestinationFC", "OutForDelivery", "Delivered"),
    "Canceled": ("LabelCanceled",),
    "Unfulfillable": ("Undeliverable",),
}


def build(rng: random.Random, spec: Spec, latest: datetime, taken: set[str], item_ids: set[str]) -> Order:
    """One order as it stands after its history up to ``spec.status`` (never updated after ``latest``)."""
    buyer, addr = _buyer(rng, spec.business)
    count = max(spec.items, 2) if spec.status == "PartiallyShipped" else spec.items
    lo, hi = _LAG[spec.status]
    last = min(spec.purchase + timedelta(seconds=rng.randint(lo, hi)), latest)
    last = max(last, spec.purchase)
    days = (1, 2) if spec.prime else (2, 5)
    order = Order(
        amazon_order_id=spec.order_id or new_order_id(rng, taken),
        purchase_date=whole_second(spec.purchase),
        last_update=whole_second(last),
        status=spec.status,
        fulfillment_channel=spec.channel,
        payment_method=spec.payment,
        buyer=buyer,
        address=addr,
        items=_items(rng, count, item_ids),
        is_prime=spec.prime,
        easy_ship_status=rng.choice(_EASY_SHIP[spec.status])
        if spec.easy_ship and spec.channel == "MFN" and spec.status in _EASY_SHIP
        else None,
        ship_service_level="Exp IN Dom" if spec.prime else "Std IN Dom",
        service_category="Expedited" if spec.prime else "Standard",
        earliest_ship=whole_second(spec.purchase),
        latest_ship=whole_second(spec.purchase + timedelta(days=days[0])),
        earliest_delivery=whole_second(spec.purchase + timedelta(days=days[0] + 1)),
        latest_delivery=whole_second(spec.purchase + timedelta(days=days[1] + 1)),
    )
    taken.add(order.amazon_order_id)
    order.history.append((spec.status, order.last_update))
    if spec.status in ("Shipped", "InvoiceUnconfirmed"):
        for item in order.items:
            item.quantity_shipped = item.quantity
        if spec.channel == "MFN" and order.easy_ship_status is None:
            order.packages.append(
                Package(
                    reference_id="1",
                    carrier_code="Delhivery",
                    tracking_number=_digits(rng, 13),
                    ship_date=order.last_update,
                    items={i.order_item_id: i.quantity for i in order.items},
                )
            )
    elif spec.status == "PartiallyShipped":
        order.items[0].quantity_shipped = order.items[0].quantity
    return order


def demo_orders(account: Account, now: datetime, taken: set[str], item_ids: set[str]) -> None:
    """The demo merchant's orders: MFN COD Easy Ship, MFN prepaid, AFN Prime, business, pending, canceled."""
    rng = random.Random(20240521)
    day, ids = timedelta(days=1), DEMO_ORDER_IDS
    specs = [
        Spec("Unshipped", now - 2 * day, payment="COD", easy_ship=True, items=2, order_id=ids["mfn_cod_easy_ship"]),
        Spec("Shipped", now - 4 * day, items=1, order_id=ids["mfn_prepaid_shipped"]),
        Spec("Shipped", now - 3 * day, channel="AFN", prime=True, items=1, order_id=ids["afn_prime"]),
        Spec("Unshipped", now - 2 * day + timedelta(hours=5), business=True, items=2, order_id=ids["business"]),
        Spec("Pending", now - day, items=1, order_id=ids["pending"]),
        Spec("Canceled", now - 5 * day, payment="COD", items=1, order_id=ids["canceled"]),
    ]
    for spec in specs:
        account.add(build(rng, spec, now - timedelta(hours=12), taken, item_ids))


def _allocate(total: int, weights: dict[str, float]) -> list[str]:
    """Statuses for ``total`` orders in proportion to ``weights`` (largest remainder; exact for counts)."""
    weight_sum = sum(weights.values())
    shares = {s: total * w / weight_sum for s, w in weights.items()}
    counts = {s: int(v) for s, v in shares.items()}
    rest = total - sum(counts.values())
    for status in sorted(shares, key=lambda s: shares[s] - counts[s], reverse=True)[:rest]:
        counts[status] += 1
    return [s for s, n in counts.items() for _ in range(n)]


def _ratio(params: dict[str, Any], name: str, default: float) -> float:
    value = params.get(name, default)
    if not isinstance(value, int | float) or not 0 <= value <= 1:
        raise SandboxError(400, {"error": f"{name} must be a number between 0 and 1"})
    return float(value)


def seed_orders(
    account: Account, params: dict[str, Any], now: datetime, taken: set[str], item_ids: set[str]
) -> list[Order]:
    """``POST /_sandbox/seed``: N orders purchased uniformly between ``from`` and ``to``."""
    count = params.get("orders", 10)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_SEED:
        raise SandboxError(400, {"error": f"orders must be an integer between 0 and {MAX_SEED}"})
    start, end = now - timedelta(days=7), now - timedelta(minutes=5)
    for name in ("from", "to"):
        if params.get(name) is not None:
            parsed = parse_iso(str(params[name]))
            if parsed is None:
                raise SandboxError(400, {"error": f"{name} must be an ISO 8601 date-time"})
            if name == "from":
                start = parsed
            else:
                end = parsed
    end = min(end, now)
    if start > end:
        raise SandboxError(400, {"error": "from must be before to (and not in the future)"})
    weights = params.get("statuses") or DEFAULT_MIX
    if not isinstance(weights, dict) or not weights:
        raise SandboxError(400, {"error": "statuses must be an object of status → weight or count"})
    for status, weight in weights.items():
        if status not in STATUSES:
            raise SandboxError(400, {"error": f"unknown status {status!r}; use one of {', '.join(STATUSES)}"})
        if not isinstance(weight, int | float) or weight < 0:
            raise SandboxError(400, {"error": f"weight for {status} must be a non-negative number"})
    if sum(weights.values()) <= 0:
        raise SandboxError(400, {"error": "statuses must have a positive weight"})
    items = params.get("items_per_order")
    if items is not None and (not isinstance(items, int) or not 1 <= items <= 500):
        raise SandboxError(400, {"error": "items_per_order must be an integer between 1 and 500"})
    afn, cod = _ratio(params, "afn_ratio", 0.25), _ratio(params, "cod_ratio", 0.4)
    business, prime = _ratio(params, "business_ratio", 0.1), _ratio(params, "prime_ratio", 0.3)
    rng = random.Random(params.get("seed"))
    span = (end - start).total_seconds()
    created = []
    for status in _allocate(count, {k: float(v) for k, v in weights.items()}):
        channel = "AFN" if rng.random() < afn else "MFN"
        spec = Spec(
            status=status,
            purchase=start + timedelta(seconds=rng.uniform(0, span)),
            channel=channel,
            payment="COD" if rng.random() < cod else "Other",
            business=rng.random() < business,
            easy_ship=channel == "MFN" and rng.random() < 0.5,
            prime=rng.random() < prime,
            items=items or rng.choice([1, 1, 1, 2, 3]),
        )
        created.append(account.add(build(rng, spec, end, taken, item_ids)))
    return created
