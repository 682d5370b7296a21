"""Shiprocket tracking statuses as data (pure): the name a webhook's status resolves to, the words written to the
sales order, where the status stands in the shipment's lifecycle and what it sets off.

    status_of(body)   a webhook body → the canonical status name ("IN TRANSIT"), or None
    words_for(...)    the words for cf_shipment_status (or, for a return parcel, cf_return_status)
    rank_of_words()   the words on the order → how far along it is (None when the words are not ours)
    decide(...)       forward (write it) or stale (keep it in the journal only): never backwards

Ranks only grow. A status that ranks at or below where the order stands is stale. Terminal statuses share
the top rank, so nothing moves an order on once it is delivered, back at origin or cancelled; a lost parcel
(90) can still turn up delivered. Statuses that can repeat (out for delivery → undelivered → out for delivery)
are one record per status, so the order shows the furthest of them.

A tenant overrides the words in ``status_map``: ``"<STATUS>"`` for the sales order, ``"DELIVERED COD"`` for a
delivered cash-on-delivery order, ``"RETURN <STATUS>"`` for a customer-return parcel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    DISPATCH = "dispatch"
    """The parcel left the warehouse: package + shipment in Inventory (stock out) and the Books invoice."""
    DELIVER = "deliver"
    """Delivered: the Inventory shipment marked delivered; prepaid → paid, COD → awaiting remittance."""
    ALERT_RTO = "alert_rto"
    CLAIM = "claim"
    """Lost or damaged: a courier claim to file (alert) and its reference kept."""
    RESTOCK_RTO = "restock_rto"
    """Back at origin: the shipped quantities restocked, the invoice credited (the COD will never come)."""


@dataclass(frozen=True)
class Status:
    name: str
    rank: int
    words: str
    actions: tuple[Action, ...] = ()


_OUT = (Action.DISPATCH,)

LIFECYCLE: dict[str, Status] = {
    s.name: s
    for s in (
        Status("AWB ASSIGNED", 10, "AWB Assigned"),
        Status("PICKUP SCHEDULED", 20, "Pickup Scheduled"),
        Status("MANIFEST GENERATED", 21, "Manifest Generated"),
        Status("PICKUP RESCHEDULED", 22, "Pickup Rescheduled"),
        Status("OUT FOR PICKUP", 23, "Out for Pickup"),
        Status("PICKUP EXCEPTION", 24, "Pickup Exception"),
        Status("PICKED UP", 30, "Picked Up", _OUT),
        Status("SHIPPED", 31, "Shipped", _OUT),
        Status("IN TRANSIT", 40, "In Transit", _OUT),
        Status("DELAYED", 41, "Delayed", _OUT),
        Status("MISROUTED", 42, "Misrouted", _OUT),
        Status("REACHED AT DESTINATION HUB", 50, "Reached Destination Hub", _OUT),
        Status("OUT FOR DELIVERY", 60, "Out for Delivery", _OUT),
        Status("UNDELIVERED", 61, "Undelivered", _OUT),
        Status("RTO INITIATED", 70, "RTO Initiated", (Action.ALERT_RTO,)),
        Status("RTO IN TRANSIT", 71, "RTO In Transit"),
        Status("RTO NDR", 72, "RTO Undelivered"),
        Status("RTO OFD", 73, "RTO Out for Delivery"),
        Status("LOST", 90, "Lost in Transit", (Action.CLAIM,)),
        Status("DAMAGED", 90, "Damaged in Transit", (Action.CLAIM,)),
        Status("DELIVERED", 100, "Delivered", (Action.DISPATCH, Action.DELIVER)),
        Status("RTO DELIVERED", 100, "Returned", (Action.RESTOCK_RTO,)),
        Status("CANCELLED", 100, "Cancelled"),
    )
}
"""Forward parcels, the seed's table plus the other events Shiprocket sends."""

COD_DELIVERED = "DELIVERED COD"
COD_DELIVERED_WORDS = "Delivered - Awaiting Remittance"

RETURN_WORDS: dict[str, str] = {
    "PICKUP SCHEDULED": "Return Pickup Scheduled",
    "DELIVERED": "Return Received - Awaiting QC",
    "CANCELLED": "Return Cancelled",
}
"""A customer-return parcel's words where ``"Return " + forward words`` would not say it."""

RETURN_ACTIONS: dict[str, tuple[Action, ...]] = {"LOST": (Action.CLAIM,), "DAMAGED": (Action.CLAIM,)}
"""A return parcel sets off only these: its stock comes back once the merchant passes QC (flow "returns")."""

RETURN_REQUESTED = "Return Requested"
RETURN_PICKUP_SCHEDULED = RETURN_WORDS["PICKUP SCHEDULED"]
QC_PASSED = "QC Passed"
QC_FAILED = "QC Failed"
RETURN_RESTOCKED = "Returned to Stock"

RETURN_STAGES: dict[str, int] = {RETURN_REQUESTED: 1, QC_PASSED: 110, QC_FAILED: 110, RETURN_RESTOCKED: 120}
"""cf_return_status words set by the merchant or the returns flow, not by a tracking event."""

_ALIASES: dict[str, str] = {
    "PICKUP GENERATED": "PICKUP SCHEDULED",
    "PICKUP SCHEDULED/GENERATED": "PICKUP SCHEDULED",
    "PICKUP QUEUED": "PICKUP SCHEDULED",
    "PICKUP QUEUE": "PICKUP SCHEDULED",
    "PICKUP ERROR": "PICKUP EXCEPTION",
    "REACHED DESTINATION HUB": "REACHED AT DESTINATION HUB",
    "REACHED AT DESTINATION": "REACHED AT DESTINATION HUB",
    "DELIVERY DELAYED": "DELAYED",
    "CANCELED": "CANCELLED",
    "RTO UNDELIVERED": "RTO NDR",
    "RTO OUT FOR DELIVERY": "RTO OFD",
}

SHIPMENT_STATUS_IDS: dict[int, str] = {
    1: "AWB ASSIGNED",
    3: "PICKUP SCHEDULED",
    5: "MANIFEST GENERATED",
    6: "SHIPPED",
    7: "DELIVERED",
    8: "CANCELLED",
    9: "RTO INITIATED",
    10: "RTO DELIVERED",
    12: "LOST",
    15: "PICKUP RESCHEDULED",
    17: "OUT FOR DELIVERY",
    18: "IN TRANSIT",
    19: "OUT FOR PICKUP",
    20: "PICKUP EXCEPTION",
    21: "UNDELIVERED",
    22: "DELAYED",
    25: "DAMAGED",
    38: "REACHED AT DESTINATION HUB",
    39: "MISROUTED",
    40: "RTO NDR",
    41: "RTO OFD",
    42: "PICKED UP",
    46: "RTO IN TRANSIT",
}
"""Shiprocket's *shipment* numbering (webhook ``shipment_status_id``), for a body whose names are missing or
odd. The *order* numbering (``current_status_id``) reuses ids across statuses and is never read."""


def normalise(name: str) -> str:
    """``"rto_in-transit "`` → ``"RTO IN TRANSIT"``; a return order's ``"RETURN PICKED UP"`` → ``"PICKED UP"``."""
    words = " ".join(name.upper().replace("_", " ").replace("-", " ").split())
    words = _ALIASES.get(words, words)
    rest = _ALIASES.get(words.removeprefix("RETURN "), words.removeprefix("RETURN "))
    return rest if words.startswith("RETURN ") and rest in LIFECYCLE else words


def status_of(body: Mapping[str, Any]) -> str | None:
    """The status a tracking push reports: a name we know, else the shipment id's, else the name as sent."""
    names = [normalise(str(body[k])) for k in ("current_status", "shipment_status") if body.get(k)]
    for name in names:
        if name in LIFECYCLE:
            return name
    try:
        by_id = SHIPMENT_STATUS_IDS.get(int(str(body.get("shipment_status_id"))))
    except ValueError:
        by_id = None
    return by_id or (names[0] if names else None)


def words_for(status: Status, status_map: Mapping[str, str], *, cod: bool = False, is_return: bool = False) -> str:
    if is_return:
        return status_map.get(f"RETURN {status.name}") or RETURN_WORDS.get(status.name) or f"Return {status.words}"
    if cod and status.name == "DELIVERED":
        return status_map.get(COD_DELIVERED) or COD_DELIVERED_WORDS
    return status_map.get(status.name) or status.words


def actions_of(status: Status, *, is_return: bool) -> tuple[Action, ...]:
    return RETURN_ACTIONS.get(status.name, ()) if is_return else status.actions


def _ranks(status_map: Mapping[str, str], is_return: bool) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for status in LIFECYCLE.values():  # ascending, so words shared by two statuses take the higher rank
        variants = [words_for(status, status_map, is_return=is_return)]
        if not is_return and status.name == "DELIVERED":
            variants.append(words_for(status, status_map, cod=True))
        for words in variants:
            ranks[words.casefold()] = max(status.rank, ranks.get(words.casefold(), 0))
    if is_return:
        ranks.update({words.casefold(): rank for words, rank in RETURN_STAGES.items()})
    return ranks


def rank_of_words(words: str | None, status_map: Mapping[str, str], *, is_return: bool = False) -> int | None:
    """How far along an order is by the words on it; None for words this table did not write."""
    if not words:
        return None
    return _ranks(status_map, is_return).get(words.strip().casefold())


@dataclass(frozen=True)
class Decision:
    forward: bool
    why: str


def decide(
    status: Status,
    words: str,
    current_words: str | None,
    current_rank: int | None,
    floor: tuple[int, str] | None = None,
    *,
    retrying: bool = False,
) -> Decision:
    """Write ``words`` only when the status ranks above where the order stands: its current words' rank, or
    ``floor`` (the furthest status this flow already decided for the parcel). ``retrying``: this status was
    decided forward by an earlier attempt that may have written it already, so its own rank is not stale."""
    standing, at = 0, current_words or "nothing"
    if current_rank is not None:
        standing = current_rank
    if floor is not None and floor[0] > standing:
        standing, at = floor
    if status.rank > standing or (retrying and status.rank == standing):
        return Decision(True, f"{at} → {words}")
    return Decision(False, f"stale: {words} after {at}")
