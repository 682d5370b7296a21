"""Merchants and their data: the fixed demo merchant (India DC), further merchants, and bulk sales orders.

Records are created through the engine itself, so seeded data has exactly the shape the API produces.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.zoho.behaviour import Ctx
from sandbox.zoho.catalogue import BY_PATH
from sandbox.zoho.engine import Engine
from sandbox.zoho.formats import day, timestamp
from sandbox.zoho.model import Account, Client, CustomField, Org, Store, data_centre

DEMO_ACCOUNT = "demo"
DEMO_EMAIL = "owner@demotraders.in"
DEMO_ORG_ID = "60012345678"
DEMO_CLIENT_ID = "1000.DEMOTRADERS0SANDBOX0CLIENT0001"
DEMO_CLIENT_SECRET = "7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c"
DEMO_REFRESH_TOKEN = "1000.0d3e7a1b5c9f2e4d6a8b0c1d3e5f7a9b.2c4e6a8b0d1f3a5c7e9b2d4f6a8c0e1b"
DEMO_REDIRECT_URIS = [
    "http://127.0.0.1:8000/connections/oauth/callback",  # the portal's callback (``make up``)
    "http://localhost:8000/connections/oauth/callback",
    "http://127.0.0.1:8000/connections/zoho/callback",
    "http://localhost:8000/connections/zoho/callback",
]
DEMO_SCOPES = "ZohoInventory.FullAccess.all,ZohoBooks.fullaccess.all"
DEMO_WEBHOOK_SECRET = "DemoTradersHookSecret2026"

CUSTOM_FIELDS: list[tuple[str, str, str, bool]] = [
    # module, api_name, label, unique
    ("salesorder", "cf_awb_number", "AWB Number", False),
    ("salesorder", "cf_courier_partner", "Courier Partner", False),
    ("salesorder", "cf_shiprocket_order_id", "Shiprocket Order ID", False),
    ("salesorder", "cf_shipment_status", "Shipment Status", False),
    ("salesorder", "cf_cod_remittance_id", "COD Remittance ID", False),
    ("salesorder", "cf_channel_order_id", "Channel Order ID", True),
    ("invoice", "cf_channel_order_id", "Channel Order ID", True),
    ("invoice", "cf_awb_number", "AWB Number", False),
    ("invoice", "cf_courier_partner", "Courier Partner", False),
    ("contacts", "cf_external_customer_id", "External Customer ID", True),
    ("customer_payment", "cf_cod_remittance_id", "COD Remittance ID", False),
    ("package", "cf_awb_number", "AWB Number", False),
    ("shipmentorder", "cf_awb_number", "AWB Number", False),
    ("items", "cf_channel_sku", "Channel SKU", False),
    ("salesorder", "cf_return_status", "Return Status", False),
    ("salesorder", "cf_return_awb_number", "Return AWB Number", False),
]

ACCOUNTS: list[tuple[str, str, str]] = [
    ("Sales", "income", "4000"),
    ("Shipping Charge", "income", "4100"),
    ("Cost of Goods Sold", "cost_of_goods_sold", "5000"),
    ("Courier Charges", "expense", "6100"),
    ("COD Charges", "expense", "6110"),
    ("RTO Charges", "expense", "6120"),
    ("Bank Fees and Charges", "expense", "6200"),
    ("HDFC Bank Current Account", "bank", "1010"),
    ("Petty Cash", "cash", "1000"),
    ("Undeposited Funds", "cash", "1020"),
    ("Accounts Receivable", "accounts_receivable", "1100"),
    ("Shiprocket COD Receivable", "other_current_asset", "1150"),
    ("Inventory Asset", "stock", "1200"),
    ("Accounts Payable", "accounts_payable", "2000"),
]

TAXES: list[tuple[str, str]] = [("GST5", "5"), ("GST12", "12"), ("GST18", "18"), ("IGST18", "18")]

DEMO_LOCATIONS: list[dict[str, Any]] = [
    {
        "location_name": "Bengaluru Warehouse",
        "is_primary": True,
        "address": {
            "attention": "Dispatch Desk",
            "address": "Plot 14, EPIP Zone, Whitefield",
            "city": "Bengaluru",
            "state": "Karnataka",
            "state_code": "KA",
            "zip": "560066",
            "country": "India",
            "phone": "+91 80 4123 4567",
        },
    },
    {
        "location_name": "Mumbai Warehouse",
        "is_primary": False,
        "address": {
            "attention": "Dispatch Desk",
            "address": "Gala 7, Rajlaxmi Complex, Kalher",
            "city": "Bhiwandi",
            "state": "Maharashtra",
            "state_code": "MH",
            "zip": "421302",
            "country": "India",
            "phone": "+91 22 2765 4321",
        },
    },
]

DEMO_ITEMS: list[tuple[str, str, str, str, tuple[int, int]]] = [
    # name, sku, rate, hsn, (Bengaluru stock, Mumbai stock)
    ("Cotton Kurta - Indigo (M)", "KUR-IND-M", "799.00", "6211", (120, 60)),
    ("Steel Water Bottle 1L", "BOT-STL-1L", "449.00", "7323", (80, 40)),
    ("Handloom Saree - Maroon", "SAR-MRN-01", "2499.00", "5208", (25, 10)),
    ("Ceramic Coffee Mug 350ml", "MUG-CER-350", "299.00", "6912", (200, 150)),
    ("Bamboo Cutting Board (L)", "CUT-BMB-L", "649.00", "4419", (60, 30)),
]

DEMO_CUSTOMERS: list[dict[str, Any]] = [
    {
        "contact_name": "Aarav Sharma",
        "email": "aarav.sharma@example.in",
        "phone": "+91 98450 11223",
        "city": "Bengaluru",
        "state": "Karnataka",
        "state_code": "KA",
        "zip": "560034",
        "address": "42, 5th Cross, Koramangala 4th Block",
    },
    {
        "contact_name": "Priya Nair",
        "email": "priya.nair@example.in",
        "phone": "+91 98470 22334",
        "city": "Kochi",
        "state": "Kerala",
        "state_code": "KL",
        "zip": "682016",
        "address": "12/340, MG Road, Ernakulam",
    },
    {
        "contact_name": "Rohan Mehta",
        "email": "rohan.mehta@example.in",
        "phone": "+91 98200 33445",
        "city": "Mumbai",
        "state": "Maharashtra",
        "state_code": "MH",
        "zip": "400050",
        "address": "Flat 9B, Sea Breeze, Bandra West",
    },
    {
        "contact_name": "Ananya Iyer",
        "email": "ananya.iyer@example.in",
        "phone": "+91 98400 44556",
        "city": "Chennai",
        "state": "Tamil Nadu",
        "state_code": "TN",
        "zip": "600040",
        "address": "7, 2nd Avenue, Anna Nagar",
    },
    {
        "contact_name": "Vikram Singh",
        "email": "vikram.singh@example.in",
        "phone": "+91 98110 55667",
        "city": "New Delhi",
        "state": "Delhi",
        "state_code": "DL",
        "zip": "110017",
        "address": "C-21, Malviya Nagar",
    },
]


class Seeder:
    def __init__(self, store: Store, engine: Engine, now: Callable[[], datetime]) -> None:
        self.store = store
        self.engine = engine
        self.now = now

    def ctx(self, org: Org, at: datetime | None = None, query: dict[str, str] | None = None) -> Ctx:
        return Ctx(org, "inventory", query or {}, {}, at or self.now())

    def create(
        self, org: Org, path: str, body: dict[str, Any], at: datetime | None = None, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        res = BY_PATH[path]
        _, answer = self.engine.create(self.ctx(org, at, query), res, body)
        record: dict[str, Any] = org.table(path)[answer[res.singular][res.id_field]]
        return record

    # ----------------------------------------------------------------- merchants
    def merchant(
        self,
        *,
        account_id: str,
        email: str,
        display_name: str,
        dc: str,
        org_name: str,
        organization_id: str | None = None,
        time_zone: str | None = None,
        currency_code: str | None = None,
        state: str = "",
        locations: list[dict[str, Any]] | None = None,
    ) -> Org:
        centre = data_centre(dc)
        if account_id in self.store.accounts:
            raise ValueError(f"account {account_id!r} already exists")
        n = self.store.next_org_number()
        org = Org(
            organization_id=organization_id or f"{60000000000 + n * 1000 + 1}",
            name=org_name,
            dc=centre,
            account=account_id,
            time_zone=time_zone or centre.time_zone,
            currency_code=currency_code or centre.currency_code,
            currency_symbol=currency_code or centre.currency_symbol,
            created=day(self.now() - timedelta(days=400), time_zone or centre.time_zone),
            id_prefix=460000000 + n * 7,
            email=email,
            country=centre.country,
            state=state,
        )
        self.store.orgs[org.organization_id] = org
        self.store.accounts[account_id] = Account(account_id, email, display_name, dc, [org.organization_id])
        now = timestamp(self.now(), org.time_zone)
        for index, spec in enumerate(
            locations
            or [{"location_name": "Primary Warehouse", "is_primary": True, "address": {"country": centre.country}}]
        ):
            loc_id = org.new_id()
            org.table("locations")[loc_id] = {
                "location_id": loc_id,
                "type": "general",
                "status": "active",
                "created_time": now,
                "parent_location_id": "",
                "is_primary": index == 0,
                **spec,
            }
        for i, (name, pct) in enumerate(TAXES if centre.code == "in" else [("VAT", "10")]):
            tax_id = org.new_id()
            org.table("settings/taxes")[tax_id] = {
                "tax_id": tax_id,
                "tax_name": name,
                "tax_percentage": Decimal(pct),
                "tax_type": "tax",
                "tax_specific_type": "igst" if name.startswith("IGST") else "",
                "is_default_tax": i == 0,
                "created_time": now,
            }
        for index, (module, api_name, label, unique) in enumerate(CUSTOM_FIELDS, start=1):
            org.custom_fields.append(CustomField(org.new_id(), module, api_name, label, "string", unique, index))
        for name, kind, code in ACCOUNTS:
            self.create(org, "chartofaccounts", {"account_name": name, "account_type": kind, "account_code": code})
        return org

    def client(
        self,
        owner: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: list[str] | None = None,
        name: str = "Connector Platform",
    ) -> Client:
        rnd = random.Random(f"{owner}:{len(self.store.clients)}")
        client = Client(
            client_id=client_id
            or "1000." + "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(30)),
            client_secret=client_secret or "".join(rnd.choice("0123456789abcdef") for _ in range(42)),
            redirect_uris=list(redirect_uris or DEMO_REDIRECT_URIS),
            name=name,
            owner=owner,
        )
        self.store.clients[client.client_id] = client
        return client

    # ----------------------------------------------------------------- catalogue data
    def demo_data(self, org: Org) -> None:
        locations = list(org.table("locations").values())
        for name, sku, rate, hsn, stock in DEMO_ITEMS:
            self.create(
                org,
                "items",
                {
                    "name": name,
                    "sku": sku,
                    "rate": rate,
                    "purchase_rate": str(round(float(rate) * 0.55, 2)),
                    "hsn_or_sac": hsn,
                    "unit": "pcs",
                    "description": name,
                    "tax_id": self.tax_id(org, "GST12"),
                    "locations": [
                        {
                            "location_id": loc["location_id"],
                            "initial_stock": qty,
                            "initial_stock_rate": str(round(float(rate) * 0.55, 2)),
                        }
                        for loc, qty in zip(locations, stock, strict=False)
                    ],
                },
            )
        for i, person in enumerate(DEMO_CUSTOMERS, start=1):
            address = {
                "attention": person["contact_name"],
                "address": person["address"],
                "city": person["city"],
                "state": person["state"],
                "state_code": person["state_code"],
                "zip": person["zip"],
                "country": "India",
                "phone": person["phone"],
            }
            first, _, last = person["contact_name"].partition(" ")
            self.create(
                org,
                "contacts",
                {
                    "contact_name": person["contact_name"],
                    "contact_type": "customer",
                    "customer_sub_type": "individual",
                    "email": person["email"],
                    "phone": person["phone"],
                    "gst_treatment": "consumer",
                    "place_of_contact": person["state_code"],
                    "billing_address": address,
                    "shipping_address": dict(address),
                    "contact_persons": [
                        {
                            "first_name": first,
                            "last_name": last,
                            "email": person["email"],
                            "phone": person["phone"],
                            "is_primary_contact": True,
                        }
                    ],
                    "custom_fields": [{"api_name": "cf_external_customer_id", "value": f"CUST-{1000 + i}"}],
                },
            )
        self.create(
            org,
            "contacts",
            {
                "contact_name": "Jaipur Handicrafts Supplies",
                "company_name": "Jaipur Handicrafts Supplies LLP",
                "contact_type": "vendor",
                "email": "orders@jaipurhandicrafts.example.in",
                "gst_treatment": "business_gst",
                "gst_no": "08AABCJ1234K1Z5",
                "place_of_contact": "RJ",
                "billing_address": {
                    "address": "B-12, Sitapura Industrial Area",
                    "city": "Jaipur",
                    "state": "Rajasthan",
                    "zip": "302022",
                    "country": "India",
                },
            },
        )

    @staticmethod
    def tax_id(org: Org, name: str) -> str:
        return next((t["tax_id"] for t in org.table("settings/taxes").values() if t["tax_name"] == name), "")

    def sales_orders(
        self, org: Org, count: int, start: datetime, end: datetime, status: str = "draft", seed: int = 7
    ) -> list[dict[str, Any]]:
        rnd = random.Random(seed)
        customers = [c for c in org.table("contacts").values() if c.get("contact_type") == "customer"]
        items = list(org.table("items").values())
        if not customers or not items:
            raise ValueError("the organisation needs customers and items before sales orders can be seeded")
        span = (end - start).total_seconds()
        created = []
        for i in range(count):
            at = start + timedelta(seconds=span * (i + 0.5) / max(count, 1))
            customer = rnd.choice(customers)
            lines = [
                {
                    "item_id": item["item_id"],
                    "quantity": rnd.randint(1, 3),
                    "rate": str(item["rate"]),
                    "tax_id": item.get("tax_id", ""),
                }
                for item in rnd.sample(items, k=rnd.randint(1, min(3, len(items))))
            ]
            shipping = customer.get("shipping_address") or {}
            record = self.create(
                org,
                "salesorders",
                {
                    "customer_id": customer["contact_id"],
                    "date": day(at, org.time_zone),
                    "shipment_date": day(at + timedelta(days=2), org.time_zone),
                    "reference_number": f"WEB-{100000 + org.counters.get('salesorders', 0) + 1}",
                    "place_of_supply": shipping.get("state_code", ""),
                    "line_items": lines,
                    "shipping_charge": "49.00" if rnd.random() < 0.5 else "0",
                    "custom_fields": [
                        {
                            "api_name": "cf_channel_order_id",
                            "value": f"CH-{org.organization_id[-4:]}-{org.counters.get('salesorders', 0) + 1}",
                        }
                    ],
                },
                at=at,
            )
            if status == "confirmed":
                self.engine.act(self.ctx(org, at), BY_PATH["salesorders"], record, "confirmed")
            created.append(record)
        return created
