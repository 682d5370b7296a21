"""The in-memory state: merchant accounts (Zoho users), OAuth clients and organisations with their records.

An organisation lives in exactly one data centre and belongs to one merchant account. Inventory and
Books share an organisation's records, as they do at Zoho (one ``organization_id`` for both).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.zoho.dc import DATA_CENTRES, DataCentre


@dataclass
class Client:
    """An OAuth client registered in the API console (multi-DC enabled: one id for every data centre)."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str
    owner: str
    """The merchant account that registered it; any user may consent to it."""

    def public(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
            "name": self.name,
            "owner": self.owner,
        }


@dataclass
class CustomField:
    customfield_id: str
    module: str
    api_name: str
    label: str
    data_type: str = "string"
    is_unique: bool = False
    index: int = 1

    def public(self) -> dict[str, Any]:
        return {
            "customfield_id": self.customfield_id,
            "module": self.module,
            "api_name": self.api_name,
            "placeholder": self.api_name,
            "label": self.label,
            "data_type": self.data_type,
            "is_unique": self.is_unique,
            "index": self.index,
            "is_active": True,
        }


@dataclass
class Org:
    organization_id: str
    name: str
    dc: DataCentre
    account: str
    time_zone: str
    currency_code: str
    currency_symbol: str
    created: str
    id_prefix: int
    email: str
    country: str
    state: str = ""
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Resource name → record id → record (stored in wire shape, amounts as Decimal)."""
    counters: dict[str, int] = field(default_factory=dict)
    custom_fields: list[CustomField] = field(default_factory=list)
    stock: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    """(item_id, location_id) → physical stock on hand."""
    daily: tuple[str, int] = ("", 0)
    in_flight: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self) -> str:
        # 19 digits: above 2**53, so clients must keep them as strings, as with real Zoho ids.
        return f"{self.id_prefix}{next(self._ids):010d}"

    def table(self, resource: str) -> dict[str, dict[str, Any]]:
        return self.records.setdefault(resource, {})

    def next_number(self, resource: str) -> int:
        self.counters[resource] = self.counters.get(resource, 0) + 1
        return self.counters[resource]

    def fields_for(self, module: str) -> list[CustomField]:
        return [cf for cf in self.custom_fields if cf.module == module]

    def public(self, is_default: bool = True) -> dict[str, Any]:
        return {
            "organization_id": self.organization_id,
            "name": self.name,
            "contact_name": self.name,
            "email": self.email,
            "is_default_org": is_default,
            "plan_type": 3,
            "plan_name": "Professional",
            "language_code": "en",
            "fiscal_year_start_month": 3 if self.dc.code == "in" else 0,
            "account_created_date": self.created,
            "time_zone": self.time_zone,
            "is_org_active": True,
            "currency_id": f"{self.id_prefix}0000000001",
            "currency_code": self.currency_code,
            "currency_symbol": self.currency_symbol,
            "currency_format": "###,##,##0.00" if self.currency_code == "INR" else "###,###,##0.00",
            "price_precision": 2,
            "country": self.country,
            "state": self.state,
            "data_centre": self.dc.code,
        }


@dataclass
class Account:
    """A merchant: one Zoho user who owns organisations in one data centre."""

    account_id: str
    email: str
    display_name: str
    dc: str
    org_ids: list[str] = field(default_factory=list)


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.clients: dict[str, Client] = {}
        self.orgs: dict[str, Org] = {}
        self._org_numbers = itertools.count(1)

    def next_org_number(self) -> int:
        return next(self._org_numbers)

    def org_for(self, organization_id: str | None) -> Org | None:
        return self.orgs.get(organization_id or "")

    def orgs_of(self, account_id: str, dc: str | None = None) -> list[Org]:
        account = self.accounts.get(account_id)
        if account is None:
            return []
        return [self.orgs[o] for o in account.org_ids if dc is None or self.orgs[o].dc.code == dc]

    def accounts_in(self, dc: str) -> list[Account]:
        return [a for a in self.accounts.values() if a.dc == dc]


def data_centre(code: str) -> DataCentre:
    try:
        return DATA_CENTRES[code]
    except KeyError:
        raise ValueError(f"unknown data centre {code!r}; choose from {', '.join(DATA_CENTRES)}") from None
