"""Realistic US orders spread over a time window, with later edits, cancellations and shipments.

``POST /_sandbox/seed`` parameters (all optional but ``orders``):

    account        merchant account id (default the demo merchant)
    orders         how many orders (N)
    from, to       ISO datetimes of the window for ``createDate`` (naive = UTC); default the last 30 days
    edits          fraction of orders edited after creation (``modifyDate`` later than ``createDate``)
    cancellations  fraction cancelled after creation
    shipped        fraction shipped (a label shipment) after creation
    unicode        use accented/CJK names, addresses and product names for some orders
    multi_line     1-5 line items per order instead of 1
    currency_mix   fraction of foreign-currency orders (or ``{"GBP": 0.02, "CAD": 0.01}``)
    store_id       put every order in this store (default: spread over the account's stores)
    seed           random seed (default 7, so runs repeat)

V1 orders carry no currency field. A foreign-currency order here has its amounts in that currency, a
ship-to in the currency's country, customs data, and ``advancedOptions.customField1 = "currency:GBP"``
(the marker our connectors read); US orders leave ``customField1`` null and are USD.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.kit import SandboxError
from sandbox.shipstation import catalog, customers, orders, shipments
from sandbox.shipstation.operations import Operations
from sandbox.shipstation.state import Account, Order

FIRST = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "Michael",
    "Jennifer",
    "David",
    "Linda",
    "Daniel",
    "Emily",
    "Chris",
    "Sarah",
    "Kevin",
    "Laura",
    "Brian",
    "Megan",
    "Jason",
    "Ashley",
    "Eric",
    "Nicole",
)
LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
)
UNICODE_NAMES = (
    "José Núñez",
    "Zoë Ångström",
    "Björn Müller-Lüdenscheidt",
    "François Lefèvre",
    "Siobhán Ó Briain",
    "李小龍",
    "Đặng Thị Hương",
    "Ольга Смирнова",
    "Renée Zellweger-O'Neil",
    "Søren Kierkegård",
)
STREETS = (
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Pine St",
    "Elm St",
    "Washington Blvd",
    "Lakeview Rd",
    "Sunset Blvd",
    "Park Ave",
)
UNICODE_STREETS = ("Calle Ñandú", "Rue de l'Église", "Königstraße", "Av. São João")
CITIES = (
    ("Austin", "TX", "78701"),
    ("Portland", "OR", "97205"),
    ("Seattle", "WA", "98101"),
    ("Denver", "CO", "80202"),
    ("Chicago", "IL", "60601"),
    ("Brooklyn", "NY", "11201"),
    ("San Diego", "CA", "92101"),
    ("Phoenix", "AZ", "85004"),
    ("Atlanta", "GA", "30303"),
    ("Boston", "MA", "02108"),
    ("Nashville", "TN", "37203"),
    ("Minneapolis", "MN", "55401"),
    ("Honolulu", "HI", "96813"),
    ("Anchorage", "AK", "99501"),
    ("Miami", "FL", "33130"),
)
PRODUCTS = (
    ("TSHIRT-BLK-M", "Classic Tee - Black / M", "19.99", 6.0),
    ("TSHIRT-WHT-L", "Classic Tee - White / L", "19.99", 6.5),
    ("MUG-11OZ", "Ceramic Mug 11oz", "14.50", 14.0),
    ("HOODIE-GRY-XL", "Pullover Hoodie - Grey / XL", "49.00", 22.0),
    ("CAP-NVY", "Baseball Cap - Navy", "24.00", 4.0),
    ("STICKER-PK5", "Sticker Pack (5)", "6.25", 1.0),
    ("TOTE-CNV", "Canvas Tote Bag", "18.75", 8.0),
    ("POSTER-18X24", "Art Print 18x24", "32.00", 9.5),
)
UNICODE_PRODUCTS = (
    ("MUG-CAFE-FR", "Tasse « Café crème » ☕", "16.00", 14.0),
    ("TEE-KANJI", "T-shirt 侍 — Édition limitée", "27.50", 6.0),
    ("SOCK-ÅRE", "Wool Socks \u2013 Åre Édition", "12.00", 3.0),
)
FOREIGN: dict[str, tuple[str, str, str, str]] = {
    # currency → (country, city, state/province, postal code)
    "GBP": ("GB", "London", "", "SW1A 1AA"),
    "EUR": ("DE", "Berlin", "", "10115"),
    "CAD": ("CA", "Toronto", "ON", "M5V 2T6"),
    "AUD": ("AU", "Sydney", "NSW", "2000"),
    "INR": ("IN", "Mumbai", "MH", "400001"),
}
SERVICES = (("stamps_com", "usps_ground_advantage"), ("stamps_com", "usps_priority_mail"), ("ups", "ups_ground"))


@dataclass
class Plan:
    count: int
    start: datetime
    end: datetime
    edits: float
    cancellations: float
    shipped: float
    unicode: bool
    multi_line: bool
    currencies: dict[str, float]
    store_id: int | None
    seed: int | None

    @classmethod
    def parse(cls, params: dict[str, Any], now: datetime) -> Plan:
        def bad(message: str) -> SandboxError:
            return SandboxError(400, {"error": message})

        try:
            raw_count = params.get("orders", 0)
            if not isinstance(raw_count, int) or isinstance(raw_count, bool):
                raise ValueError("orders must be an integer")
            count = raw_count
            end = _instant(params.get("to")) or now
            start = _instant(params.get("from")) or end - timedelta(days=30)
            fractions = {k: float(params.get(k, 0) or 0) for k in ("edits", "cancellations", "shipped")}
        except (TypeError, ValueError) as exc:
            raise bad(f"bad seed parameter: {exc}") from exc
        if count < 0 or count > 100_000:
            raise bad("orders must be between 0 and 100000")
        if start >= end:
            raise bad("from must be before to")
        if any(not 0 <= v <= 1 for v in fractions.values()) or sum(fractions.values()) > 1:
            raise bad("edits, cancellations and shipped are fractions between 0 and 1 (adding up to at most 1)")
        mix = params.get("currency_mix") or 0
        if isinstance(mix, bool):
            raise bad("currency_mix is a fraction or a map of currencies to fractions")
        if isinstance(mix, int | float):
            currencies = {"GBP": mix / 3, "EUR": mix / 3, "CAD": mix / 3} if mix else {}
        elif isinstance(mix, dict) and all(
            c in FOREIGN and isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1
            for c, v in mix.items()
        ):
            currencies = {str(c): float(v) for c, v in mix.items()}
        else:
            raise bad(f"currency_mix is a fraction or a map of {', '.join(FOREIGN)} to fractions")
        if sum(currencies.values()) > 1:
            raise bad("currency_mix adds up to more than 1")
        store = params.get("store_id")
        if store is not None and (not isinstance(store, int) or isinstance(store, bool)):
            raise bad("store_id must be an integer store id")
        seed_value = params.get("seed", 7)
        if seed_value is not None and (not isinstance(seed_value, int) or isinstance(seed_value, bool)):
            raise bad("seed must be an integer")
        if end.year >= 9999 or start.year <= 1:
            raise bad("from and to must lie between the years 2 and 9998")
        return cls(
            count=count,
            start=start,
            end=end,
            edits=fractions["edits"],
            cancellations=fractions["cancellations"],
            shipped=fractions["shipped"],
            unicode=bool(params.get("unicode", False)),
            multi_line=bool(params.get("multi_line", False)),
            currencies=currencies,
            store_id=store,
            seed=seed_value,
        )


def _instant(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def seed(ops: Operations, account: Account, plan: Plan) -> dict[str, Any]:
    if plan.store_id is not None and plan.store_id not in account.stores:
        raise SandboxError(400, {"error": f"store {plan.store_id} is not one of this account's stores"})
    rng = random.Random(plan.seed)
    span = (plan.end - plan.start).total_seconds()
    store_ids = [plan.store_id] if plan.store_id is not None else list(account.stores)
    created: list[Order] = []
    tally = {"edited": 0, "cancelled": 0, "shipped": 0, "foreign": 0}
    for _ in range(plan.count):
        create = plan.start + timedelta(seconds=rng.uniform(0, span))
        currency = _pick_currency(rng, plan.currencies)
        store_id = rng.choice(store_ids)
        body = _order_body(rng, account, store_id, create, currency, plan)
        order = orders.build(body, account, ops.ids, create, None)
        order.ship_to["addressVerified"] = (
            catalog.ADDRESS_VALIDATED if currency is None else "Address validation warning"
        )
        account.orders[order.order_id] = order
        account.order_keys[order.order_key] = order.order_id
        customers.link(account, order, ops.ids, create)
        created.append(order)
        tally["foreign"] += currency is not None
        roll = rng.random()
        later = create + timedelta(seconds=rng.uniform(1, max(1.0, (plan.end - create).total_seconds())))
        later = min(later, plan.end)
        if later <= create:
            continue
        if roll < plan.cancellations:
            order.status, order.modify_date = "cancelled", later
            tally["cancelled"] += 1
        elif roll < plan.cancellations + plan.shipped:
            _ship(ops, account, order, rng, later)
            tally["shipped"] += 1
        elif roll < plan.cancellations + plan.shipped + plan.edits:
            _edit(order, rng, later, plan.end)
            tally["edited"] += 1
    batches = ops.imported(account, created)
    return {
        "account": account.id,
        "created": len(created),
        **tally,
        "from": plan.start.isoformat(),
        "to": plan.end.isoformat(),
        "import_batches": batches,
        "order_ids": [o.order_id for o in created],
    }


def _pick_currency(rng: random.Random, mix: dict[str, float]) -> str | None:
    roll = rng.random()
    for currency, share in mix.items():
        if roll < share:
            return currency
        roll -= share
    return None


def _order_body(
    rng: random.Random, account: Account, store_id: int, create: datetime, currency: str | None, plan: Plan
) -> dict[str, Any]:
    fancy = plan.unicode and rng.random() < 0.3
    name = rng.choice(UNICODE_NAMES) if fancy else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    email = f"{_ascii(name)}.{rng.randint(10, 9999)}@example.com"
    street = f"{rng.randint(1, 9999)} {rng.choice(UNICODE_STREETS if fancy else STREETS)}"
    if currency is None:
        city, state, postal = rng.choice(CITIES)
        country = "US"
    else:
        country, city, state, postal = FOREIGN[currency]
    catalogue = PRODUCTS + (UNICODE_PRODUCTS if plan.unicode else ())
    lines = rng.randint(1, 5) if plan.multi_line else 1
    items: list[dict[str, Any]] = []
    for n in range(lines):
        sku, title, price, ounces = rng.choice(catalogue)
        items.append(
            {
                "lineItemKey": f"li-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}-{n}",
                "sku": sku,
                "name": title,
                "imageUrl": f"https://cdn.example.com/img/{sku.lower()}.jpg",
                "weight": {"value": ounces, "units": "ounces"},
                "quantity": rng.choice((1, 1, 1, 2, 3)),
                "unitPrice": price,
                "taxAmount": None,
                "warehouseLocation": f"A{rng.randint(1, 20)}-{rng.randint(1, 6)}",
                "options": [{"name": "Gift wrap", "value": "Yes"}] if rng.random() < 0.1 else [],
                "productId": 9_000_000 + zlib.crc32(sku.encode()) % 100_000,
                "adjustment": False,
            }
        )
    subtotal = sum(Decimal(str(i["unitPrice"])) * int(i["quantity"]) for i in items)
    tax = (subtotal * Decimal("0.0825")).quantize(Decimal("0.01")) if currency is None else Decimal("0")
    shipping = rng.choice((Decimal("0"), Decimal("4.99"), Decimal("7.95")))
    order_date = create - timedelta(seconds=rng.uniform(30, 1800))
    awaiting_payment = rng.random() < 0.03
    number = f"{1000 + len(account.orders) + 1}"
    store = account.stores[store_id]
    if store.marketplace_id == 26:
        number = "#" + number
    address = {
        "name": name,
        "company": None,
        "street1": street,
        "street2": f"Apt {rng.randint(1, 40)}" if rng.random() < 0.25 else None,
        "city": city,
        "state": state,
        "postalCode": postal,
        "country": country,
        "phone": f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        "residential": True,
    }
    weight = sum(float(i["weight"]["value"]) * int(i["quantity"]) for i in items)
    body: dict[str, Any] = {
        "orderNumber": number,
        "orderKey": uuid.UUID(int=rng.getrandbits(128)).hex,
        "orderDate": order_date.isoformat(),
        "paymentDate": None if awaiting_payment else (order_date + timedelta(seconds=rng.uniform(5, 120))).isoformat(),
        "shipByDate": (create + timedelta(days=3)).isoformat(),
        "orderStatus": "awaiting_payment" if awaiting_payment else "awaiting_shipment",
        "customerUsername": email,
        "customerEmail": email,
        "billTo": {**address, "street1": None, "street2": None, "city": None, "state": None, "postalCode": None},
        "shipTo": address,
        "items": items,
        "amountPaid": "0" if awaiting_payment else str(subtotal + tax + shipping),
        "taxAmount": str(tax),
        "shippingAmount": str(shipping),
        "customerNotes": "Please leave at the back door.\nThanks!" if rng.random() < 0.05 else None,
        "paymentMethod": "Credit Card",
        "requestedShippingService": "Standard Shipping",
        "weight": {"value": weight, "units": "ounces"},
        "advancedOptions": {"storeId": store_id, "source": "web"},
    }
    if currency is not None:
        body["advancedOptions"]["customField1"] = f"currency:{currency}"
        body["internationalOptions"] = {
            "contents": "merchandise",
            "nonDelivery": "return_to_sender",
            "customsItems": [
                {
                    "description": i["name"],
                    "quantity": i["quantity"],
                    "value": float(i["unitPrice"]),
                    "harmonizedTariffCode": "610910",
                    "countryOfOrigin": "US",
                }
                for i in items
            ],
        }
    return body


def _edit(order: Order, rng: random.Random, at: datetime, end: datetime) -> None:
    choice = rng.randrange(3)
    if choice == 0:
        order.text["internalNotes"] = "Customer asked to update the delivery address."
        order.ship_to["street2"] = f"Suite {rng.randint(100, 999)}"
    elif choice == 1:
        order.text["internalNotes"] = "Upgraded shipping at customer request."
        order.text["requestedShippingService"] = "Expedited Shipping"
    else:
        # held until after the seeded window, so the lazy hold release does not rewrite modifyDate later
        order.status, order.hold_until = "on_hold", (end + timedelta(days=rng.randint(3, 10))).date()
    order.modify_date = at


def _ship(ops: Operations, account: Account, order: Order, rng: random.Random, at: datetime) -> None:
    carrier, service = rng.choice(SERVICES)
    shipment = shipments.for_order(
        order,
        ids=ops.ids,
        batch_id=ops.ship_batch(account),
        now=at,
        carrier=carrier,
        service=service,
        package="package",
        tracking=shipments.tracking_number(carrier, rng),
        cost=shipments.rate(service, float((order.text.get("weight") or {}).get("value") or 0)),
        ship_date=None,
        label=True,
    )
    account.shipments[shipment.shipment_id] = shipment
    account.ship_batches[shipment.batch_id].append(shipment.shipment_id)
    order.ship_date = shipment.ship_date
    order.status, order.modify_date = "shipped", at
    order.text["carrierCode"], order.text["serviceCode"] = carrier, service


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower())
    cleaned = "".join(c for c in folded if c.isascii() and (c.isalnum() or c == " "))
    return ".".join(cleaned.split()) or "customer"
