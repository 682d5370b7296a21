"""Dedup keys for provider webhooks: pure functions from what a delivery says to the key the inbox is unique on.

Providers deliver at least once: they retry on timeouts, replay on request, and send the same state twice
when a merchant saves without changes. The inbox is unique on (tenant, provider, dedup key), so the key
names *the fact* a delivery reports, not the delivery:

    zoho         {"<entity>": {...}}      zoho:<entity>:<id>:<last_modified_time>
                 with an event (query parameter ``event`` or header ``x-zoho-event``, which the merchant
                 may add to the hook)    zoho:<entity>.<event>:<id>:<last_modified_time>
    shiprocket   tracking push           shiprocket:<awb>:<current_status_id or current_status>:<current_timestamp>
                 COD remittance          shiprocket:remittance:<remittance_id>
    shipstation  {"resource_url", "resource_type"}
                                         shipstation:<resource_type>:<resource_url>
    anything else, or a body lacking a field its provider always sends
                                         <provider>:sha256:<hex digest of the raw body>

The last form loses nothing: the event is still stored (byte-identical retries still collapse) and the
worker dead-letters what it cannot read. Every component but the last has ``%`` and ``:`` percent-encoded,
so a key splits back unambiguously (the last one, often a timestamp or a URL, keeps its colons). Keys fit
the column (200 characters): a longer key keeps its head and replaces the tail with the SHA-256 of the
whole key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

MAX_LENGTH = 200
"""The width of ``inbox.dedup_key``."""

ZOHO_EVENT_PARAM = "event"
ZOHO_EVENT_HEADER = "x-zoho-event"

ZOHO_ID_FIELDS = {"shipmentorder": "shipment_id", "purchasereceive": "receive_id", "chart_of_account": "account_id"}
"""Zoho entities whose id field is not ``<entity>_id``."""

KeyFunction = Callable[[bytes, Mapping[str, Any], Mapping[str, str], Sequence[tuple[str, str]]], str | None]
"""(raw body, parsed body, lower-case headers, query parameters) → the key, or None when the body lacks
what the provider always sends."""


def _part(value: Any) -> str | None:
    """A scalar usable in a key (a non-empty string, or an integer: Zoho sends ids as either), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _escape(part: str) -> str:
    return part.replace("%", "%25").replace(":", "%3A")


def join(*parts: str) -> str:
    """``a:b:c`` with every part but the last escaped, cut to ``MAX_LENGTH`` (hashing the tail)."""
    key = ":".join([*(_escape(p) for p in parts[:-1]), parts[-1]])
    return fit(key)


def fit(key: str) -> str:
    """The key itself when it fits the column, else its head followed by ``~`` and the SHA-256 of all of it."""
    if len(key) <= MAX_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: MAX_LENGTH - len(digest) - 1]}~{digest}"


def body_hash(provider: str, body: bytes) -> str:
    return fit(f"{provider}:sha256:{hashlib.sha256(body).hexdigest()}")


def zoho(
    body: bytes, data: Mapping[str, Any], headers: Mapping[str, str], query: Sequence[tuple[str, str]]
) -> str | None:
    """``{"salesorder": {"salesorder_id": ..., "last_modified_time": ...}}`` (any entity, one record)."""
    for entity, record in data.items():
        if not isinstance(record, Mapping):
            continue
        record_id = _part(record.get(ZOHO_ID_FIELDS.get(entity, f"{entity}_id")))
        modified = _part(record.get("last_modified_time"))
        if record_id is None or modified is None:
            continue
        event = next((v for k, v in query if k == ZOHO_EVENT_PARAM and v), None) or headers.get(ZOHO_EVENT_HEADER)
        kind = f"{entity}.{event.strip()}" if event and event.strip() else entity
        return join("zoho", kind, record_id, modified)
    return None


def shiprocket(
    body: bytes, data: Mapping[str, Any], headers: Mapping[str, str], query: Sequence[tuple[str, str]]
) -> str | None:
    """A COD remittance (``remittance_id``) or a tracking push (``awb``, status, ``current_timestamp``)."""
    if "remittance_id" in data:
        remittance = _part(data["remittance_id"])
        return join("shiprocket", "remittance", remittance) if remittance else None
    awb = _part(data.get("awb"))
    status = _part(data.get("current_status_id")) or _part(data.get("current_status"))
    timestamp = _part(data.get("current_timestamp"))
    if awb is None or status is None or timestamp is None:
        return None
    return join("shiprocket", awb, status, timestamp)


def shipstation(
    body: bytes, data: Mapping[str, Any], headers: Mapping[str, str], query: Sequence[tuple[str, str]]
) -> str | None:
    """``{"resource_url": ..., "resource_type": "ORDER_NOTIFY"}``: the batch to fetch is the fact."""
    resource_type = _part(data.get("resource_type"))
    resource_url = _part(data.get("resource_url"))
    if resource_type is None or resource_url is None:
        return None
    return join("shipstation", resource_type, resource_url)


KEYS: dict[str, KeyFunction] = {"zoho": zoho, "shiprocket": shiprocket, "shipstation": shipstation}


def dedup_key(
    provider: str,
    body: bytes,
    data: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    query: Sequence[tuple[str, str]] = (),
) -> str:
    """The inbox key of one delivery of ``provider`` (its name in lower case); never fails."""
    function = KEYS.get(provider)
    key = function(body, data, headers or {}, query) if function else None
    return key if key is not None else body_hash(provider, body)
