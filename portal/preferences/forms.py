"""The settings page's structured forms, as pure conversions between a key's JSON value and flat form fields.

    to_fields(key, value)              the stored value (None when unset) → the form's fields, as strings
    from_fields(key, fields, stored)   the posted fields → the JSON value to store (None: delete, defaults apply)
    marked(key, paths, fields)         the fields to flag for the core's refusal paths (``value.pickup.pincode``)

Only what a form can get wrong on its own is refused here (a number that is not one, a row without its key),
with ``Problem.invalid`` naming the path under ``value`` as the core does; everything else is the core's to
check, with the workers' own parsers. Keys a form does not show are kept from the stored value, so the raw JSON
editor and the form can be used side by side.

Structured: courier_priority, status_map, warehouse_map, shipstation_books, alert_channel. The rest
(fulfilment, books) have the raw JSON editor only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from decimal import Decimal, InvalidOperation
from typing import Any

from portal.web.errors import Problem
from workers.flows import shipment_status
from workers.flows.settings import BOOKS_KEYS, RANK_KEYS, BooksAccounts, FlowSettings, ShipStationBooks

REDACTED = "<redacted>"
"""What the core reads a stored secret back as; sent back, it keeps the stored secret."""

TITLES: dict[str, str] = {
    "fulfilment": "Fulfilment",
    "courier_priority": "Courier priority",
    "warehouse_map": "Warehouse mapping",
    "status_map": "Status mapping",
    "books": "Books accounts for COD remittances",
    "shipstation_books": "ShipStation → Books: sync schedule and currencies",
    "alert_channel": "Alert channel",
}
SAVE_LABELS = {
    "courier_priority": "Save courier priority",
    "warehouse_map": "Save warehouse mapping",
    "status_map": "Save status mapping",
    "shipstation_books": "Save ShipStation schedule",
    "alert_channel": "Save alert channel",
}
STRUCTURED = frozenset({"courier_priority", "status_map", "warehouse_map", "shipstation_books", "alert_channel"})
BLANK_ROWS = 3
"""Empty rows under a table, for new entries."""

RANK_WORDS = {"cost": "Cheapest", "etd": "Fastest delivery (ETD)", "rating": "Best courier rating"}


def _examples() -> dict[str, str]:
    flow, books = FlowSettings(), BooksAccounts()
    examples = {
        "fulfilment": {
            "zoho_connection_id": "<the Zoho Inventory connection's id>",
            "shiprocket_connection_id": "<the Shiprocket connection's id>",
            "pickup": {"pickup_location": flow.default_pickup.location, "pincode": flow.default_pickup.pincode},
            "package": {
                "weight_kg_per_unit": str(flow.package.weight_kg_per_unit),
                "length_cm": flow.package.length_cm,
                "breadth_cm": flow.package.breadth_cm,
                "height_cm": flow.package.height_cm,
            },
            "cod_terms": list(flow.cod_terms),
        },
        "books": {key: getattr(books, role) for key, role in BOOKS_KEYS.items()},
    }
    return {key: json.dumps(value, indent=2, ensure_ascii=False) for key, value in examples.items()}


EXAMPLES = _examples()
"""What the keys without a form hold, with the workers' defaults, as JSON text: shown beside the JSON editor while
unset."""


def title(key: str) -> str:
    return TITLES.get(key, key.replace("_", " ").capitalize())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _words(text: str) -> list[str]:
    """Comma- or line-separated entries, stripped, without blanks or repeats."""
    items = [part.strip() for part in re.split(r"[,\n]", text)]
    return list(dict.fromkeys(item for item in items if item))


def indices(fields: Mapping[str, str], prefix: str) -> list[int]:
    """The row numbers posted for a table column (``location.0``, ``location.1``...), in order."""
    found = set()
    for name in fields:
        head, dot, tail = name.partition(".")
        if head == prefix and dot and tail.isdigit():
            found.add(int(tail))
    return sorted(found)


def _whole(text: str, path: str, what: str, minimum: int) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise Problem.invalid(path, f"{text!r} is not a whole number of {what}") from None
    if number < minimum:
        raise Problem.invalid(path, f"must be {minimum} or more {what}")
    return number


def _number(text: str, path: str) -> int | float | None:
    text = text.strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Problem.invalid(path, f"{text!r} is not a number") from None
    if not number.is_finite():
        raise Problem.invalid(path, f"{text!r} is not a number")
    return int(number) if number == number.to_integral_value() else float(number)


def _kept(stored: Any, owned: frozenset[str]) -> dict[str, Any]:
    """The stored value's keys that the form does not show."""
    if not isinstance(stored, Mapping):
        return {}
    return {k: v for k, v in stored.items() if k not in owned}


# ------------------------------------------------------------------ courier priority

_COURIER_OWNED = frozenset({"rank_by", "allowed", "blocked", "max_etd_days", "min_rating"})


def _courier_fields(value: Mapping[str, Any]) -> dict[str, str]:
    ranks = list(value.get("rank_by") or RANK_KEYS)
    fields = {f"rank_{i}": ranks[i - 1] if i <= len(ranks) else "" for i in range(1, len(RANK_KEYS) + 1)}
    fields["allowed"] = ", ".join(str(c) for c in value.get("allowed") or ())
    fields["blocked"] = ", ".join(str(c) for c in value.get("blocked") or ())
    fields["max_etd_days"] = _text(value.get("max_etd_days"))
    fields["min_rating"] = _text(value.get("min_rating"))
    return fields


def _courier_value(fields: Mapping[str, str], stored: Any) -> dict[str, Any]:
    ranks = [fields.get(f"rank_{i}", "").strip() for i in range(1, len(RANK_KEYS) + 1)]
    ranks = [r for r in ranks if r]
    if len(set(ranks)) != len(ranks):
        raise Problem.invalid("value.rank_by", "rank each of cost, ETD and rating at most once")
    value = _kept(stored, _COURIER_OWNED)
    if ranks:
        value["rank_by"] = ranks
    for name in ("allowed", "blocked"):
        if couriers := _words(fields.get(name, "")):
            value[name] = couriers
    days = _whole(fields.get("max_etd_days", ""), "value.max_etd_days", "days", 1)
    if days is not None:
        value["max_etd_days"] = days
    rating = _number(fields.get("min_rating", ""), "value.min_rating")
    if rating is not None:
        value["min_rating"] = rating
    return value


# ------------------------------------------------------------------ status mapping


def status_defaults() -> dict[str, str]:
    """Every status a tenant may map, with the words written when it does not (``shipment_status``'s table):
    forward parcels, a delivered COD order, then customer-return parcels (``RETURN <status>``)."""
    table = {name: status.words for name, status in shipment_status.LIFECYCLE.items()}
    table[shipment_status.COD_DELIVERED] = shipment_status.COD_DELIVERED_WORDS
    for name, status in shipment_status.LIFECYCLE.items():
        table[f"RETURN {name}"] = shipment_status.RETURN_WORDS.get(name) or f"Return {status.words}"
    return table


def _status_name(text: str) -> str:
    return " ".join(text.upper().split())


def _status_fields(value: Mapping[str, Any]) -> dict[str, str]:
    overrides = {_status_name(str(k)): _text(v) for k, v in value.items()}
    defaults = status_defaults()
    names = [*defaults, *sorted(k for k in overrides if k not in defaults)]
    fields: dict[str, str] = {}
    for i, name in enumerate([*names, *[""] * BLANK_ROWS]):
        fields[f"status.{i}"] = name
        fields[f"words.{i}"] = overrides.get(name, "") if name else ""
    return fields


def _status_value(fields: Mapping[str, str]) -> dict[str, str]:
    value: dict[str, str] = {}
    for row, i in enumerate(indices(fields, "status"), start=1):
        name = _status_name(fields.get(f"status.{i}", ""))
        words = fields.get(f"words.{i}", "").strip()
        if not words:
            continue  # the default words apply
        if not name:
            raise Problem.invalid("value", f"row {row}: give the Shiprocket status {words!r} is written for")
        if name in value and value[name] != words:
            raise Problem.invalid(f"value.{name}", "is mapped twice; keep one row for it")
        value[name] = words
    return value


# ------------------------------------------------------------------ warehouse mapping


def _warehouse_fields(value: Mapping[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    rows = [(str(k), v if isinstance(v, Mapping) else {}) for k, v in sorted(value.items())]
    for i, (location, pickup) in enumerate([*rows, *[("", {})] * BLANK_ROWS]):
        fields[f"location.{i}"] = location
        fields[f"pickup.{i}"] = _text(pickup.get("pickup_location"))
        fields[f"pincode.{i}"] = _text(pickup.get("pincode"))
    return fields


def _warehouse_value(fields: Mapping[str, str]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for row, i in enumerate(indices(fields, "location"), start=1):
        location = fields.get(f"location.{i}", "").strip()
        pickup = fields.get(f"pickup.{i}", "").strip()
        pincode = fields.get(f"pincode.{i}", "").strip()
        if not (location or pickup or pincode):
            continue
        if not location:
            raise Problem.invalid("value", f"row {row}: give the Zoho location id this pickup is for")
        if location in value:
            raise Problem.invalid(f"value.{location}", "is listed twice; keep one row for it")
        value[location] = {"pickup_location": pickup, "pincode": pincode}
    return value


# ------------------------------------------------------------------ ShipStation → Books: schedule and currencies

SCHEDULE_DEFAULTS = ShipStationBooks()
_SCHEDULE_OWNED = frozenset(f.name for f in dataclass_fields(ShipStationBooks))
_RATE_LINE = re.compile(r"^\s*([A-Za-z]{3})\s*[=:\s]\s*([^\s]+)\s*$")


def _schedule_fields(value: Mapping[str, Any]) -> dict[str, str]:
    rates = value.get("exchange_rates") or {}
    return {
        "poll_seconds": _text(value.get("poll_seconds")),
        "overlap_seconds": _text(value.get("overlap_seconds")),
        "books_currency": _text(value.get("books_currency")),
        "shipstation_currency": _text(value.get("shipstation_currency")),
        "exchange_rates": "\n".join(f"{k} = {v}" for k, v in rates.items()) if isinstance(rates, Mapping) else "",
        "shipping_expense_account": _text(value.get("shipping_expense_account")),
        "shipping_paid_through_account": _text(value.get("shipping_paid_through_account")),
    }


def _schedule_value(fields: Mapping[str, str], stored: Any) -> dict[str, Any]:
    value = _kept(stored, _SCHEDULE_OWNED)
    for name in ("poll_seconds", "overlap_seconds"):
        seconds = _whole(fields.get(name, ""), f"value.{name}", "seconds", 0)
        if seconds is not None:
            value[name] = seconds
    for name in ("books_currency", "shipstation_currency"):
        if code := fields.get(name, "").strip().upper():
            value[name] = code
    for name in ("shipping_expense_account", "shipping_paid_through_account"):
        if account := fields.get(name, "").strip():
            value[name] = account
    rates: dict[str, str] = {}
    for n, line in enumerate(fields.get("exchange_rates", "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _RATE_LINE.match(line)
        if match is None:
            raise Problem.invalid("value.exchange_rates", f"line {n}: write it as a currency and its rate, USD = 83.50")
        rates[match[1].upper()] = match[2]
    if rates:
        value["exchange_rates"] = rates
    return value


# ------------------------------------------------------------------ alert channel

_EMAIL_FIELDS = ("to", "sender", "host", "port", "starttls", "username")


def _alert_fields(value: Mapping[str, Any]) -> dict[str, str]:
    return {
        "kind": _text(value.get("kind")),
        "to": ", ".join(str(a) for a in value.get("to") or ()),
        "sender": _text(value.get("sender")),
        "host": _text(value.get("host")),
        "port": _text(value.get("port")),
        "starttls": "no" if value.get("starttls") is False else "yes",
        "username": _text(value.get("username")),
        "password": "",  # secrets are never shown: leaving it blank keeps the stored one
        "url": _text(value.get("url")),
        "secret": "",
    }


def stored_secrets(value: Any) -> set[str]:
    """Which secrets the stored alert channel holds (they read back redacted)."""
    if not isinstance(value, Mapping):
        return set()
    return {name for name in ("password", "secret") if value.get(name) is not None}


def _alert_value(fields: Mapping[str, str], stored: Any) -> dict[str, Any] | None:
    kind = fields.get("kind", "").strip()
    if not kind:
        return None  # no alerts
    same_kind = isinstance(stored, Mapping) and stored.get("kind") == kind
    held = stored_secrets(stored) if same_kind else set()
    if kind == "webhook":
        value: dict[str, Any] = {"kind": "webhook", "url": fields.get("url", "").strip()}
        secret = fields.get("secret", "")
        if secret:
            value["secret"] = secret
        elif "secret" in held:
            value["secret"] = REDACTED  # keeps the stored secret
        return value
    if kind != "email":
        return {"kind": kind}  # the core names what is wrong
    value = {"kind": "email", "to": _words(fields.get("to", "")), "sender": fields.get("sender", "").strip()}
    value["host"] = fields.get("host", "").strip()
    port = fields.get("port", "").strip()
    if port:
        if not port.isdigit():
            raise Problem.invalid("value.port", f"{port!r} is not a port number; 587 is the usual one")
        value["port"] = int(port)
    value["starttls"] = fields.get("starttls", "yes") != "no"
    username = fields.get("username", "").strip()
    if username:
        value["username"] = username
        password = fields.get("password", "")
        if password:
            value["password"] = password
        elif "password" in held:
            value["password"] = REDACTED
    return value


# ------------------------------------------------------------------ the dispatch


def to_fields(key: str, value: Any) -> dict[str, str]:
    """The structured form's fields for a stored value (None or anything not an object: the defaults)."""
    current: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    if key == "courier_priority":
        return _courier_fields(current)
    if key == "status_map":
        return _status_fields(current)
    if key == "warehouse_map":
        return _warehouse_fields(current)
    if key == "shipstation_books":
        return _schedule_fields(current)
    if key == "alert_channel":
        return _alert_fields(current)
    return {}


def from_fields(key: str, fields: Mapping[str, str], stored: Any = None) -> dict[str, Any] | None:
    """The value a structured form's posted fields give the key (None: the key is deleted, defaults apply).
    ``stored`` is the value read before (secrets redacted), whose keys the form does not show are kept."""
    value: dict[str, Any] | None
    if key == "courier_priority":
        value = _courier_value(fields, stored)
    elif key == "status_map":
        value = _status_value(fields)
    elif key == "warehouse_map":
        value = _warehouse_value(fields)
    elif key == "shipstation_books":
        value = _schedule_value(fields, stored)
    elif key == "alert_channel":
        value = _alert_value(fields, stored)
    else:
        raise Problem(404, f"{title(key)} has no form; use the JSON editor")
    return value or None


def _row_named(fields: Mapping[str, str], column: str, name: str) -> int | None:
    for i in indices(fields, column):
        if fields.get(f"{column}.{i}", "").strip().upper() == name.upper():
            return i
    return None


def marked(key: str, paths: list[str], fields: Mapping[str, str]) -> set[str]:
    """The form fields the refusal's paths point at (``value.W1.pincode`` → ``pincode.<row of W1>``)."""
    names: set[str] = set()
    for path in paths:
        parts = re.split(r"[.\[]", path.removeprefix("value").lstrip("."), maxsplit=1) if path != "value" else [""]
        head, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        if not head:
            continue
        if key == "warehouse_map":
            row = _row_named(fields, "location", head)
            if row is not None:
                column = {"pincode": "pincode", "pickup_location": "pickup"}.get(rest.strip("]"), "")
                names |= {f"{column}.{row}"} if column else {f"pickup.{row}", f"pincode.{row}"}
        elif key == "status_map":
            row = _row_named(fields, "status", head)
            if row is not None:
                names.add(f"words.{row}")
        elif key == "courier_priority" and head == "rank_by":
            names |= {f"rank_{i}" for i in range(1, len(RANK_KEYS) + 1)}
        elif head in fields:
            names.add(head)
    return names
