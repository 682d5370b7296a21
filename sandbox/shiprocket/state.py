"""The in-memory data model: merchant accounts and, per account, pickup locations, orders, shipments,
tracking scans and COD remittance batches. Ids are global (like Shiprocket's), records are per account.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass
class PickupLocation:
    id: int
    nickname: str
    name: str
    email: str
    phone: str
    address: str
    address_2: str
    city: str
    state: str
    country: str
    pin_code: str
    created_at: datetime
    primary: bool = False


@dataclass
class Item:
    name: str
    sku: str
    units: int
    selling_price: Decimal
    discount: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    hsn: str = ""
    id: int = 0


@dataclass
class Address:
    name: str
    last_name: str
    address: str
    address_2: str
    city: str
    state: str
    country: str
    pincode: str
    email: str
    phone: str


@dataclass
class Scan:
    at: datetime
    event: str
    location: str
    seq: int


@dataclass
class Order:
    id: int
    channel_order_id: str
    channel_id: int
    order_date: datetime
    created_at: datetime
    updated_at: datetime
    pickup: PickupLocation
    customer: Address
    """Where the parcel goes: the shipping (or billing) address; for a return, the merchant's warehouse."""
    billing: Address
    """The customer shown in lists: billing details; for a return, the customer it is collected from."""
    items: list[Item]
    payment_method: str
    """``COD`` or ``Prepaid`` (``PREPAID`` on returns)."""
    sub_total: Decimal
    shipping_charges: Decimal
    giftwrap_charges: Decimal
    transaction_charges: Decimal
    total_discount: Decimal
    length: Decimal
    breadth: Decimal
    height: Decimal
    weight: Decimal
    status_code: int
    is_return: bool = False
    comment: str = ""
    shipment_id: int = 0

    @property
    def total(self) -> Decimal:
        return (
            self.sub_total + self.shipping_charges + self.giftwrap_charges + self.transaction_charges
        ) - self.total_discount

    @property
    def cod(self) -> bool:
        return self.payment_method.upper() == "COD"


@dataclass
class Shipment:
    id: int
    order_id: int
    created_at: datetime
    updated_at: datetime
    status: int = 0
    """Shipment status id (catalog.SHIPMENT_STATUSES); 0 while NEW (no AWB)."""
    courier_id: int | None = None
    awb: str | None = None
    awb_assigned_at: datetime | None = None
    reassigned_at: datetime | None = None
    freight: Decimal = Decimal(0)
    cod_charges: Decimal = Decimal(0)
    zone: str = ""
    charge_weight: Decimal = Decimal(0)
    etd: datetime | None = None
    pickup_scheduled_at: datetime | None = None
    pickup_token: str | None = None
    pickup_generated_at: datetime | None = None
    label_url: str | None = None
    manifest_url: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    rto_initiated_at: datetime | None = None
    rto_delivered_at: datetime | None = None
    scans: list[Scan] = field(default_factory=list)
    cancelled_awbs: list[str] = field(default_factory=list)
    remitted_in: int | None = None
    """crf_id of the remittance batch that paid this COD shipment."""


@dataclass
class RemittanceLine:
    awb: str
    sr_order_id: int
    channel_order_id: str
    shipment_id: int
    cod_amount: Decimal
    freight_charges: Decimal
    cod_charges: Decimal
    delivered_at: datetime | None

    @property
    def deductions(self) -> Decimal:
        return self.freight_charges + self.cod_charges

    @property
    def net(self) -> Decimal:
        return self.cod_amount - self.deductions


@dataclass
class Remittance:
    crf_id: int
    utr: str
    created_at: datetime
    lines: list[RemittanceLine]
    remitted_value: Decimal
    """What reached the bank; equals the sum of nets unless the batch was made mismatched on purpose."""
    status: str = "Remittance success"
    remarks: str = "Remitted"
    adjustment: Decimal = Decimal(0)
    """A batch-level deduction (e.g. early-COD fee, wallet recovery), not tied to any AWB."""
    adjustment_reason: str = ""

    @property
    def net_of_lines(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    @property
    def cod_payable(self) -> Decimal:
        """What Shiprocket owes: the lines' nets less the batch adjustment."""
        return self.net_of_lines - self.adjustment

    @property
    def deduction_value(self) -> Decimal:
        return sum((line.deductions for line in self.lines), Decimal(0)) + self.adjustment

    @property
    def gross(self) -> Decimal:
        return sum((line.cod_amount for line in self.lines), Decimal(0))


@dataclass
class LedgerEntry:
    """One wallet movement (``GET /account/details/statement``)."""

    id: int
    at: datetime
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal
    sr_order_id: int | None = None
    channel_order_id: str = ""
    awb: str = ""
    charged_weight: Decimal | None = None


@dataclass
class NdrAction:
    at: datetime
    action: str
    comments: str


@dataclass
class WebhookConfig:
    url: str | None = None
    token: str | None = None
    enabled: bool = True


@dataclass
class Account:
    key: str
    """The sandbox's name for the merchant (``demo``, or what ``POST /_sandbox/accounts`` chose)."""
    user_id: int
    company_id: int
    email: str
    password: str
    first_name: str
    last_name: str
    company_name: str
    created_at: datetime
    channel_id: int
    wallet: Decimal
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    pickups: dict[str, PickupLocation] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    shipments: dict[int, Shipment] = field(default_factory=dict)
    used_order_ids: set[str] = field(default_factory=set)
    """Channel order ids ever used (cancelled ones stay taken)."""
    remittances: list[Remittance] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    ndr_actions: dict[int, list[NdrAction]] = field(default_factory=dict)
    """Shipment id → NDR actions taken through ``POST /ndr/{awb}/action``."""

    def book(
        self,
        entry_id: int,
        at: datetime,
        description: str,
        amount: Decimal,
        order: Order | None = None,
        shipment: Shipment | None = None,
    ) -> None:
        """Move the wallet by ``amount`` (negative = debit) and record it in the statement."""
        self.wallet += amount
        self.ledger.append(
            LedgerEntry(
                id=entry_id,
                at=at,
                description=description,
                debit=-amount if amount < 0 else Decimal(0),
                credit=amount if amount > 0 else Decimal(0),
                balance=self.wallet,
                sr_order_id=order.id if order else None,
                channel_order_id=order.channel_order_id if order else "",
                awb=(shipment.awb or "") if shipment else "",
                charged_weight=shipment.charge_weight if shipment else None,
            )
        )

    def public(self) -> dict[str, Any]:
        return {
            "account": self.key,
            "email": self.email,
            "password": self.password,
            "company_id": self.company_id,
            "company_name": self.company_name,
            "webhook_token": self.webhook.token,
            "webhook_url": self.webhook.url,
            "pickup_locations": list(self.pickups),
        }


class Ids:
    """Global id sequences (orders, shipments, AWBs and so on never collide across merchants)."""

    def __init__(self) -> None:
        self.order = itertools.count(481_200_001)
        self.shipment = itertools.count(477_800_001)
        self.product = itertools.count(612_400_001)
        self.pickup = itertools.count(4_984_501)
        self.company = itertools.count(1_138_022)
        self.user = itertools.count(2_210_301)
        self.channel = itertools.count(76_893)
        self.awb = itertools.count(10_000_001)
        self.crf = itertools.count(10_816_241)
        self.scan = itertools.count(1)
        self.pickup_token = itertools.count(194_582)
        self.ledger = itertools.count(88_150_001)


@dataclass
class Settings:
    token_ttl_seconds: float = 240 * 3600
    """Shiprocket documents 240 h (10 days)."""
    rate_limit_per_minute: int | None = None
    """No published limit; off unless a test sets one."""
    reassign_window_seconds: float = 24 * 3600
    php_errors: bool = False
    """Answer some malformed requests with the PHP 500s the docs show (``Invalid argument supplied for
    foreach()``); off by default, when they get a 422 naming the field instead."""
