"""Outgoing webhooks: which of an organisation's webhooks an event reaches, the body, and the signature.

Signature (Zoho Billing's documented scheme, used here for Inventory/Books too, where Zoho documents
none): when the webhook has a ``secret``, header ``X-Zoho-Webhook-Signature`` carries the lower-case hex
HMAC-SHA256, keyed by the secret, of

    the query parameters sorted by name, each written as name followed by value, with no separators,
    followed by the raw JSON body exactly as sent.

The body is the module's record JSON, e.g. ``{"salesorder": {...}}``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sandbox.zoho.formats import dumps

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"


@dataclass(frozen=True)
class Outgoing:
    url: str
    method: str
    body: bytes
    headers: dict[str, str]
    event: str


def signature(secret: str, params: Iterable[tuple[str, str]], body: bytes) -> str:
    message = "".join(f"{k}{v}" for k, v in sorted(params)).encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def outgoing(hook: dict[str, Any], entity: str, event: str, record: dict[str, Any]) -> Outgoing:
    """The request one webhook sends for one event."""
    body = dumps({entity: record})
    split = urlsplit(hook["url"])
    params = parse_qsl(split.query, keep_blank_values=True) + [
        (p["param_name"], str(p.get("param_value", ""))) for p in hook.get("query_parameters", [])
    ]
    url = split._replace(query=urlencode(params)).geturl()
    headers = {"Content-Type": "application/json;charset=UTF-8", "User-Agent": "Zoho-Webhook"}
    headers.update({h["param_name"]: str(h.get("param_value", "")) for h in hook.get("headers", [])})
    if hook.get("secret"):
        headers[SIGNATURE_HEADER] = signature(str(hook["secret"]), params, body)
    return Outgoing(url, hook.get("method", "POST"), body, headers, f"{entity}.{event}")


def matching(hooks: Iterable[dict[str, Any]], entity: str, event: str) -> list[dict[str, Any]]:
    return [h for h in hooks if h.get("entity") == entity and event in h.get("events", [])]
