"""ShipStation V1 facts as data: enums, sort keys, marketplaces, carriers, webhook resource URLs."""

from __future__ import annotations

ORDER_STATUSES: tuple[str, ...] = (
    "awaiting_payment",
    "awaiting_shipment",
    "pending_fulfillment",
    "shipped",
    "on_hold",
    "cancelled",
    "rejected_fulfillment",
)
OPEN_STATUSES: frozenset[str] = frozenset({"awaiting_payment", "awaiting_shipment", "on_hold", "pending_fulfillment"})
"""Only open orders may be updated through ``createorder`` [doc: "Orders in the cancelled and shipped states
may not be updated"]."""

CONFIRMATIONS: tuple[str, ...] = ("none", "delivery", "signature", "adult_signature", "direct_signature")
WEIGHT_UNITS: dict[str, int] = {"ounces": 1, "pounds": 2, "grams": 3}
"""``units`` → the numeric ``WeightUnits`` the API echoes beside it [unverified numbering]."""
DIMENSION_UNITS: tuple[str, ...] = ("inches", "centimeters")
ADDRESS_NOT_VALIDATED = "Address not yet validated"
ADDRESS_VALIDATED = "Address validated successfully"

ORDER_SORT: dict[str, str] = {"orderdate": "orderDate", "modifydate": "modifyDate", "createdate": "createDate"}
SHIPMENT_SORT: dict[str, str] = {"shipdate": "shipDate", "createdate": "createDate"}
CUSTOMER_SORT: dict[str, str] = {"name": "name", "modifydate": "modifyDate", "createdate": "createDate"}
SORT_DIRS: tuple[str, ...] = ("ASC", "DESC")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
"""``pageSize`` above 500 is clamped to 500 (documented sandbox choice); below 1 is refused."""
MAX_BULK_ORDERS = 100

RATE_LIMIT = 40
RATE_WINDOW_SECONDS = 60.0

WEBHOOK_EVENTS: tuple[str, ...] = (
    "ORDER_NOTIFY",
    "ITEM_ORDER_NOTIFY",
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_REJECTED",
)
ORDER_EVENTS: tuple[str, ...] = ("ORDER_NOTIFY", "ITEM_ORDER_NOTIFY")
SHIP_EVENTS: tuple[str, ...] = ("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY", "FULFILLMENT_SHIPPED")

RESOURCE_PATHS: dict[str, str] = {
    # event → resource_url path and query on this simulator's base URL ({batch} is the batch key)
    "ORDER_NOTIFY": "/orders?importBatch={batch}",
    "ITEM_ORDER_NOTIFY": "/orders?importBatch={batch}",
    "FULFILLMENT_REJECTED": "/orders?importBatch={batch}",
    "SHIP_NOTIFY": "/shipments?batchId={batch}&includeShipmentItems=False",
    "ITEM_SHIP_NOTIFY": "/shipments?batchId={batch}&includeShipmentItems=True",
    "FULFILLMENT_SHIPPED": "/shipments?batchId={batch}&includeShipmentItems=False",
}
"""ORDER_NOTIFY and SHIP_NOTIFY shapes are seen in public receivers [client]; the ITEM_*/FULFILLMENT_* queries
are [unverified] and point at the same resources."""

MARKETPLACES: dict[int, str] = {
    0: "ShipStation",
    2: "Amazon",
    3: "eBay",
    26: "Shopify",
    33: "WooCommerce",
    36: "Etsy",
    47: "Magento 2",
}
"""marketplaceId → marketplaceName [unverified ids]."""

CARRIERS: dict[str, tuple[str, ...]] = {
    "stamps_com": ("usps_first_class_mail", "usps_priority_mail", "usps_ground_advantage"),
    "ups": ("ups_ground", "ups_2nd_day_air", "ups_next_day_air"),
    "fedex": ("fedex_ground", "fedex_home_delivery", "fedex_2day"),
}
TRACKING_PREFIX: dict[str, str] = {"stamps_com": "9400", "ups": "1Z", "fedex": "7"}
