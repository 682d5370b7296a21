"""getOrders: reading and validating the query, choosing the orders, cutting pages.

Pure logic: the caller passes the query parameters, "now" from the sandbox clock and the region of
the endpoint that was called; every rule breaks with a 400 InvalidInput naming the parameter.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.datastructures import QueryParams

from sandbox.amazon.errors import GENERIC_INVALID, invalid_input
from sandbox.amazon.formats import ORDER_ID_RE, parse_iso, whole_second
from sandbox.amazon.marketplaces import REGION_OF
from sandbox.amazon.state import EASY_SHIP_STATUSES, STATUSES, Order

MAX_PAGE = 100
MIN_LAG = timedelta(minutes=2)
FULFILLMENT_CHANNELS = ("AFN", "MFN")
PAYMENT_METHODS = ("COD", "CVS", "Other")
EINVOICE_STATUSES = ("NotRequired", "NotFound", "Processing", "Errored", "Accepted")
NOT_WITH_SELLER_ORDER_ID = (
    "FulfillmentChannels",
    "OrderStatuses",
    "PaymentMethods",
    "LastUpdatedAfter",
    "LastUpdatedBefore",
    "BuyerEmail",
)


@dataclass(frozen=True)
class OrderQuery:
    marketplace_ids: tuple[str, ...]
    by_update: bool
    """True when the window is on LastUpdateDate (LastUpdatedAfter), False for PurchaseDate."""
    after: datetime
    before: datetime | None
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    payment_methods: tuple[str, ...] = ()
    easy_ship: tuple[str, ...] = ()
    einvoice: tuple[str, ...] = ()
    buyer_email: str | None = None
    seller_order_id: str | None = None
    order_ids: tuple[str, ...] = ()
    is_ispu: bool | None = None
    supply_source: str | None = None
    store: str | None = None
    delivery: tuple[tuple[str, datetime], ...] = ()
    max_results: int = MAX_PAGE
    next_token: str | None = None

    @property
    def before_name(self) -> str:
        return "LastUpdatedBefore" if self.by_update else "CreatedBefore"

    def fingerprint(self) -> str:
        """The filters (not the page size or token), so a NextToken can only continue the same query."""
        data = {
            "m": sorted(self.marketplace_ids),
            "u": self.by_update,
            "a": self.after.timestamp(),
            "b": self.before.timestamp() if self.before else None,
            "s": sorted(self.statuses),
            "c": sorted(self.channels),
            "p": sorted(self.payment_methods),
            "e": sorted(self.easy_ship),
            "i": sorted(self.einvoice),
            "be": (self.buyer_email or "").lower(),
            "so": self.seller_order_id,
            "o": sorted(self.order_ids),
            "x": [self.is_ispu, self.supply_source, self.store],
            "d": [(k, v.timestamp()) for k, v in self.delivery],
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]

    def key(self, order: Order) -> tuple[float, str]:
        moment = order.last_update if self.by_update else order.purchase_date
        return moment.timestamp(), order.amazon_order_id

    def matches(self, order: Order, upper: datetime) -> bool:
        moment = order.last_update if self.by_update else order.purchase_date
        if not (self.after <= moment <= upper) or order.marketplace_id not in self.marketplace_ids:
            return False
        checks = (
            not self.statuses or order.status in self.statuses,
            not self.channels or order.fulfillment_channel in self.channels,
            not self.payment_methods or order.payment_method in self.payment_methods,
            not self.easy_ship or order.easy_ship_status in self.easy_ship,
            not self.einvoice or "NotRequired" in self.einvoice,
            self.buyer_email is None or order.buyer.email.lower() == self.buyer_email.lower(),
            self.seller_order_id is None or (order.seller_order_id or order.amazon_order_id) == self.seller_order_id,
            not self.order_ids or order.amazon_order_id in self.order_ids,
            not self.is_ispu,
            self.supply_source is None and self.store is None,
        )
        return all(checks) and all(_delivery_ok(order, name, bound) for name, bound in self.delivery)


def _delivery_ok(order: Order, name: str, bound: datetime) -> bool:
    value = order.earliest_delivery if name.startswith("Earliest") else order.latest_delivery
    if value is None:
        return False
    return value <= bound if name.endswith("Before") else value >= bound


def csv(params: QueryParams, name: str) -> tuple[str, ...]:
    """An array parameter: comma-separated (``collectionFormat: csv``) or repeated."""
    values: list[str] = []
    for raw in params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return tuple(dict.fromkeys(values))


def _one_of(params: QueryParams, name: str, allowed: Iterable[str]) -> tuple[str, ...]:
    values = csv(params, name)
    allowed = tuple(allowed)
    for value in values:
        if value not in allowed:
            raise invalid_input(f"{value} is an invalid value for {name}.", f"Allowed values: {', '.join(allowed)}")
    return values


def _date(params: QueryParams, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    parsed = parse_iso(raw)
    if parsed is None:
        raise invalid_input(f"Invalid {name}: timestamp must follow ISO8601.", f"Invalid date-time field(s) [{name}].")
    return parsed


def parse(params: QueryParams, now: datetime, region: str) -> OrderQuery:
    """Validate a getOrders query the way Amazon does (2-minute rule included)."""
    marketplaces = csv(params, "MarketplaceIds")
    if not marketplaces:
        raise invalid_input("Missing required parameter: MarketplaceIds.")
    if len(marketplaces) > 50:
        raise invalid_input("MarketplaceIds accepts at most 50 values.")
    for marketplace in marketplaces:
        home = REGION_OF.get(marketplace)
        if home is None:
            raise invalid_input(f"Invalid MarketplaceIds: {marketplace} is not a valid marketplace identifier.")
        if home != region:
            raise invalid_input(
                f"Invalid MarketplaceIds: {marketplace} is not served by this endpoint.",
                f"Call the {home.upper()} endpoint for this marketplace.",
            )

    created_after, created_before = _date(params, "CreatedAfter"), _date(params, "CreatedBefore")
    updated_after, updated_before = _date(params, "LastUpdatedAfter"), _date(params, "LastUpdatedBefore")
    if created_after is None and updated_after is None:
        raise invalid_input("Either CreatedAfter or LastUpdatedAfter must be specified.")
    if created_after is not None and updated_after is not None:
        raise invalid_input("CreatedAfter and LastUpdatedAfter cannot both be specified.")
    if created_after is not None and updated_before is not None:
        raise invalid_input("LastUpdatedBefore cannot be specified when CreatedAfter is specified.")
    if updated_after is not None and created_before is not None:
        raise invalid_input("CreatedBefore cannot be specified when LastUpdatedAfter is specified.")
    by_update = updated_after is not None
    after = updated_after if by_update else created_after
    before = updated_before if by_update else created_before
    after_name = "LastUpdatedAfter" if by_update else "CreatedAfter"
    before_name = "LastUpdatedBefore" if by_update else "CreatedBefore"
    assert after is not None
    if after > now:
        raise invalid_input(f"{after_name} cannot be in the future.", GENERIC_INVALID)
    if before is not None:
        if before < after:
            raise invalid_input(f"{before_name} must be equal to or after {after_name}.")
        if before > now - MIN_LAG:
            raise invalid_input(f"{before_name} must be at least two minutes before the current time.", GENERIC_INVALID)

    seller_order_id = params.get("SellerOrderId") or None
    if seller_order_id is not None:
        clash = [n for n in NOT_WITH_SELLER_ORDER_ID if params.get(n)]
        if clash:
            raise invalid_input(f"{clash[0]} cannot be specified when SellerOrderId is specified.")

    order_ids = csv(params, "AmazonOrderIds")
    if len(order_ids) > 50:
        raise invalid_input("AmazonOrderIds accepts at most 50 values.")
    for oid in order_ids:
        if not ORDER_ID_RE.match(oid):
            raise invalid_input(f"Invalid AmazonOrderIds: {oid} is not in 3-7-7 format.")

    raw_max = params.get("MaxResultsPerPage")
    max_results = MAX_PAGE
    if raw_max is not None:
        try:
            max_results = int(raw_max)
        except ValueError:
            raise invalid_input("MaxResultsPerPage must be an integer between 1 and 100.") from None
        if not 1 <= max_results <= MAX_PAGE:
            raise invalid_input("MaxResultsPerPage must be an integer between 1 and 100.")

    raw_ispu = params.get("IsISPU")
    is_ispu: bool | None = None
    if raw_ispu is not None:
        if raw_ispu.lower() not in ("true", "false"):
            raise invalid_input("IsISPU must be true or false.")
        is_ispu = raw_ispu.lower() == "true"

    delivery: list[tuple[str, datetime]] = []
    for name in (
        "EarliestDeliveryDateBefore",
        "EarliestDeliveryDateAfter",
        "LatestDeliveryDateBefore",
        "LatestDeliveryDateAfter",
    ):
        bound = _date(params, name)
        if bound is not None:
            delivery.append((name, bound))

    return OrderQuery(
        marketplace_ids=marketplaces,
        by_update=by_update,
        after=after,
        before=before,
        statuses=_one_of(params, "OrderStatuses", STATUSES),
        channels=_one_of(params, "FulfillmentChannels", FULFILLMENT_CHANNELS),
        payment_methods=_one_of(params, "PaymentMethods", PAYMENT_METHODS),
        easy_ship=_one_of(params, "EasyShipShipmentStatuses", EASY_SHIP_STATUSES),
        einvoice=_one_of(params, "ElectronicInvoiceStatuses", EINVOICE_STATUSES),
        buyer_email=params.get("BuyerEmail") or None,
        seller_order_id=seller_order_id,
        order_ids=order_ids,
        is_ispu=is_ispu,
        supply_source=params.get("ActualFulfillmentSupplySourceId") or None,
        store=params.get("StoreChainStoreId") or None,
        delivery=tuple(delivery),
        max_results=max_results,
        next_token=params.get("NextToken") or None,
    )


def upper_bound(query: OrderQuery, now: datetime) -> datetime:
    """The effective *Before of the first page: the one given, or now (whole seconds)."""
    return query.before if query.before is not None else whole_second(now)


def page(
    orders: Iterable[Order], query: OrderQuery, upper: datetime, after_key: tuple[float, str] | None
) -> tuple[list[Order], tuple[float, str] | None]:
    """One page of matching orders, oldest first, and the key to continue after (None on the last page)."""
    chosen = sorted((o for o in orders if query.matches(o, upper)), key=query.key)
    if after_key is not None:
        chosen = [o for o in chosen if query.key(o) > after_key]
    result = chosen[: query.max_results]
    more = len(chosen) > query.max_results
    return result, (query.key(result[-1]) if more and result else None)
