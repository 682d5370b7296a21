"""The tenant settings the workers read (``tenant_settings``, one JSON object per key), as data: what each key
holds, the workers' own parser that checks a value, and which of its fields are secrets (pure).

A value is refused with the parser's own words, the key named, and the path inside the value as the field
(``fulfilment.pickup.pincode: ...`` is ``value.pickup.pincode``), so the settings page can point at the field.
Secret fields are write-only: they read back as ``REDACTED``, and a value that leaves ``REDACTED`` in place
keeps the stored secret.

Adding a key the workers read is one ``SettingKey`` here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import InvalidOperation
from typing import Any

from core.errors import FieldViolation, InvalidArgument
from workers.alerts import ChannelInvalid, parse_channel
from workers.flows.settings import SettingInvalid, parse

REDACTED = "<redacted>"
MAX_VALUE = 65_536
"""Characters of JSON a value may have; the largest real one (a warehouse map) is a few kilobytes."""


@dataclass(frozen=True)
class SettingKey:
    key: str
    description: str
    """One line, for the settings page."""
    check: Callable[[Any], object]
    """Raises ``SettingInvalid`` or ``ChannelInvalid`` naming the key and field of a value it cannot use."""
    secrets: frozenset[str] = field(default_factory=frozenset)
    """Fields of the value that are never read back."""


def _flow(key: str) -> Callable[[Any], object]:
    # The flows parse every key at once; each key is read on its own, so one key alone checks that key.
    return lambda value: parse({key: value})


CATALOG: dict[str, SettingKey] = {
    entry.key: entry
    for entry in (
        SettingKey(
            "fulfilment",
            "Which Zoho and Shiprocket connections fulfilment uses, the default pickup, package size per unit "
            "and the payment terms that mean COD",
            _flow("fulfilment"),
        ),
        SettingKey(
            "courier_priority",
            "How couriers are ranked (rank_by: cost, etd, rating), which are allowed or blocked, the longest ETD "
            "and lowest rating accepted",
            _flow("courier_priority"),
        ),
        SettingKey(
            "warehouse_map",
            "Zoho location id → the Shiprocket pickup location and its pin code",
            _flow("warehouse_map"),
        ),
        SettingKey(
            "status_map",
            'Shiprocket status → the words written to cf_shipment_status (overrides the defaults; also "DELIVERED '
            'COD", and "RETURN <status>" for cf_return_status)',
            _flow("status_map"),
        ),
        SettingKey(
            "books",
            "The Zoho Books accounts (by name) COD remittances post through: clearing, courier charges, COD "
            "charges, adjustments",
            _flow("books"),
        ),
        SettingKey(
            "shipstation_books",
            "ShipStation orders → Books invoices: currencies and documented exchange rates, the accounts shipping "
            "costs post to, the poll's interval and overlap",
            _flow("shipstation_books"),
        ),
        SettingKey(
            "alert_channel",
            "Where alerts go: an email over SMTP or a webhook signed with HMAC (the password and secret are never "
            "read back)",
            parse_channel,
            secrets=frozenset({"password", "secret"}),
        ),
    )
}


def _validate(catalog: Mapping[str, SettingKey]) -> None:
    for key, entry in catalog.items():
        if not key.isidentifier() or len(key) > 64:  # tenant_settings.key is VARCHAR(64)
            raise ValueError(f"setting key {key!r}: must be a name of at most 64 characters")
        if not entry.description or "\n" in entry.description:
            raise ValueError(f"setting key {key!r}: needs a one-line description")


_validate(CATALOG)


def known(key: str) -> SettingKey:
    """The key's entry; INVALID_ARGUMENT naming ``key`` and the known keys for any other."""
    entry = CATALOG.get(key)
    if entry is None:
        raise InvalidArgument.one("key", f"{key!r} is not a setting; known: {', '.join(CATALOG)}")
    return entry


def _path(where: str, key: str) -> str:
    """Where a parser says the problem is (``<key>.<path>``), as a path under the request's ``value``."""
    if where == key or where.startswith((f"{key}.", f"{key}[")):
        return "value" + where[len(key) :]
    return "value"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json(entry: SettingKey, text: str) -> Any:
    if len(text) > MAX_VALUE:
        raise InvalidArgument.one("value", f"{entry.key}: at most {MAX_VALUE} characters of JSON, got {len(text)}")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        problem = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except ValueError as exc:  # NaN or Infinity, which PostgreSQL's jsonb cannot hold
        problem = str(exc)
    raise InvalidArgument.one("value", f"{entry.key}: not JSON: {problem}")


def _keep_secrets(entry: SettingKey, value: dict[str, Any], stored: Any) -> list[FieldViolation]:
    """Put the stored secret back wherever the value leaves it redacted; a violation where none is stored."""
    problems = []
    for name in sorted(entry.secrets):
        if value.get(name) != REDACTED:
            continue
        if isinstance(stored, Mapping) and isinstance(stored.get(name), str):
            value[name] = stored[name]
        else:
            problems.append(
                FieldViolation(f"value.{name}", f"{entry.key}.{name}: no secret is stored to keep; give it")
            )
    return problems


def decode(entry: SettingKey, text: str, stored: Any = None) -> dict[str, Any] | None:
    """The value ``text`` gives the key, checked by the key's parser (None: ``text`` is empty, delete the key).
    ``stored`` is the value kept now, whose secrets a redacted value keeps. INVALID_ARGUMENT naming ``value``
    or the path inside it for anything the workers could not use."""
    if not text.strip():
        return None
    value = _json(entry, text)
    if not isinstance(value, dict):
        raise InvalidArgument.one("value", f"{entry.key}: must be a JSON object, not {type(value).__name__}")
    problems = _keep_secrets(entry, value, stored)
    if problems:
        raise InvalidArgument(problems)
    try:
        entry.check(value)
    except ChannelInvalid as exc:
        raise InvalidArgument.one(_path(exc.field, entry.key), str(exc)) from None
    except SettingInvalid as exc:  # its message starts "<key>.<path>: "
        raise InvalidArgument.one(_path(str(exc).partition(": ")[0], entry.key), str(exc)) from None
    except (TypeError, AttributeError, ValueError, InvalidOperation) as exc:
        # A shape the parser does not expect (a list where it reads an object): the workers could not use it.
        raise InvalidArgument.one("value", f"{entry.key}: the workers cannot read this value ({exc})") from None
    return value


def encode(entry: SettingKey, value: Any) -> str:
    """A stored value as JSON text with its secrets redacted ("" when unset)."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        value = {k: REDACTED if k in entry.secrets and v is not None else v for k, v in value.items()}
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def changed_fields(old: Any, new: Any) -> list[str]:
    """The top-level fields whose values differ between two values (names only: values may hold secrets)."""
    before = old if isinstance(old, Mapping) else {}
    after = new if isinstance(new, Mapping) else {}
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
