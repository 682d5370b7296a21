"""The in-memory data model: merchant accounts and their stores, orders, shipments, customers, webhooks.

Times are aware UTC datetimes; money is ``Decimal``. Ids come from one counter per kind shared by all
accounts, so an id is unique across merchants (as ShipStation's are) and admin routes can find a record by id.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass
class Item:
    order_item_id: int
    line_item_key: str | None
    sku: str | None
    name: str | None
    image_url: str | None
    weight: dict[str, Any] | None
    quantity: int
    unit_price: Decimal | None
    tax_amount: Decimal | None
    shipping_amount: Decimal | None
    warehouse_location: str | None
    options: list[dict[str, Any]]
    product_id: int | None
    fulfillment_sku: str | None
    adjustment: bool
    upc: str | None
    create_date: datetime
    modify_date: datetime


@dataclass
class Order:
    order_id: int
    order_number: str
    order_key: str
    order_date: datetime | None
    create_date: datetime
    modify_date: datetime
    payment_date: datetime | None
    ship_by_date: datetime | None
    status: str
    customer_username: str | None
    customer_email: str | None
    bill_to: dict[str, Any]
    ship_to: dict[str, Any]
    items: list[Item]
    amount_paid: Decimal | None
    tax_amount: Decimal | None
    shipping_amount: Decimal | None
    ship_date: date | None
    hold_until: date | None
    text: dict[str, Any]
    """Free-form fields echoed as given (notes, gift, carrier/service codes, weight, options...)."""
    advanced: dict[str, Any]
    tag_ids: list[int] = field(default_factory=list)
    customer_id: int | None = None
    user_id: str | None = None
    active: bool = True

    @property
    def store_id(self) -> int | None:
        value = self.advanced.get("storeId")
        return value if isinstance(value, int) else None


@dataclass
class Shipment:
    shipment_id: int
    batch_id: int
    order_id: int | None
    order_key: str | None
    order_number: str | None
    customer_email: str | None
    user_id: str | None
    create_date: datetime
    ship_date: date
    cost: Decimal
    insurance_cost: Decimal
    tracking_number: str | None
    carrier_code: str | None
    service_code: str | None
    package_code: str | None
    confirmation: str | None
    warehouse_id: int | None
    ship_to: dict[str, Any] | None
    weight: dict[str, Any] | None
    dimensions: dict[str, Any] | None
    insurance_options: dict[str, Any] | None
    advanced: dict[str, Any]
    items: list[dict[str, Any]]
    label_data: str | None = None
    is_return_label: bool = False
    voided: bool = False
    void_date: datetime | None = None
    marketplace_notified: bool = False

    @property
    def store_id(self) -> int | None:
        value = self.advanced.get("storeId")
        return value if isinstance(value, int) else None


@dataclass
class Customer:
    customer_id: int
    identity: str
    create_date: datetime
    modify_date: datetime
    name: str | None
    company: str | None
    street1: str | None
    street2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country_code: str | None
    phone: str | None
    email: str | None
    address_verified: str | None
    marketplace_usernames: list[dict[str, Any]] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)


@dataclass
class Store:
    store_id: int
    name: str
    marketplace_id: int
    create_date: datetime
    email: str | None = None
    active: bool = True


@dataclass
class Webhook:
    webhook_id: int
    event: str
    url: str
    store_id: int | None
    name: str | None
    active: bool = True


@dataclass
class Account:
    id: str
    name: str
    api_key: str
    api_secret: str
    seller_id: int
    stores: dict[int, Store] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    order_keys: dict[str, int] = field(default_factory=dict)
    shipments: dict[int, Shipment] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    customer_identities: dict[str, int] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    import_batches: dict[str, list[int]] = field(default_factory=dict)
    ship_batches: dict[int, list[int]] = field(default_factory=dict)
    tags: dict[int, dict[str, Any]] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {
            "account": self.id,
            "name": self.name,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "seller_id": self.seller_id,
            "store_id": next(iter(self.stores), None),
            "stores": [{"storeId": s.store_id, "storeName": s.name} for s in self.stores.values()],
        }

    def live_orders(self) -> Iterator[Order]:
        return (o for o in self.orders.values() if o.active)


class Ids:
    """Id counters shared by all accounts; the starting points give ids of realistic magnitude."""

    def __init__(self) -> None:
        self.order = itertools.count(94_113_001)
        self.item = itertools.count(128_394_001)
        self.shipment = itertools.count(33_974_001)
        self.customer = itertools.count(57_121_001)
        self.store = itertools.count(12_345)
        self.webhook = itertools.count(10_001)
        self.ship_batch = itertools.count(7_051_001)
        self.seller = itertools.count(154_001)
        self.tag = itertools.count(1_201)
