"""Restricted Data Tokens: which resources may be named, and what a token grants for a given call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.amazon.errors import invalid_input
from sandbox.amazon.render import BUYER_INFO, BUYER_TAX_INFORMATION, DATA_ELEMENTS, SHIPPING_ADDRESS

MAX_RESOURCES = 50
_ID = r"(?:\d{3}-\d{7}-\d{7}|\{orderId\})"


@dataclass(frozen=True)
class Kind:
    name: str
    pattern: re.Pattern[str]
    elements: tuple[str, ...]
    """Data elements this resource may ask for; empty means none are needed (the whole resource is PII)."""
    implied: tuple[str, ...] = ()


KINDS: tuple[Kind, ...] = (
    Kind("getOrders", re.compile(r"^/orders/v0/orders$"), DATA_ELEMENTS),
    Kind("getOrder", re.compile(rf"^/orders/v0/orders/{_ID}$"), DATA_ELEMENTS),
    Kind("getOrderItems", re.compile(rf"^/orders/v0/orders/{_ID}/orderItems$"), (BUYER_INFO,)),
    Kind("getOrderAddress", re.compile(rf"^/orders/v0/orders/{_ID}/address$"), (), (SHIPPING_ADDRESS,)),
    Kind("getOrderBuyerInfo", re.compile(rf"^/orders/v0/orders/{_ID}/buyerInfo$"), (), (BUYER_INFO,)),
    Kind(
        "getOrderItemsBuyerInfo",
        re.compile(rf"^/orders/v0/orders/{_ID}/orderItems/buyerInfo$"),
        (),
        (BUYER_INFO,),
    ),
)


@dataclass(frozen=True)
class Resource:
    method: str
    path: str
    elements: frozenset[str]

    def as_data(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "dataElements": sorted(self.elements)}


def _kind(path: str) -> Kind | None:
    return next((k for k in KINDS if k.pattern.match(path)), None)


def parse_request(body: Any) -> list[Resource]:
    """Validate a createRestrictedDataToken body; extra fields are ignored as Amazon does."""
    if not isinstance(body, dict):
        raise invalid_input("The request body must be a JSON object.")
    resources = body.get("restrictedResources")
    if not isinstance(resources, list) or not resources:
        raise invalid_input("Missing required field: restrictedResources.")
    if len(resources) > MAX_RESOURCES:
        raise invalid_input(f"restrictedResources accepts at most {MAX_RESOURCES} resources.")
    parsed = []
    for entry in resources:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not entry.get("method"):
            raise invalid_input("Each restricted resource needs a method and a path.")
        method, path = str(entry["method"]).upper(), entry["path"].rstrip("/") or "/"
        if method not in ("GET", "PUT", "POST", "DELETE"):
            raise invalid_input(f"Invalid method {entry['method']} in restrictedResources.")
        kind = _kind(path)
        if kind is None or method != "GET":
            raise invalid_input(f"{method} {path} is not a restricted resource.")
        elements = entry.get("dataElements") or []
        if not isinstance(elements, list) or not all(isinstance(e, str) for e in elements):
            raise invalid_input("dataElements must be a list of strings.")
        if kind.elements and not elements:
            raise invalid_input(f"dataElements is required for {path}.")
        for element in elements:
            if element not in kind.elements:
                raise invalid_input(f"Invalid dataElements value {element} for {path}.")
        parsed.append(Resource(method, path, frozenset(elements)))
    return parsed


def grants_for(resources: list[dict[str, Any]], method: str, path: str) -> frozenset[str] | None:
    """The data elements an RDT grants for this call, or None when it does not cover the call at all."""
    path = path.rstrip("/")
    for data in resources:
        if data["method"] != method.upper():
            continue
        pattern = re.escape(data["path"]).replace(re.escape("{orderId}"), r"[^/]+")
        if re.fullmatch(pattern, path):
            kind = _kind(data["path"])
            implied = kind.implied if kind else ()
            return frozenset(data["dataElements"]) | frozenset(implied)
    return None


__all__ = ["BUYER_TAX_INFORMATION", "Resource", "grants_for", "parse_request"]
