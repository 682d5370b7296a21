"""Demo data: the "Demo Traders" store (INR), its catalog and stock, and realistic Indian orders.

``demo_store`` builds the fixed demo merchant; ``new_store`` an empty-catalog copy for other accounts;
``seed_orders`` spreads N orders over a time range, in a mix of states, for ``POST /_sandbox/seed``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.magento import sales
from sandbox.magento.checkout import Customer, place
from sandbox.magento.state import (
    AdminUser,
    Integration,
    Order,
    Product,
    Sequences,
    Source,
    SourceItem,
    StockItem,
    Store,
    money,
)

DEMO_ACCOUNT = "demo"
DEMO_USERNAME = "demo-admin"
DEMO_PASSWORD = "Demo-Traders-2024!"
DEMO_INTEGRATION_TOKEN = "demo0magento0integration0token0a"

# sku, name, type, price (INR, excl. tax), weight kg, GST %, qty, parent, attributes
CATALOG: list[tuple[str, str, str, str, str, str, int, str | None, dict[str, Any]]] = [
    ("DT-KURTA-BLU", "Cotton Kurta - Indigo", "configurable", "0", "0", "5", 0, None, {"url_key": "cotton-kurta"}),
    (
        "DT-KURTA-BLU-M",
        "Cotton Kurta - Indigo - M",
        "simple",
        "899",
        "0.3",
        "5",
        40,
        "DT-KURTA-BLU",
        {"size": "M", "size_id": 167},
    ),
    (
        "DT-KURTA-BLU-L",
        "Cotton Kurta - Indigo - L",
        "simple",
        "899",
        "0.3",
        "5",
        25,
        "DT-KURTA-BLU",
        {"size": "L", "size_id": 168},
    ),
    (
        "DT-KURTA-BLU-XL",
        "Cotton Kurta - Indigo - XL",
        "simple",
        "949",
        "0.35",
        "5",
        0,
        "DT-KURTA-BLU",
        {"size": "XL", "size_id": 169},
    ),
    ("DT-MUG-BRASS", "Brass Coffee Mug", "simple", "649", "0.4", "18", 60, None, {"url_key": "brass-mug"}),
    ("DT-TEA-ASSAM-500G", "Assam Tea 500g", "simple", "349", "0.55", "5", 120, None, {"url_key": "assam-tea"}),
    (
        "DT-SAREE/SILK-RED",
        "Banarasi Silk Saree - Red",
        "simple",
        "4999",
        "0.8",
        "5",
        8,
        None,
        {"url_key": "banarasi-saree-red"},
    ),
    ("DT-BAG-JUTE", "Jute Tote Bag", "simple", "299", "0.2", "12", 200, None, {"url_key": "jute-tote"}),
    ("DT-LAMP-DIYA-6", "Clay Diya Set of 6", "simple", "199", "0.6", "12", 3, None, {"url_key": "clay-diya"}),
]

CUSTOMERS: list[Customer] = [
    Customer(
        "Aarav",
        "Sharma",
        "aarav.sharma@example.in",
        "9820012345",
        ("12 Marine Drive", "Churchgate"),
        "Mumbai",
        "Maharashtra",
        "400020",
        11,
    ),
    Customer(
        "Priya",
        "Nair",
        "priya.nair@example.in",
        "9845098450",
        ("45 MG Road", "Ashok Nagar"),
        "Bengaluru",
        "Karnataka",
        "560001",
    ),
    Customer(
        "Rohan",
        "Gupta",
        "rohan.gupta@example.in",
        "9811198111",
        ("B-7 Lajpat Nagar II",),
        "New Delhi",
        "Delhi",
        "110024",
        12,
    ),
    Customer(
        "Lakshmi",
        "Iyer",
        "lakshmi.iyer@example.in",
        "9884098840",
        ("3 Cathedral Road", "Gopalapuram"),
        "Chennai",
        "Tamil Nadu",
        "600086",
    ),
    Customer(
        "Arjun", "Banerjee", "arjun.b@example.in", "9830098300", ("21 Park Street",), "Kolkata", "West Bengal", "700016"
    ),
    Customer(
        "Sneha",
        "Reddy",
        "sneha.reddy@example.in",
        "9849098490",
        ("Plot 9, Road No. 12", "Banjara Hills"),
        "Hyderabad",
        "Telangana",
        "500034",
        13,
    ),
    Customer(
        "Vikram",
        "Singh",
        "vikram.singh@example.in",
        "9829098290",
        ("C-Scheme, Ashok Marg",),
        "Jaipur",
        "Rajasthan",
        "302001",
    ),
    Customer(
        "Meera",
        "Patel",
        "meera.patel@example.in",
        "9825098250",
        ("8 CG Road", "Navrangpura"),
        "Ahmedabad",
        "Gujarat",
        "380009",
    ),
    Customer(
        "Kabir", "Khan", "kabir.khan@example.in", "9839098390", ("17 Hazratganj",), "Lucknow", "Uttar Pradesh", "226001"
    ),
    Customer(
        "Anjali",
        "Menon",
        "anjali.menon@example.in",
        "9847098470",
        ("Marine Drive", "Ernakulam"),
        "Kochi",
        "Kerala",
        "682031",
    ),
]

CARRIERS: list[tuple[str, str]] = [("custom", "Delhivery"), ("custom", "Blue Dart"), ("custom", "Ekart")]


def new_store(account: str, name: str, username: str, password: str, token: str, *, prefix: str = "") -> Store:
    store = Store(account=account, name=name, increment_prefix=prefix, seq=Sequences({"order_increment": 101}))
    store.admins[username] = AdminUser(1, username, password)
    store.integrations.append(
        Integration(
            name="Connector Platform",
            access_token=token,
            consumer_key=f"ck{token[:30]}",
            consumer_secret=f"cs{token[-30:]}",
            token_secret=f"ts{token[::-1][:30]}",
        )
    )
    store.sources["default"] = Source("default", "Default Source", "Mumbai", 553, "400001")
    store.sources["blr_wh"] = Source("blr_wh", "Bengaluru Warehouse", "Bengaluru", 548, "560048")
    return store


def add_catalog(store: Store, now: datetime) -> None:
    created = now - timedelta(days=120)
    for sku, name, type_id, price, weight, tax, qty, parent, attrs in CATALOG:
        pid = store.seq.next("catalog_product_entity")
        product = Product(
            id=pid,
            sku=sku,
            name=name,
            type_id=type_id,
            price=money(price),
            weight=Decimal(weight),
            tax_percent=Decimal(tax),
            created_at=created,
            updated_at=created,
            parent_sku=parent,
            visibility=1 if parent else 4,
            attributes=dict(attrs),
            configurable_attribute="size" if type_id == "configurable" else None,
        )
        store.products[sku] = product
        if parent:
            store.products[parent].children.append(sku)
        stock_qty = Decimal(qty)
        store.stock[sku] = StockItem(
            store.seq.next("cataloginventory_stock_item"), pid, sku, stock_qty, type_id == "configurable" or qty > 0
        )
        if type_id == "simple":
            store.source_items[(sku, "default")] = SourceItem(sku, "default", stock_qty, 1 if qty > 0 else 0)
            store.source_items[(sku, "blr_wh")] = SourceItem(sku, "blr_wh", Decimal(qty // 4), 1 if qty // 4 else 0)


def demo_store(now: datetime) -> Store:
    store = new_store(DEMO_ACCOUNT, "Demo Traders", DEMO_USERNAME, DEMO_PASSWORD, DEMO_INTEGRATION_TOKEN)
    add_catalog(store, now)
    c = CUSTOMERS
    h = timedelta(hours=1)
    d = Decimal

    # 1. COD, just placed: new/pending
    place(store, now - 2 * h, c[0], [("DT-KURTA-BLU-M", d(2)), ("DT-TEA-ASSAM-500G", d(1))])
    # 2. Check/money order, new/pending
    place(store, now - 5 * h, c[1], [("DT-MUG-BRASS", d(1))], payment_method="checkmo")
    # 3. Prepaid (Razorpay), captured and invoiced: processing
    place(
        store,
        now - 9 * h,
        c[2],
        [("DT-SAREE/SILK-RED", d(1))],
        payment_method="razorpay",
        shipping_method="freeshipping_freeshipping",
    )
    # 4. Prepaid, awaiting payment: pending_payment
    place(store, now - 11 * h, c[3], [("DT-BAG-JUTE", d(3))], payment_method="razorpay", pending_payment=True)
    # 5. COD acknowledged by the OMS (status processing, state new), then invoiced and shipped: complete
    o5 = place(store, now - 30 * h, c[4], [("DT-KURTA-BLU-L", d(1)), ("DT-LAMP-DIYA-6", d(1))])
    sales.comment(store, o5, now - 29 * h, {"comment": "Order acknowledged by OMS", "status": "processing"})
    sales.invoice(store, o5, now - 27 * h, None, capture=False, comment=None)
    sales.ship(
        store,
        o5,
        now - 26 * h,
        None,
        comment=None,
        tracks=[{"track_number": "1490810012345", "title": "Delhivery", "carrier_code": "custom"}],
    )
    # 6. COD canceled by the customer
    o6 = place(store, now - 50 * h, c[5], [("DT-MUG-BRASS", d(2))])
    sales.cancel(store, o6, now - 48 * h)
    # 7. COD on hold (address check)
    o7 = place(store, now - 20 * h, c[6], [("DT-TEA-ASSAM-500G", d(4))])
    sales.add_history(store, o7, now - 19 * h, "Address incomplete; calling customer")
    sales.hold(o7, now - 19 * h)
    # 8. Prepaid, shipped and then refunded in full: closed
    o8 = place(store, now - 72 * h, c[7], [("DT-BAG-JUTE", d(1))], payment_method="razorpay")
    sales.ship(
        store,
        o8,
        now - 70 * h,
        None,
        comment=None,
        tracks=[{"track_number": "77501234567", "title": "Blue Dart", "carrier_code": "custom"}],
    )
    sales.refund(
        store,
        o8,
        now - 40 * h,
        None,
        shipping_amount=None,
        adjustment_positive=d(0),
        adjustment_negative=d(0),
        comment="Returned: damaged in transit",
    )
    return store


def seed_orders(store: Store, now: datetime, count: int, start: datetime, end: datetime, seed: int) -> list[Order]:
    """``count`` orders with ``created_at`` spread over [start, end], in a realistic mix of states."""
    rng = random.Random(seed)
    sellable = [p.sku for p in store.products.values() if p.type_id == "simple"]
    if not sellable:
        raise ValueError("this store has no simple products to order; add a catalog first")
    span = max(0.0, (end - start).total_seconds())
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    placed: list[Order] = []
    for at in moments:
        customer = rng.choice(CUSTOMERS)
        lines = [(sku, Decimal(rng.choice([1, 1, 1, 2, 3]))) for sku in rng.sample(sellable, rng.choice([1, 1, 2, 3]))]
        method = rng.choices(["cashondelivery", "razorpay", "checkmo"], weights=[6, 5, 1])[0]
        order = place(
            store,
            at,
            customer,
            lines,
            payment_method=method,
            pending_payment=method == "razorpay" and rng.random() < 0.1,
        )
        _progress(store, order, at, min(now, end), rng)
        placed.append(order)
    return placed


def _progress(store: Store, order: Order, at: datetime, limit: datetime, rng: random.Random) -> None:
    """Move some orders along (acknowledge, invoice, ship, cancel), never past ``limit``."""
    roll = rng.random()
    if order.state == "pending_payment" or roll < 0.35:
        return
    step = timedelta(minutes=rng.randint(20, 600))
    when = min(at + step, limit)
    if roll < 0.45 and sales.can_cancel(order):
        sales.cancel(store, order, when)
        return
    if order.state == "new":
        sales.comment(store, order, when, {"comment": "Order acknowledged", "status": "processing"})
        if roll < 0.6:
            return
        when = min(when + step, limit)
        sales.invoice(store, order, when, None, capture=False, comment=None)
    if roll < 0.75:
        return
    when = min(when + step, limit)
    code, title = rng.choice(CARRIERS)
    sales.ship(
        store,
        order,
        when,
        None,
        comment=None,
        tracks=[{"track_number": str(rng.randint(10**11, 10**12)), "title": title, "carrier_code": code}],
    )
