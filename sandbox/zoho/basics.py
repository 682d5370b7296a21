"""Behaviours of the master-data resources: contacts, items (with stock per location), accounts, webhooks."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sandbox.zoho import errors
from sandbox.zoho.behaviour import Behaviour, Ctx
from sandbox.zoho.catalogue import Resource
from sandbox.zoho.formats import as_id, cents, money

CONTACT_TYPES = ("customer", "vendor")
GST_TREATMENTS = (
    "business_gst",
    "business_none",
    "overseas",
    "consumer",
    "business_sez",
    "deemed_export",
    "tax_deductor",
    "sez_developer",
)
ACCOUNT_TYPES = (
    "other_asset",
    "other_current_asset",
    "cash",
    "bank",
    "fixed_asset",
    "other_current_liability",
    "credit_card",
    "long_term_liability",
    "other_liability",
    "equity",
    "income",
    "other_income",
    "expense",
    "cost_of_goods_sold",
    "other_expense",
    "accounts_receivable",
    "accounts_payable",
    "stock",
    "payment_clearing",
    "input_tax",
    "output_tax",
)
WEBHOOK_ENTITIES = (
    "salesorder",
    "invoice",
    "contact",
    "item",
    "package",
    "shipmentorder",
    "payment",
    "creditnote",
    "purchaseorder",
    "purchasereceive",
    "expense",
    "journal",
    "inventory_adjustment",
)
SECRET = re.compile(r"^[A-Za-z0-9]{12,50}$")


def text_fields(record: dict[str, Any], *names: str) -> None:
    """Fields Zoho types as strings: a number or an object there is refused, not stored."""
    for name in names:
        if name in record and record[name] is not None and not isinstance(record[name], str):
            raise errors.invalid(name)


class Plain(Behaviour):
    pass


class Contact(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        name = record.get("contact_name")
        if not isinstance(name, str) or not name.strip():
            raise errors.invalid("contact_name")
        name = record["contact_name"] = name.strip()
        for other in ctx.org.table("contacts").values():
            if other["contact_id"] != record["contact_id"] and other["contact_name"].lower() == name.lower():
                raise errors.duplicate("The contact", name)
        record.setdefault("contact_type", "customer")
        if record["contact_type"] not in CONTACT_TYPES:
            raise errors.invalid("contact_type")
        record.setdefault("customer_sub_type", "business")
        if record.get("gst_treatment") and record["gst_treatment"] not in GST_TREATMENTS:
            raise errors.invalid("gst_treatment")
        persons = record.get("contact_persons") or []
        if not isinstance(persons, list):
            raise errors.invalid("contact_persons")
        for person in persons:
            if not isinstance(person, dict):
                raise errors.invalid("contact_persons")
            person.setdefault("contact_person_id", ctx.org.new_id())
        if not record.get("email") and persons:
            primary = next((p for p in persons if p.get("is_primary_contact")), persons[0])
            record["email"] = primary.get("email", "")
        record.setdefault("email", "")
        record.setdefault("company_name", "")
        record.setdefault("currency_code", ctx.org.currency_code)
        for key in ("billing_address", "shipping_address"):
            if key in record and not isinstance(record[key], dict):
                raise errors.invalid(key)
            record.setdefault(key, {})
        record.setdefault("outstanding_receivable_amount", Decimal(0))

    def before_delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        cid = record["contact_id"]
        for table in ("salesorders", "invoices", "customerpayments", "creditnotes", "purchaseorders"):
            for other in ctx.org.table(table).values():
                if cid in (other.get("customer_id"), other.get("vendor_id")):
                    raise errors.state("The contact cannot be deleted as it has transactions associated with it.")


class Item(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        text_fields(record, "name", "sku", "unit", "description", "hsn_or_sac")
        for key in ("rate", "purchase_rate"):
            if key in body or before is None:
                value = money(record.get(key, 0))
                if value is None or value < 0:
                    raise errors.invalid(key)
                record[key] = cents(value)
        sku = str(record.get("sku") or "")
        if sku:
            for other in ctx.org.table("items").values():
                if other["item_id"] != record["item_id"] and other.get("sku") == sku:
                    raise errors.duplicate("The SKU", sku)
        record.setdefault("sku", "")
        record.setdefault("unit", "pcs")
        record.setdefault("item_type", "inventory")
        record.setdefault("product_type", "goods")
        record.setdefault("description", "")
        record.setdefault("hsn_or_sac", "")
        # Stock is never written directly: only opening stock on create, then adjustments and receipts.
        openings: list[tuple[str, Decimal, Decimal]] = []
        for key, id_key in (("locations", "location_id"), ("warehouses", "warehouse_id")):
            entries = record.pop(key, None)
            if before is None and isinstance(entries, list):
                for entry in entries:
                    if not isinstance(entry, dict):
                        raise errors.invalid(key)
                    location = ctx.location(as_id(entry.get(id_key) or entry.get("location_id")))
                    qty = money(entry.get("initial_stock", 0))
                    if qty is None or qty < 0:
                        raise errors.invalid("initial_stock")
                    openings.append(
                        (location["location_id"], qty, money(entry.get("initial_stock_rate", 0)) or Decimal(0))
                    )
        if before is None and record.get("initial_stock") not in (None, "") and not openings:
            qty = money(record["initial_stock"])
            if qty is None or qty < 0:
                raise errors.invalid("initial_stock")
            openings.append((ctx.primary_location()["location_id"], qty, Decimal(0)))
        for key in (
            "stock_on_hand",
            "available_stock",
            "actual_available_stock",
            "initial_stock",
            "initial_stock_rate",
            "committed_stock",
        ):
            record.pop(key, None)
        for location_id, qty, _rate in openings:
            slot = (record["item_id"], location_id)
            ctx.org.stock[slot] = ctx.org.stock.get(slot, Decimal(0)) + qty

    def before_delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        for table in ("salesorders", "invoices", "purchaseorders"):
            for other in ctx.org.table(table).values():
                if any(li.get("item_id") == record["item_id"] for li in other.get("line_items", [])):
                    raise errors.state("The item cannot be deleted as it is associated with transactions.")

    def render(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> dict[str, Any]:
        if record.get("item_type") != "inventory":
            return record
        committed = committed_stock(ctx, record["item_id"])
        locations = []
        warehouses = []
        total_on_hand = total_available = total_committed = Decimal(0)
        for loc in ctx.org.table("locations").values():
            on_hand = ctx.org.stock.get((record["item_id"], loc["location_id"]), Decimal(0))
            held = committed.get(loc["location_id"], Decimal(0))
            available = on_hand - held
            total_on_hand += on_hand
            total_available += available
            total_committed += held
            locations.append(
                {
                    "location_id": loc["location_id"],
                    "location_name": loc["location_name"],
                    "status": loc.get("status", "active"),
                    "is_primary": loc.get("is_primary", False),
                    "location_stock_on_hand": on_hand,
                    "location_available_stock": available,
                    "location_actual_available_stock": available,
                    "location_committed_stock": held,
                }
            )
            warehouses.append(
                {
                    "warehouse_id": loc["location_id"],
                    "warehouse_name": loc["location_name"],
                    "status": loc.get("status", "active"),
                    "is_primary": loc.get("is_primary", False),
                    "warehouse_stock_on_hand": on_hand,
                    "initial_stock": Decimal(0),
                    "warehouse_available_stock": available,
                    "warehouse_actual_available_stock": available,
                    "warehouse_committed_stock": held,
                }
            )
        return {
            **record,
            "stock_on_hand": total_on_hand,
            "available_stock": total_available,
            "actual_available_stock": total_available,
            "committed_stock": total_committed,
            "locations": locations,
            "warehouses": warehouses,
        }


def committed_stock(ctx: Ctx, item_id: str) -> dict[str, Decimal]:
    """Location → quantity on confirmed sales orders not yet shipped."""
    held: dict[str, Decimal] = {}
    primary = ctx.primary_location()["location_id"]
    for so in ctx.org.table("salesorders").values():
        if so.get("status") not in ("confirmed", "approved"):
            continue
        for line in so.get("line_items", []):
            if line.get("item_id") != item_id:
                continue
            remaining = line["quantity"] - line.get("quantity_shipped", Decimal(0))
            if remaining > 0:
                loc = line.get("location_id") or so.get("location_id") or primary
                held[loc] = held.get(loc, Decimal(0)) + remaining
    return held


class ChartAccount(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        if record.get("account_type") not in ACCOUNT_TYPES:
            raise errors.invalid("account_type")
        text_fields(record, "account_name", "account_code", "description")
        name = str(record.get("account_name", "")).strip()
        for other in ctx.org.table("chartofaccounts").values():
            if other["account_id"] != record["account_id"] and other["account_name"].lower() == name.lower():
                raise errors.duplicate("The account name", name)
        record.setdefault("account_code", "")
        record.setdefault("description", "")
        record["is_active"] = record.get("status", "active") == "active"
        record.setdefault("currency_code", ctx.org.currency_code)

    def after_action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        record["is_active"] = record["status"] == "active"


class Webhook(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        url = str(record.get("url", ""))
        if not url.startswith(("http://", "https://")):
            raise errors.invalid("url")
        record.setdefault("webhook_name", url)
        record.setdefault("entity", "salesorder")
        if record["entity"] not in WEBHOOK_ENTITIES:
            raise errors.invalid("entity")
        record["method"] = str(record.get("method", "POST")).upper()
        if record["method"] not in ("POST", "PUT", "DELETE"):
            raise errors.invalid("method")
        secret = record.get("secret")
        if secret not in (None, "") and not SECRET.match(str(secret)):
            raise errors.invalid("secret", "The secret must be 12 to 50 alphanumeric characters.")
        events = record.get("events")
        if events is None:
            record["events"] = ["confirmed"] if record["entity"] == "salesorder" else ["created", "updated"]
        elif not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise errors.invalid("events")
        for key in ("headers", "query_parameters"):
            entries = record.setdefault(key, [])
            if not isinstance(entries, list) or not all(
                isinstance(e, dict) and isinstance(e.get("param_name"), str) for e in entries
            ):
                raise errors.invalid(key)
        record.setdefault("body_type", "application/json")

    def created(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        pass

    def updated(self, ctx: Ctx, res: Resource, record: dict[str, Any], before: dict[str, Any]) -> None:
        pass

    def deleted(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        pass


class Warehouse(Behaviour):
    def render(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> dict[str, Any]:
        address = record.get("address", {})
        return {
            "warehouse_id": record["location_id"],
            "warehouse_name": record["location_name"],
            "is_primary": record.get("is_primary", False),
            "status": record.get("status", "active"),
            "address": address.get("address", ""),
            "city": address.get("city", ""),
            "state": address.get("state", ""),
            "zip": address.get("zip", ""),
            "country": address.get("country", ""),
            "created_time": record.get("created_time", ""),
        }
