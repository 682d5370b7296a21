"""What the simulator remembers: LWA applications, selling partners (accounts) and their orders.

Orders live per selling partner, so two merchants never see each other's records. Status changes go
through ``Order.move_to`` so ``LastUpdateDate`` moves on every transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sandbox.amazon.formats import cents, whole_second
from sandbox.amazon.marketplaces import INDIA

STATUSES = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "PendingAvailability": ("Pending", "Canceled"),
    "Pending": ("Unshipped", "Canceled"),
    "Unshipped": ("PartiallyShipped", "Shipped", "Canceled", "InvoiceUnconfirmed"),
    "PartiallyShipped": ("Shipped", "Canceled"),
    "InvoiceUnconfirmed": ("Shipped", "Canceled"),
    "Shipped": (),
    "Canceled": (),
    "Unfulfillable": (),
}
"""Which status an order may move to next (the admin route and confirmShipment obey it)."""

EASY_SHIP_STATUSES = (
    "PendingSchedule",
    "PendingPickUp",
    "PendingDropOff",
    "LabelCanceled",
    "PickedUp",
    "DroppedOff",
    "AtOriginFC",
    "AtDestinationFC",
    "Delivered",
    "RejectedByBuyer",
    "Undeliverable",
    "ReturningToSeller",
    "ReturnedToSeller",
    "Lost",
    "OutForDelivery",
    "Damaged",
)

PRICELESS = ("Pending", "PendingAvailability", "Canceled")
"""Statuses whose orders carry no OrderTotal and whose items carry no prices or taxes."""


@dataclass
class Application:
    client_id: str
    client_secret: str
    application_id: str
    name: str


@dataclass
class Address:
    name: str
    line1: str
    line2: str | None
    city: str
    state: str
    postal_code: str
    phone: str
    country: str = "IN"
    address_type: str = "Residential"
    company: str | None = None


@dataclass
class Business:
    """A B2B (Amazon Business) buyer and the data for a GST invoice."""

    legal_name: str
    gstin: str
    address: str
    purchase_order: str | None = None


@dataclass
class Buyer:
    name: str
    email: str
    business: Business | None = None


@dataclass
class Item:
    order_item_id: str
    asin: str
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    gst_rate: Decimal
    shipping_price: Decimal = Decimal("0")
    promotion_discount: Decimal = Decimal("0")
    promotion_ids: list[str] = field(default_factory=list)
    quantity_shipped: int = 0
    is_gift: bool = False
    gift_message: str | None = None

    @property
    def item_price(self) -> Decimal:
        return cents(self.unit_price * self.quantity)

    @staticmethod
    def gst_part(gross: Decimal, rate: Decimal) -> Decimal:
        """The GST contained in a GST-inclusive amount."""
        return cents(gross - gross / (1 + rate))

    @property
    def item_tax(self) -> Decimal:
        return self.gst_part(self.item_price, self.gst_rate)

    @property
    def shipping_tax(self) -> Decimal:
        return self.gst_part(self.shipping_price, Decimal("0.18"))

    @property
    def promotion_discount_tax(self) -> Decimal:
        return self.gst_part(self.promotion_discount, self.gst_rate)


@dataclass
class Package:
    reference_id: str
    carrier_code: str
    tracking_number: str
    ship_date: datetime
    items: dict[str, int]
    carrier_name: str | None = None
    shipping_method: str | None = None


@dataclass
class Order:
    amazon_order_id: str
    purchase_date: datetime
    last_update: datetime
    status: str
    fulfillment_channel: str
    payment_method: str
    buyer: Buyer
    address: Address
    items: list[Item]
    seller_order_id: str | None = None
    marketplace_id: str = INDIA
    is_prime: bool = False
    is_premium: bool = False
    easy_ship_status: str | None = None
    ship_service_level: str = "Std IN Dom"
    service_category: str = "Standard"
    order_type: str = "StandardOrder"
    earliest_ship: datetime | None = None
    latest_ship: datetime | None = None
    earliest_delivery: datetime | None = None
    latest_delivery: datetime | None = None
    packages: list[Package] = field(default_factory=list)
    history: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def is_business(self) -> bool:
        return self.buyer.business is not None

    @property
    def priced(self) -> bool:
        return self.status not in PRICELESS

    @property
    def total(self) -> Decimal:
        return cents(sum((i.item_price + i.shipping_price - i.promotion_discount for i in self.items), Decimal("0")))

    @property
    def items_shipped(self) -> int:
        return sum(i.quantity_shipped for i in self.items)

    @property
    def items_unshipped(self) -> int:
        if self.status == "Canceled":
            return 0
        return sum(i.quantity - i.quantity_shipped for i in self.items)

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, ())

    def move_to(self, status: str, now: datetime) -> None:
        """Change status and stamp ``LastUpdateDate`` with the sandbox time (whole seconds)."""
        self.status = status
        self.last_update = max(whole_second(now), self.last_update)
        self.history.append((status, self.last_update))
        if status in ("Shipped", "InvoiceUnconfirmed"):
            for item in self.items:
                item.quantity_shipped = item.quantity
            if self.easy_ship_status is not None:
                self.easy_ship_status = "PickedUp"
        elif status == "Canceled" and self.easy_ship_status is not None:
            self.easy_ship_status = "LabelCanceled"

    def track_easy_ship(self, easy_ship_status: str, now: datetime) -> None:
        """An Easy Ship package moved (picked up, delivered…): an update like any other."""
        self.easy_ship_status = easy_ship_status
        self.last_update = max(whole_second(now), self.last_update)


@dataclass
class Account:
    """One selling partner (merchant) and the orders in its Amazon.in marketplace."""

    selling_partner_id: str
    name: str
    marketplaces: list[str] = field(default_factory=lambda: [INDIA])
    orders: dict[str, Order] = field(default_factory=dict)

    def add(self, order: Order) -> Order:
        self.orders[order.amazon_order_id] = order
        return order


@dataclass
class Consent:
    """A pending authorization code from the consent redirect (short-lived, single use)."""

    code: str
    selling_partner_id: str
    client_id: str
    redirect_uri: str | None
    expires_at: float
    used: bool = False
