"""Pure record logic shared by every resource: bodies, custom fields, line items, totals, list queries.

Nothing here does I/O; the engine hands in an organisation and a query and gets records or a ZohoError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from sandbox.zoho import errors
from sandbox.zoho.catalogue import Resource
from sandbox.zoho.formats import as_id, cents, money, parse_date, parse_timestamp
from sandbox.zoho.model import CustomField, Org

MAX_PER_PAGE = 200

RESERVED = frozenset(
    {
        "organization_id",
        "page",
        "per_page",
        "sort_column",
        "sort_order",
        "filter_by",
        "search_text",
        "custom_field",
        "custom_field_startswith",
        "custom_field_contains",
        "date_start",
        "date_end",
        "date_before",
        "date_after",
        "last_modified_time",
        "response_option",
        "print",
        "accept",
        "JSONString",
        "ignore_auto_number_generation",
        "send",
        "salesorder_ids",
        "package_ids",
        "purchaseorder_id",
        "salesorder_id",
        "invoice_id",
        "usestate",
        "is_quantity_reserved",
        "can_send_in_mail",
    }
)


# ----------------------------------------------------------------- bodies
def read_body(raw: bytes, content_type: str, query: Mapping[str, str]) -> dict[str, Any]:
    """JSON body, or the legacy ``JSONString=<json>`` in a form body or the query string."""
    text = raw.decode("utf-8", "replace").strip()
    source: str | None = None
    if "application/x-www-form-urlencoded" in content_type or (text and not text.startswith(("{", "["))):
        form = dict(parse_qsl(text, keep_blank_values=True))
        source = form.get("JSONString")
        if source is None and text and not form:
            source = text
    elif text:
        source = text
    if source is None:
        source = query.get("JSONString")
    if source is None or not source.strip():
        return {}
    try:
        body = json.loads(source, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise errors.ZohoError(400, "invalid_json", "Invalid value passed for JSONString") from exc
    if not isinstance(body, dict):
        raise errors.ZohoError(400, "invalid_json", "Invalid value passed for JSONString")
    return body


def truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "yes", "on")


# ----------------------------------------------------------------- custom fields
def find_field(org: Org, module: str, ref: Mapping[str, Any]) -> CustomField | None:
    fields = org.fields_for(module)
    cid = as_id(ref.get("customfield_id"))
    if cid:
        return next((f for f in fields if f.customfield_id == cid), None)
    for key in ("api_name", "placeholder"):
        name = ref.get(key)
        if isinstance(name, str) and name:
            return next((f for f in fields if f.api_name == name), None)
    label = ref.get("label")
    if isinstance(label, str) and label:
        return next((f for f in fields if f.label == label), None)
    return None


def merge_custom_fields(org: Org, module: str, existing: list[dict[str, Any]], incoming: Any) -> dict[str, Any]:
    """customfield_id → value after applying ``incoming`` (a list of refs) on top of ``existing``."""
    values: dict[str, Any] = {cf["customfield_id"]: cf.get("value") for cf in existing}
    if incoming is None:
        return values
    if not isinstance(incoming, list):
        raise errors.invalid("custom_fields")
    for ref in incoming:
        if not isinstance(ref, dict):
            raise errors.invalid("custom_fields")
        field = find_field(org, module, ref)
        if field is None:
            name = ref.get("api_name") or ref.get("placeholder") or ref.get("customfield_id") or ref.get("label")
            raise errors.invalid("custom_fields", f"Invalid value passed for custom field: {name}")
        value = ref.get("value")
        if value is not None and not isinstance(value, (str, int, float, Decimal, bool)):
            raise errors.invalid("custom_fields", f"Invalid value passed for {field.label}")
        values[field.customfield_id] = value
    return values


def render_custom_fields(org: Org, module: str, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for field in org.fields_for(module):
        if field.customfield_id not in values or values[field.customfield_id] in (None, ""):
            continue
        value = values[field.customfield_id]
        out.append(
            {
                "customfield_id": field.customfield_id,
                "show_in_all_pdf": False,
                "value_formatted": str(value),
                "data_type": field.data_type,
                "index": field.index,
                "label": field.label,
                "show_on_pdf": False,
                "edit_on_portal": False,
                "edit_on_store": False,
                "api_name": field.api_name,
                "placeholder": field.api_name,
                "is_active": True,
                "value": value,
            }
        )
    return out


def custom_field_hash(fields: list[dict[str, Any]]) -> dict[str, Any]:
    hashed: dict[str, Any] = {}
    for cf in fields:
        hashed[cf["api_name"]] = cf["value_formatted"]
        hashed[f"{cf['api_name']}_unformatted"] = cf["value"]
    return hashed


def unique_clash(org: Org, resource: Resource, table: str, record_id: str | None, values: Mapping[str, Any]) -> None:
    """A unique custom field's value may appear on one record only."""
    for field in org.fields_for(resource.cf_module or ""):
        value = values.get(field.customfield_id)
        if not field.is_unique or value in (None, ""):
            continue
        for other in org.table(table).values():
            if other[resource.id_field] == record_id:
                continue
            if any(
                cf["customfield_id"] == field.customfield_id and cf["value"] == value
                for cf in other.get("custom_fields", [])
            ):
                raise errors.duplicate(field.label, str(value))


# ----------------------------------------------------------------- line items and totals
def line_items(org: Org, incoming: Any, existing: list[dict[str, Any]], *, new_id: Any) -> list[dict[str, Any]]:
    if not isinstance(incoming, list) or not incoming:
        raise errors.invalid("line_items", "Invalid value passed for line_items: at least one line item is needed")
    before = {li["line_item_id"]: li for li in existing}
    items = org.table("items")
    taxes = org.table("settings/taxes")
    out: list[dict[str, Any]] = []
    for raw in incoming:
        if not isinstance(raw, dict):
            raise errors.invalid("line_items")
        line_id = as_id(raw.get("line_item_id"))
        line = dict(before[line_id]) if line_id and line_id in before else {}
        line.update({k: v for k, v in raw.items() if k not in ("line_item_id",)})
        line["line_item_id"] = line_id if line_id and line_id in before else new_id()
        item = None
        if raw.get("item_id") not in (None, ""):
            item_id = as_id(raw.get("item_id"))
            item = items.get(item_id or "")
            if item is None:
                raise errors.invalid("item_id", "Invalid value passed for item_id")
            line["item_id"] = item_id
        elif line.get("item_id"):
            item = items.get(line["item_id"])
        if not line.get("name"):
            if item is None:
                raise errors.invalid("line_items", "Please enter the item name or select an item")
            line["name"] = item["name"]
        if item is not None:
            line.setdefault("sku", item.get("sku", ""))
            line.setdefault("unit", item.get("unit", "pcs"))
            line.setdefault("hsn_or_sac", item.get("hsn_or_sac", ""))
            line.setdefault("description", item.get("description", ""))
            if "tax_id" not in raw and "tax_percentage" not in raw and item.get("tax_id"):
                line.setdefault("tax_id", item["tax_id"])
        rate = money(line.get("rate")) if line.get("rate") is not None else (item or {}).get("rate", Decimal(0))
        quantity = money(line.get("quantity", 1))
        if rate is None or rate < 0:
            raise errors.invalid("rate")
        if quantity is None or quantity <= 0:
            raise errors.invalid("quantity")
        gross = rate * quantity
        discount = Decimal(0)
        raw_discount = line.get("discount")
        if isinstance(raw_discount, str) and raw_discount.strip().endswith("%"):
            pct = money(raw_discount.strip()[:-1])
            if pct is None:
                raise errors.invalid("discount")
            discount = gross * pct / 100
        elif raw_discount not in (None, ""):
            amount = money(raw_discount)
            if amount is None:
                raise errors.invalid("discount")
            discount = amount
        tax_pct = Decimal(0)
        tax_id = as_id(line.get("tax_id")) if line.get("tax_id") not in (None, "") else None
        if tax_id:
            tax = taxes.get(tax_id)
            if tax is None:
                raise errors.invalid("tax_id")
            line["tax_id"] = tax_id
            line["tax_name"] = tax["tax_name"]
            line["tax_type"] = tax.get("tax_type", "tax")
            tax_pct = Decimal(str(tax["tax_percentage"]))
        elif line.get("tax_percentage") not in (None, ""):
            pct = money(line.get("tax_percentage"))
            if pct is None:
                raise errors.invalid("tax_percentage")
            tax_pct = pct
        line["rate"] = rate
        line["quantity"] = quantity
        percent = isinstance(raw_discount, str) and raw_discount.strip().endswith("%")
        line["discount"] = raw_discount if percent else cents(discount)
        line["tax_percentage"] = tax_pct
        line["item_total"] = cents(gross - discount)
        line.setdefault("item_custom_fields", [])
        out.append(line)
    return out


def totals(lines: Iterable[Mapping[str, Any]], record: Mapping[str, Any]) -> dict[str, Any]:
    sub_total = Decimal(0)
    tax_total = Decimal(0)
    taxes: dict[str, Decimal] = {}
    for line in lines:
        sub_total += line["item_total"]
        tax = line["item_total"] * line.get("tax_percentage", Decimal(0)) / 100
        tax_total += tax
        if tax:
            name = line.get("tax_name") or f"Tax ({line['tax_percentage']}%)"
            taxes[name] = taxes.get(name, Decimal(0)) + tax
    shipping = money(record.get("shipping_charge")) or Decimal(0)
    adjustment = money(record.get("adjustment")) or Decimal(0)
    total = cents(sub_total) + cents(tax_total) + cents(shipping) + cents(adjustment)
    return {
        "sub_total": cents(sub_total),
        "tax_total": cents(tax_total),
        "taxes": [{"tax_name": k, "tax_amount": cents(v)} for k, v in taxes.items()],
        "shipping_charge": cents(shipping),
        "adjustment": cents(adjustment),
        "total": cents(total),
    }


# ----------------------------------------------------------------- lists
def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


STATUS_GROUPS: dict[str, frozenset[str]] = {
    "unpaid": frozenset({"sent", "overdue", "partially_paid", "unpaid"}),
    "open": frozenset({"confirmed", "open", "sent"}),
}


def _cf_values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {cf["api_name"]: cf.get("value") for cf in row.get("custom_fields", [])}


def _match(actual: Any, wanted: str, mode: str) -> bool:
    if actual is None:
        return False
    text = str(actual).lower()
    wanted = wanted.lower()
    if mode == "startswith":
        return text.startswith(wanted)
    if mode == "contains":
        return wanted in text
    return text == wanted


def select(rows: Iterable[dict[str, Any]], query: Mapping[str, str], resource: Resource) -> list[dict[str, Any]]:
    rows = list(rows)
    known_fields = {k for row in rows for k, v in row.items() if not isinstance(v, (list, dict))}
    filters: list[Any] = []
    filter_by = query.get("filter_by", "")
    if filter_by.startswith("Status.") and filter_by != "Status.All":
        wanted = _snake(filter_by.split(".", 1)[1])
        group = STATUS_GROUPS.get(wanted, frozenset({wanted, wanted.replace("_", "")}))
        filters.append(lambda r: str(r.get("status", "")).lower() in group)
    if query.get("search_text"):
        text = query["search_text"].lower()
        fields = resource.search_fields + ((resource.number_field,) if resource.number_field else ())
        filters.append(lambda r: any(text in str(r.get(f, "")).lower() for f in fields))
    for mode in ("", "_startswith", "_contains"):
        value = query.get(f"custom_field{mode}")
        if value:
            filters.append(lambda r, v=value, m=mode: any(_match(x, v, m.strip("_")) for x in _cf_values(r).values()))
    for key, value in query.items():
        if key in RESERVED:
            continue
        base, mode = key, ""
        for suffix in ("_startswith", "_contains"):
            if key.endswith(suffix):
                base, mode = key[: -len(suffix)], suffix[1:]
        if base.startswith("cf_"):
            filters.append(lambda r, b=base, v=value, m=mode: _match(_cf_values(r).get(b), v, m))
        elif base in known_fields:
            filters.append(lambda r, b=base, v=value, m=mode: _match(r.get(b), v, m))
    field = resource.date_field
    for key, op in (("date_start", ">="), ("date_after", ">"), ("date_end", "<="), ("date_before", "<")):
        if query.get(key):
            bound = parse_date(query[key])
            if bound is None:
                raise errors.invalid(key)
            filters.append(lambda r, b=bound, o=op: _compare(str(r.get(field, ""))[:10], b, o))
    if query.get("last_modified_time"):
        since = parse_timestamp(query["last_modified_time"])
        if since is None:
            raise errors.invalid("last_modified_time")
        filters.append(lambda r, s=since: (parse_timestamp(str(r.get("last_modified_time", ""))) or s) >= s)
    selected = [r for r in rows if all(f(r) for f in filters)]
    column = query.get("sort_column") or "created_time"
    descending = query.get("sort_order", "D").upper() != "A"
    selected.sort(key=lambda r: (_sort_key(r.get(column)), r.get(resource.id_field, "")), reverse=descending)
    return selected


def _compare(actual: str, bound: str, op: str) -> bool:
    if not actual:
        return False
    return {">=": actual >= bound, ">": actual > bound, "<=": actual <= bound, "<": actual < bound}[op]


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (0, Decimal(str(value)))
    if value is None:
        return (1, "")
    return (1, str(value).lower())


def paging(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        page = int(query.get("page", "1"))
    except ValueError:
        raise errors.invalid("page") from None
    try:
        per_page = int(query.get("per_page", str(MAX_PER_PAGE)))
    except ValueError:
        raise errors.invalid("per_page") from None
    if page < 1:
        raise errors.invalid("page")
    if per_page < 1:
        raise errors.invalid("per_page")
    return page, min(per_page, MAX_PER_PAGE)


def page_context(
    query: Mapping[str, str], page: int, per_page: int, has_more: bool, resource: Resource
) -> dict[str, Any]:
    return {
        "page": page,
        "per_page": per_page,
        "has_more_page": has_more,
        "report_name": resource.label + "s",
        "applied_filter": query.get("filter_by", "Status.All"),
        "custom_fields": [],
        "sort_column": query.get("sort_column") or "created_time",
        "sort_order": query.get("sort_order", "D").upper() if query.get("sort_order") else "D",
        "search_criteria": [
            {"column_name": k, "search_text": v, "comparator": "equal"}
            for k, v in query.items()
            if k not in RESERVED or k in ("search_text", "custom_field")
        ],
    }


def summary(row: Mapping[str, Any], resource: Resource) -> dict[str, Any]:
    """The list form of a record: heavy sub-lists dropped, custom fields flattened to ``cf_*`` keys."""
    out = {k: v for k, v in row.items() if k not in resource.list_omit and k != "custom_field_hash"}
    out.update(row.get("custom_field_hash", {}))
    return out


def parse_date_or(value: Any, default: str) -> str:
    if value in (None, ""):
        return default
    parsed = parse_date(value)
    if parsed is None:
        raise errors.invalid("date")
    return parsed
