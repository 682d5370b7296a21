"""The demo merchant (fixed credentials) and realistic Indian orders for ``POST /_sandbox/seed``.

Seeding goes through the same operations as the API (create, assign AWB, schedule pickup, lifecycle)
but fires no webhooks.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.kit import SandboxError
from sandbox.shiprocket import operations, remittance
from sandbox.shiprocket.catalog import PATHS
from sandbox.shiprocket.formats import IST, ist
from sandbox.shiprocket.state import Account, Ids, Order, PickupLocation, Settings

DEMO = {
    "account": "demo",
    "email": "api-demo@demo-traders.in",
    "password": "DemoTraders@2024",
    "webhook_token": "demo-webhook-token-5f2c9a",
    "company_name": "Demo Traders Pvt Ltd",
    "first_name": "API",
    "last_name": "Demo",
}

CUSTOMERS: list[tuple[str, str, str, str, str, str, str]] = [
    ("Aarav", "Sharma", "22, Lajpat Nagar II", "New Delhi", "Delhi", "110024", "9810011122"),
    ("Priya", "Iyer", "14, 3rd Cross, Adyar", "Chennai", "Tamil Nadu", "600020", "9840022233"),
    ("Rohan", "Mehta", "Flat 502, Hiranandani Gardens, Powai", "Mumbai", "Maharashtra", "400076", "9820033344"),
    ("Ananya", "Reddy", "Plot 9, Jubilee Hills", "Hyderabad", "Telangana", "500033", "9849044455"),
    ("Vikram", "Patil", "B-7, Koregaon Park", "Pune", "Maharashtra", "411001", "9890055566"),
    ("Sneha", "Banerjee", "45, Salt Lake Sector V", "Kolkata", "West Bengal", "700091", "9830066677"),
    ("Karthik", "Nair", "Door 12, Panampilly Nagar", "Kochi", "Kerala", "682036", "9847077788"),
    ("Meera", "Joshi", "C-21, Vaishali Nagar", "Jaipur", "Rajasthan", "302021", "9829088899"),
    ("Arjun", "Das", "House 3, Zoo Road", "Guwahati", "Assam", "781005", "9864099900"),
    ("Isha", "Gupta", "12, Gomti Nagar", "Lucknow", "Uttar Pradesh", "226010", "9839010011"),
    ("Rahul", "Verma", "88, Indiranagar 100ft Road", "Bengaluru", "Karnataka", "560038", "9880021122"),
    ("Fatima", "Khan", "7, Satellite Road", "Ahmedabad", "Gujarat", "380015", "9825032233"),
]

PRODUCTS: list[tuple[str, str, str, str]] = [
    ("Cotton Kurta - Indigo", "KUR-IND-M", "899", "6205"),
    ("Steel Water Bottle 1L", "BTL-STL-1L", "449", "7323"),
    ("Masala Chai Tin 250g", "TEA-MSL-250", "325", "0902"),
    ("Handloom Saree - Maroon", "SAR-HL-MRN", "2499", "5208"),
    ("Bluetooth Earbuds", "AUD-EB-201", "1299", "8518"),
    ("Leather Wallet", "WAL-LTH-BR", "699", "4202"),
]


def make_account(
    key: str, email: str, password: str, company_name: str, ids: Ids, now: datetime, webhook_token: str | None
) -> Account:
    account = Account(
        key=key,
        user_id=next(ids.user),
        company_id=next(ids.company),
        email=email,
        password=password,
        first_name="API",
        last_name=key.capitalize(),
        company_name=company_name,
        created_at=now - timedelta(days=400),
        channel_id=next(ids.channel),
        wallet=Decimal(0),
    )
    account.book(next(ids.ledger), account.created_at, "Wallet recharge", Decimal("25000.00"))
    account.webhook.token = webhook_token
    return account


def add_pickup(account: Account, ids: Ids, nickname: str, address: str, city: str, state: str, pin: str) -> None:
    account.pickups[nickname] = PickupLocation(
        id=next(ids.pickup),
        nickname=nickname,
        name=account.company_name,
        email=account.email,
        phone="9900112233",
        address=address,
        address_2="",
        city=city,
        state=state,
        country="India",
        pin_code=pin,
        created_at=account.created_at,
        primary=not account.pickups,
    )


def order_payload(rng: random.Random, order_id: str, when: datetime, pickup: str, cod: bool) -> dict[str, Any]:
    first, last, address, city, state, pin, phone = rng.choice(CUSTOMERS)
    name, sku, price, hsn = rng.choice(PRODUCTS)
    units = rng.choice([1, 1, 1, 2, 3])
    sub_total = Decimal(price) * units
    return {
        "order_id": order_id,
        "order_date": ist(when).strftime("%Y-%m-%d %H:%M"),
        "pickup_location": pickup,
        "billing_customer_name": first,
        "billing_last_name": last,
        "billing_address": address,
        "billing_city": city,
        "billing_pincode": pin,
        "billing_state": state,
        "billing_country": "India",
        "billing_email": f"{first.lower()}.{last.lower()}@example.in",
        "billing_phone": phone,
        "shipping_is_billing": True,
        "order_items": [{"name": name, "sku": sku, "units": units, "selling_price": price, "hsn": hsn}],
        "payment_method": "COD" if cod else "Prepaid",
        "shipping_charges": "0",
        "sub_total": str(sub_total),
        "length": 20,
        "breadth": 15,
        "height": 8,
        "weight": rng.choice(["0.4", "0.5", "0.8", "1.2", "2"]),
    }


TARGETS = ("NEW", "READY TO SHIP", "PICKUP SCHEDULED", "IN TRANSIT", "DELIVERED", "RTO DELIVERED", "LOST", "CANCELED")


def progress(
    account: Account, ids: Ids, settings: Settings, order: Order, target: str, at: datetime, now: datetime
) -> None:
    """Walk a new order to ``target``: steps up to six hours apart from ``at``, never past ``now``."""
    if target == "NEW":
        return
    if target == "CANCELED":
        operations.cancel_orders(account, {"ids": [order.id]}, ids, at)
        return
    try:
        operations.assign_awb(account, {"shipment_id": order.shipment_id}, ids, settings, at)
    except operations.AssignFailed:
        return
    if target == "READY TO SHIP":
        return
    path = {"IN TRANSIT": PATHS["delivered"][:4], "DELIVERED": PATHS["delivered"], "RTO DELIVERED": PATHS["rto"]}
    steps = path.get(target, PATHS["lost"])
    step = max(timedelta(0), min(timedelta(hours=6), (now - at) / (len(steps) + 2)))
    operations.schedule_pickup(account, {"shipment_id": [order.shipment_id]}, ids, at + step)
    if target == "PICKUP SCHEDULED":
        return
    shipment = account.shipments[order.shipment_id]
    for i, name in enumerate(steps, start=2):
        operations.advance(account, order, shipment, name, at + step * i, ids)


DEMO_ORDERS: list[tuple[str, str, bool, str, int]] = [
    ("DT-1001", "Primary", False, "NEW", 1),
    ("DT-1002", "Primary", True, "READY TO SHIP", 2),
    ("DT-1003", "Mumbai WH", False, "PICKUP SCHEDULED", 2),
    ("DT-1004", "Primary", True, "IN TRANSIT", 3),
    ("DT-1005", "Primary", True, "DELIVERED", 6),
    ("DT-1006", "Mumbai WH", True, "DELIVERED", 7),
    ("DT-1007", "Primary", False, "CANCELED", 4),
    ("DT-1008", "Primary", True, "RTO DELIVERED", 12),
    ("DT-0999", "Primary", True, "DELIVERED", 20),
]
"""channel order id, pickup, COD, target state, days ago."""


def seed_demo(ids: Ids, settings: Settings, now: datetime) -> Account:
    account = make_account(
        DEMO["account"], DEMO["email"], DEMO["password"], DEMO["company_name"], ids, now, DEMO["webhook_token"]
    )
    account.first_name, account.last_name = DEMO["first_name"], DEMO["last_name"]
    add_pickup(account, ids, "Primary", "No. 12, MG Road, Ashok Nagar", "Bengaluru", "Karnataka", "560001")
    add_pickup(
        account, ids, "Mumbai WH", "Unit 4, Marol Industrial Estate, Andheri East", "Mumbai", "Maharashtra", "400072"
    )
    rng = random.Random(2024)
    for channel_id, pickup, cod, target, days in DEMO_ORDERS:
        at = now - timedelta(days=days)
        order = operations.create_order(account, order_payload(rng, channel_id, at, pickup, cod), ids, at)
        progress(account, ids, settings, order, target, at, now)
    # The oldest delivered COD order was paid out already.
    oldest = next(s for s in account.shipments.values() if account.orders[s.order_id].channel_order_id == "DT-0999")
    assert oldest.awb is not None
    remittance.create_batch(account, {"awbs": [oldest.awb]}, ids, now - timedelta(days=10))
    returned = {
        "order_id": "DT-R1001",
        "order_date": ist(now - timedelta(days=1)).strftime("%Y-%m-%d"),
        "pickup_customer_name": "Rohan",
        "pickup_last_name": "Mehta",
        "pickup_address": "Flat 502, Hiranandani Gardens, Powai",
        "pickup_city": "Mumbai",
        "pickup_state": "Maharashtra",
        "pickup_country": "India",
        "pickup_pincode": "400076",
        "pickup_email": "rohan.mehta@example.in",
        "pickup_phone": "9820033344",
        "shipping_customer_name": "Demo Traders",
        "shipping_address": "No. 12, MG Road, Ashok Nagar",
        "shipping_city": "Bengaluru",
        "shipping_state": "Karnataka",
        "shipping_country": "India",
        "shipping_pincode": "560001",
        "shipping_phone": "9900112233",
        "order_items": [{"name": "Leather Wallet", "sku": "WAL-LTH-BR", "units": 1, "selling_price": "699"}],
        "payment_method": "PREPAID",
        "sub_total": "699",
        "length": 15,
        "breadth": 10,
        "height": 4,
        "weight": "0.3",
    }
    operations.create_return(account, returned, ids, now - timedelta(days=1))
    return account


def seed_orders(
    account: Account, ids: Ids, settings: Settings, params: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """``{"orders": N, "from": iso, "to": iso, "statuses": [...], "cod_ratio": 0.5, "seed": 7}``."""
    try:
        count = int(params.get("orders", 10))
        start = datetime.fromisoformat(params["from"]) if params.get("from") else now - timedelta(days=30)
        end = datetime.fromisoformat(params["to"]) if params.get("to") else now
    except (TypeError, ValueError) as exc:
        raise SandboxError(400, {"error": f"bad seed parameters: {exc}"}) from exc
    start = start.replace(tzinfo=IST) if start.tzinfo is None else start
    end = end.replace(tzinfo=IST) if end.tzinfo is None else end
    if count < 1 or count > 5000 or end < start:
        raise SandboxError(400, {"error": "orders must be 1..5000 and from <= to"})
    statuses = params.get("statuses") or list(TARGETS)
    unknown = [s for s in statuses if s not in TARGETS]
    if unknown:
        raise SandboxError(400, {"error": f"unknown statuses {unknown}; choose from {list(TARGETS)}"})
    rng = random.Random(params.get("seed", 7))
    cod_ratio = float(params.get("cod_ratio", 0.5))
    span = (end - start).total_seconds()
    created: list[dict[str, Any]] = []
    pickups = list(account.pickups)
    for i in range(count):
        at = start + timedelta(seconds=span * (i + 0.5) / count)
        channel_id = f"SEED-{int(at.timestamp())}-{i + 1:04d}"
        while channel_id in account.used_order_ids:
            channel_id += "X"
        payload = order_payload(rng, channel_id, at, rng.choice(pickups), rng.random() < cod_ratio)
        order = operations.create_order(account, payload, ids, at)
        target = statuses[i % len(statuses)]
        progress(account, ids, settings, order, target, at, now)
        shipment = account.shipments[order.shipment_id]
        created.append(
            {"order_id": order.id, "channel_order_id": order.channel_order_id, "shipment_id": shipment.id,
             "awb": shipment.awb, "status": target}
        )  # fmt: skip
    return {"account": account.key, "created": len(created), "orders": created}
