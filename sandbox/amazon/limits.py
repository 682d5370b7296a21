"""The SP-API usage plans this simulator enforces, as data, and the token buckets that apply them.

Buckets are kept per selling partner + application + operation, on the sandbox clock, like Amazon's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.kit import Clock, Decision, TokenBucket


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    pattern: str
    rate: float
    burst: int

    @property
    def header(self) -> str:
        """The ``x-amzn-RateLimit-Limit`` value, e.g. ``0.0167`` or ``2.0``."""
        return str(float(self.rate))


_ORDER = r"/orders/v0/orders/[^/]+"

OPERATIONS: tuple[Operation, ...] = (
    Operation("getOrders", "GET", r"/orders/v0/orders", 0.0167, 20),
    Operation("getOrder", "GET", _ORDER, 0.5, 30),
    Operation("getOrderBuyerInfo", "GET", _ORDER + "/buyerInfo", 0.5, 30),
    Operation("getOrderAddress", "GET", _ORDER + "/address", 0.5, 30),
    Operation("getOrderItems", "GET", _ORDER + "/orderItems", 0.5, 30),
    Operation("getOrderItemsBuyerInfo", "GET", _ORDER + "/orderItems/buyerInfo", 0.5, 30),
    Operation("updateShipmentStatus", "POST", _ORDER + "/shipment", 5.0, 15),
    Operation("confirmShipment", "POST", _ORDER + "/shipmentConfirmation", 2.0, 10),
    Operation("getOrderRegulatedInfo", "GET", _ORDER + "/regulatedInfo", 0.5, 30),
    Operation("updateVerificationStatus", "PATCH", _ORDER + "/regulatedInfo", 0.5, 30),
    Operation("createRestrictedDataToken", "POST", r"/tokens/2021-03-01/restrictedDataToken", 1.0, 10),
)
BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}
_MATCHERS = [(op, re.compile("^" + op.pattern + "/?$")) for op in OPERATIONS]


def operation_for(method: str, path: str) -> Operation | None:
    """The operation a request addresses (used to label kit-made errors with the right rate header)."""
    for op, matcher in _MATCHERS:
        if op.method == method.upper() and matcher.match(path):
            return op
    return None


class UsagePlans:
    """One token bucket per operation; the key is the selling partner and the application."""

    def __init__(self, clock: Clock) -> None:
        self._buckets = {op.name: TokenBucket(clock, op.rate, op.burst) for op in OPERATIONS}

    def take(self, operation: str, selling_partner: str, application: str) -> Decision:
        return self._buckets[operation].take(f"{selling_partner}|{application}")

    def reset(self) -> None:
        for bucket in self._buckets.values():
            bucket.reset()
