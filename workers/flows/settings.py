"""A tenant's flow settings (stored as JSON per key in ``tenant_settings``), parsed into plain dataclasses with
defaults, and refusing bad values with the key and field named (pure).

    fulfilment        which connections, pickup defaults, package, what counts as COD
    courier_priority  how couriers are ranked and which are allowed
    warehouse_map     Zoho location id → Shiprocket pickup nickname and its pin code
    status_map        Shiprocket status → the words written to cf_shipment_status (overrides the default in
                      ``shipment_status``; also "DELIVERED COD", and "RETURN <status>" for cf_return_status)
    books             Zoho Books accounts (by name) that COD remittances post through
    shipstation_books ShipStation orders → Books invoices: currencies and documented exchange rates, the
                      accounts shipping costs post to, the poll's interval and overlap
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


class SettingInvalid(ValueError):
    """A stored setting that cannot be used; the message names the key and field."""


@dataclass(frozen=True)
class Pickup:
    location: str
    pincode: str


@dataclass(frozen=True)
class Package:
    weight_kg_per_unit: Decimal = Decimal("0.5")
    length_cm: int = 20
    breadth_cm: int = 15
    height_cm: int = 10


@dataclass(frozen=True)
class CourierPriority:
    rank_by: tuple[str, ...] = ("cost", "etd", "rating")
    allowed: frozenset[str] = frozenset()
    """Courier names or ids; empty means every courier."""
    blocked: frozenset[str] = frozenset()
    max_etd_days: int | None = None
    min_rating: Decimal | None = None


RANK_KEYS = ("cost", "etd", "rating")


@dataclass(frozen=True)
class BooksAccounts:
    """Zoho Books accounts, by name in the chart of accounts, for COD remittances: the gross COD is deposited to
    ``clearing`` and Shiprocket's charges are paid from it, which then holds exactly the bank transfer."""

    clearing: str = "Shiprocket COD Receivable"
    courier_charges: str = "Courier Charges"
    cod_charges: str = "COD Charges"
    adjustments: str = "COD Charges"
    """Batch-level deductions Shiprocket declares (early-COD fees and the like)."""


BOOKS_KEYS = {
    "clearing_account": "clearing",
    "courier_charges_account": "courier_charges",
    "cod_charges_account": "cod_charges",
    "adjustments_account": "adjustments",
}


@dataclass(frozen=True)
class ShipStationBooks:
    books_currency: str | None = None
    """The Zoho Books organisation's currency (None: as Books says); orders in it are booked as they are."""
    shipstation_currency: str = "USD"
    """The currency of ShipStation orders that carry no ``currency:XXX`` mark."""
    exchange_rates: Mapping[str, Decimal] = field(default_factory=dict)
    """Currency → units of ``books_currency`` per unit, the documented rate foreign orders convert at."""
    shipping_expense_account: str = "Courier Charges"
    shipping_paid_through_account: str = "Petty Cash"
    poll_seconds: int = 300
    """How often ShipStation is asked for orders modified since the last poll (0: never)."""
    overlap_seconds: int = 3600
    """How far each poll reaches back before the last one ended (late writes, the repeated fall-back hour)."""


SHIPSTATION_BOOKS_KEYS = frozenset(ShipStationBooks.__dataclass_fields__)


@dataclass(frozen=True)
class FlowSettings:
    zoho_connection_id: str | None = None
    shiprocket_connection_id: str | None = None
    default_pickup: Pickup = Pickup("Primary", "560001")
    warehouses: Mapping[str, Pickup] = field(default_factory=dict)
    package: Package = Package()
    cod_terms: tuple[str, ...] = ("cod", "cash on delivery")
    couriers: CourierPriority = CourierPriority()
    status_map: Mapping[str, str] = field(default_factory=dict)
    books: BooksAccounts = BooksAccounts()
    shipstation_books: ShipStationBooks = ShipStationBooks()

    def pickup_for(self, location_id: str | None) -> Pickup:
        return self.warehouses.get(location_id or "", self.default_pickup)


def _pickup(value: Any, where: str) -> Pickup:
    if not isinstance(value, Mapping) or not value.get("pickup_location") or not value.get("pincode"):
        raise SettingInvalid(f"{where}: needs pickup_location and pincode")
    pin = str(value["pincode"])
    if not (pin.isdigit() and len(pin) == 6):
        raise SettingInvalid(f"{where}.pincode: {pin!r} is not a 6-digit Indian pin code")
    return Pickup(str(value["pickup_location"]), pin)


def _decimal(value: Any, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SettingInvalid(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number <= 0:
        raise SettingInvalid(f"{where}: must be more than 0")
    return number


def _books(value: Any) -> BooksAccounts:
    if not isinstance(value, Mapping):
        raise SettingInvalid("books: must map account roles to Zoho Books account names")
    unknown = sorted(str(k) for k in value if k not in BOOKS_KEYS)
    if unknown:
        raise SettingInvalid(f"books.{unknown[0]}: unknown; use {', '.join(BOOKS_KEYS)}")
    names: dict[str, str] = {}
    for key, role in BOOKS_KEYS.items():
        if key in value:
            name = value[key]
            if not isinstance(name, str) or not name.strip():
                raise SettingInvalid(f"books.{key}: must be the name of an account in the Books chart of accounts")
            names[role] = name.strip()
    return BooksAccounts(**names)


def _currency(value: Any, where: str) -> str:
    text = str(value or "").strip().upper()
    if len(text) != 3 or not text.isalpha():
        raise SettingInvalid(f"{where}: {value!r} is not a three-letter currency code")
    return text


def _shipstation_books(value: Any) -> ShipStationBooks:
    where = "shipstation_books"
    if not isinstance(value, Mapping):
        raise SettingInvalid(f"{where}: must be an object")
    unknown = sorted(str(k) for k in value if k not in SHIPSTATION_BOOKS_KEYS)
    if unknown:
        raise SettingInvalid(f"{where}.{unknown[0]}: unknown; use {', '.join(sorted(SHIPSTATION_BOOKS_KEYS))}")
    rates = value.get("exchange_rates") or {}
    if not isinstance(rates, Mapping):
        raise SettingInvalid(f"{where}.exchange_rates: must map currency codes to rates")
    default = ShipStationBooks()
    names = {}
    for key in ("shipping_expense_account", "shipping_paid_through_account"):
        name = value.get(key, getattr(default, key))
        if not isinstance(name, str) or not name.strip():
            raise SettingInvalid(f"{where}.{key}: must be the name of an account in the Books chart of accounts")
        names[key] = name.strip()
    seconds = {}
    for key in ("poll_seconds", "overlap_seconds"):
        raw = value.get(key, getattr(default, key))
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            raise SettingInvalid(f"{where}.{key}: must be a whole number of seconds, 0 or more")
        seconds[key] = raw
    return ShipStationBooks(
        books_currency=_currency(value["books_currency"], f"{where}.books_currency")
        if value.get("books_currency") is not None
        else None,
        shipstation_currency=_currency(
            value.get("shipstation_currency", default.shipstation_currency), f"{where}.shipstation_currency"
        ),
        exchange_rates={
            _currency(k, f"{where}.exchange_rates"): _decimal(v, f"{where}.exchange_rates.{k}")
            for k, v in rates.items()
        },
        shipping_expense_account=names["shipping_expense_account"],
        shipping_paid_through_account=names["shipping_paid_through_account"],
        poll_seconds=seconds["poll_seconds"],
        overlap_seconds=seconds["overlap_seconds"],
    )


def parse(stored: Mapping[str, Any]) -> FlowSettings:
    """``stored``: key → JSON value as kept in ``tenant_settings``."""
    fulfilment = stored.get("fulfilment") or {}
    priority = stored.get("courier_priority") or {}
    package = fulfilment.get("package") or {}
    rank_by = tuple(priority.get("rank_by") or RANK_KEYS)
    unknown = [k for k in rank_by if k not in RANK_KEYS]
    if unknown:
        raise SettingInvalid(f"courier_priority.rank_by: {unknown} unknown; use {', '.join(RANK_KEYS)}")
    warehouses = stored.get("warehouse_map") or {}
    if not isinstance(warehouses, Mapping):
        raise SettingInvalid("warehouse_map: must map Zoho location ids to pickups")
    return FlowSettings(
        zoho_connection_id=fulfilment.get("zoho_connection_id"),
        shiprocket_connection_id=fulfilment.get("shiprocket_connection_id"),
        default_pickup=_pickup(fulfilment["pickup"], "fulfilment.pickup")
        if fulfilment.get("pickup")
        else FlowSettings.default_pickup,
        warehouses={str(k): _pickup(v, f"warehouse_map.{k}") for k, v in warehouses.items()},
        package=Package(
            _decimal(package.get("weight_kg_per_unit", "0.5"), "fulfilment.package.weight_kg_per_unit"),
            int(_decimal(package.get("length_cm", 20), "fulfilment.package.length_cm")),
            int(_decimal(package.get("breadth_cm", 15), "fulfilment.package.breadth_cm")),
            int(_decimal(package.get("height_cm", 10), "fulfilment.package.height_cm")),
        ),
        cod_terms=tuple(str(t).lower() for t in fulfilment.get("cod_terms") or ("cod", "cash on delivery")),
        couriers=CourierPriority(
            rank_by=rank_by,
            allowed=frozenset(str(c).lower() for c in priority.get("allowed") or ()),
            blocked=frozenset(str(c).lower() for c in priority.get("blocked") or ()),
            max_etd_days=int(priority["max_etd_days"]) if priority.get("max_etd_days") is not None else None,
            min_rating=_decimal(priority["min_rating"], "courier_priority.min_rating")
            if priority.get("min_rating") is not None
            else None,
        ),
        status_map={str(k).upper(): str(v) for k, v in (stored.get("status_map") or {}).items()},
        books=_books(stored.get("books") or {}),
        shipstation_books=_shipstation_books(stored.get("shipstation_books") or {}),
    )
