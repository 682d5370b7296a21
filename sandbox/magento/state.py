"""The in-memory data of one Magento installation (one merchant account): store, catalog, stock, sales.

Money is ``Decimal`` in the order currency (INR for the demo store; base currency = order currency, so
``base_*`` fields carry the same amounts). Times are aware UTC datetimes. Ids are per store and
sequential, as Magento's auto-increment columns are; ``increment_id`` is a separate, zero-padded
sequence so that ``entity_id`` and the human order number never coincide by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0")


def money(value: Decimal | int | str | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Settings:
    """Per-installation configuration a merchant's admin would set (changed via ``/_sandbox/settings``)."""

    admin_token_lifetime_hours: float | None = 4.0
    """Stores > Configuration > Services > OAuth > Access Token Expiration; None/0 = never expire."""
    standalone_bearer: bool = True
    """"Allow OAuth Access Tokens to be used as standalone Bearer tokens" (Magento default: off since
    2.4.4; on in the sandbox so the platform can use the integration token as a Bearer token)."""
    max_login_failures: int = 6
    lockout_seconds: int = 1800
    repeat_last_page: bool = True
    document_ids_as_strings: bool = True
    """Invoice/ship/refund answer the new id as a JSON string ("12"), as PHP hands back the database
    value (seen by PyMagento in production); False answers a JSON number."""
    input_limits: bool = False
    max_page_size: int = 300
    default_page_size: int = 20

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key not in self.__dataclass_fields__:
                raise ValueError(f"unknown setting {key!r}; known: {', '.join(self.__dataclass_fields__)}")
            current = getattr(self, key)
            if isinstance(current, bool) and not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
            setattr(self, key, value)


@dataclass
class Integration:
    name: str
    access_token: str
    resources: tuple[str, ...] | None = None
    """ACL resources granted; None = all (Magento's "Resource Access: All")."""
    consumer_key: str = ""
    consumer_secret: str = ""
    token_secret: str = ""
    id: int = 1


@dataclass
class Address:
    firstname: str
    lastname: str
    street: list[str]
    city: str
    region: str
    region_code: str
    region_id: int
    postcode: str
    telephone: str
    email: str
    country_id: str = "IN"
    entity_id: int = 0
    parent_id: int = 0
    address_type: str = "billing"


@dataclass
class Product:
    id: int
    sku: str
    name: str
    type_id: str
    price: Decimal
    weight: Decimal
    tax_percent: Decimal
    created_at: datetime
    updated_at: datetime
    attribute_set_id: int = 4
    status: int = 1
    visibility: int = 4
    parent_sku: str | None = None
    children: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    configurable_attribute: str | None = None


@dataclass
class StockItem:
    item_id: int
    product_id: int
    sku: str
    qty: Decimal
    is_in_stock: bool
    manage_stock: bool = True
    low_stock_date: datetime | None = None


@dataclass
class Source:
    source_code: str
    name: str
    city: str
    region_id: int
    postcode: str
    enabled: bool = True
    country_id: str = "IN"


@dataclass
class SourceItem:
    sku: str
    source_code: str
    quantity: Decimal
    status: int


@dataclass
class OrderItem:
    item_id: int
    order_id: int
    product_id: int
    sku: str
    name: str
    product_type: str
    qty_ordered: Decimal
    price: Decimal
    tax_percent: Decimal
    weight: Decimal
    created_at: datetime
    updated_at: datetime
    parent_item_id: int | None = None
    discount_amount: Decimal = ZERO
    qty_invoiced: Decimal = ZERO
    qty_shipped: Decimal = ZERO
    qty_canceled: Decimal = ZERO
    qty_refunded: Decimal = ZERO
    product_options: dict[str, Any] = field(default_factory=dict)

    @property
    def is_child(self) -> bool:
        return self.parent_item_id is not None

    @property
    def row_total(self) -> Decimal:
        return money(self.price * self.qty_ordered)

    @property
    def tax_amount(self) -> Decimal:
        return money(self.row_total * self.tax_percent / 100)

    def unit_tax(self) -> Decimal:
        return money(self.price * self.tax_percent / 100)

    @property
    def qty_to_invoice(self) -> Decimal:
        return max(ZERO, self.qty_ordered - self.qty_invoiced - self.qty_canceled)

    @property
    def qty_to_ship(self) -> Decimal:
        return max(ZERO, self.qty_ordered - self.qty_shipped - self.qty_refunded - self.qty_canceled)

    @property
    def qty_to_refund(self) -> Decimal:
        return max(ZERO, self.qty_invoiced - self.qty_refunded)


@dataclass
class StatusHistory:
    entity_id: int
    parent_id: int
    comment: str | None
    status: str
    created_at: datetime
    is_customer_notified: int | None = 0
    is_visible_on_front: int = 0
    entity_name: str = "order"


@dataclass
class Payment:
    method: str
    entity_id: int
    amount_ordered: Decimal
    shipping_amount: Decimal
    amount_paid: Decimal = ZERO
    amount_canceled: Decimal = ZERO
    amount_refunded: Decimal = ZERO
    last_trans_id: str | None = None
    additional_information: list[str] = field(default_factory=list)
    cc_last4: str | None = None


@dataclass
class Order:
    entity_id: int
    increment_id: str
    state: str
    status: str
    created_at: datetime
    updated_at: datetime
    customer_email: str
    customer_firstname: str
    customer_lastname: str
    customer_id: int | None
    billing: Address
    shipping: Address
    payment: Payment
    items: list[OrderItem]
    shipping_method: str
    shipping_description: str
    shipping_amount: Decimal
    discount_amount: Decimal = ZERO
    quote_id: int = 0
    remote_ip: str = "103.21.58.10"
    histories: list[StatusHistory] = field(default_factory=list)
    hold_before_state: str | None = None
    hold_before_status: str | None = None
    total_invoiced: Decimal = ZERO
    total_paid: Decimal = ZERO
    total_refunded: Decimal = ZERO
    total_canceled: Decimal = ZERO
    shipping_invoiced: Decimal = ZERO
    shipping_refunded: Decimal = ZERO
    email_sent: int = 1
    ext_order_id: str | None = None

    @property
    def parent_items(self) -> list[OrderItem]:
        return [i for i in self.items if not i.is_child]

    def children_of(self, item: OrderItem) -> list[OrderItem]:
        return [i for i in self.items if i.parent_item_id == item.item_id]

    @property
    def subtotal(self) -> Decimal:
        return sum((i.row_total for i in self.parent_items), ZERO)

    @property
    def tax_amount(self) -> Decimal:
        return sum((i.tax_amount for i in self.parent_items), ZERO)

    @property
    def grand_total(self) -> Decimal:
        return money(self.subtotal + self.tax_amount + self.shipping_amount - self.discount_amount)

    @property
    def total_qty_ordered(self) -> Decimal:
        return sum((i.qty_ordered for i in self.parent_items), ZERO)


@dataclass
class DocumentItem:
    """A line of an invoice, shipment or credit memo."""

    entity_id: int
    order_item_id: int
    qty: Decimal


@dataclass
class Comment:
    entity_id: int
    parent_id: int
    comment: str
    created_at: datetime
    is_customer_notified: int = 0
    is_visible_on_front: int = 0


@dataclass
class Invoice:
    entity_id: int
    increment_id: str
    order_id: int
    state: int
    items: list[DocumentItem]
    shipping_amount: Decimal
    created_at: datetime
    updated_at: datetime
    transaction_id: str | None = None
    comments: list[Comment] = field(default_factory=list)


@dataclass
class Track:
    entity_id: int
    parent_id: int
    order_id: int
    track_number: str
    title: str
    carrier_code: str
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    weight: Decimal | None = None
    qty: Decimal | None = None


@dataclass
class Shipment:
    entity_id: int
    increment_id: str
    order_id: int
    items: list[DocumentItem]
    created_at: datetime
    updated_at: datetime
    tracks: list[Track] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    source_code: str = "default"


@dataclass
class Creditmemo:
    entity_id: int
    increment_id: str
    order_id: int
    invoice_id: int | None
    items: list[DocumentItem]
    shipping_amount: Decimal
    adjustment_positive: Decimal
    adjustment_negative: Decimal
    created_at: datetime
    updated_at: datetime
    state: int = 2
    comments: list[Comment] = field(default_factory=list)


@dataclass
class AdminUser:
    user_id: int
    username: str
    password: str
    failures: int = 0
    locked_until: float | None = None


class Sequences:
    """Auto-increment counters per table."""

    def __init__(self, starts: dict[str, int] | None = None) -> None:
        self._next: dict[str, int] = dict(starts or {})

    def next(self, table: str) -> int:
        value = self._next.get(table, 1)
        self._next[table] = value + 1
        return value


@dataclass
class Store:
    """One Magento installation = one merchant account of the sandbox."""

    account: str
    name: str
    increment_prefix: str = ""
    store_code: str = "default"
    store_id: int = 1
    website_id: int = 1
    base_currency: str = "INR"
    settings: Settings = field(default_factory=Settings)
    admins: dict[str, AdminUser] = field(default_factory=dict)
    integrations: list[Integration] = field(default_factory=list)
    products: dict[str, Product] = field(default_factory=dict)
    stock: dict[str, StockItem] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    source_items: dict[tuple[str, str], SourceItem] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    invoices: dict[int, Invoice] = field(default_factory=dict)
    shipments: dict[int, Shipment] = field(default_factory=dict)
    creditmemos: dict[int, Creditmemo] = field(default_factory=dict)
    seq: Sequences = field(default_factory=Sequences)

    def increment(self, table: str) -> str:
        return f"{self.increment_prefix}{self.seq.next(table + '_increment'):09d}"

    def order_item(self, item_id: int) -> OrderItem | None:
        for order in self.orders.values():
            for item in order.items:
                if item.item_id == item_id:
                    return item
        return None

    def product_by_id(self, product_id: int) -> Product | None:
        return next((p for p in self.products.values() if p.id == product_id), None)

    def track(self, track_id: int) -> tuple[Shipment, Track] | None:
        for shipment in self.shipments.values():
            for t in shipment.tracks:
                if t.entity_id == track_id:
                    return shipment, t
        return None
