"""confirmShipment: validate the package details and move the order to (Partially)Shipped."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from sandbox.amazon.errors import invalid_input
from sandbox.amazon.formats import parse_iso
from sandbox.amazon.state import Order, Package

REQUIRED_PACKAGE_FIELDS = ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems")
ISPU_STATUSES = ("ReadyForPickup", "PickedUp", "RefusedPickup")
VERIFICATION_STATUSES = ("Approved", "Rejected")


def _text(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise invalid_input(f"Missing or invalid required field: {where}{name}.")
    return value


def parse_package(body: Any, order: Order) -> Package:
    """The package a confirmShipment body describes, checked against the order."""
    if not isinstance(body, dict):
        raise invalid_input("The request body must be a JSON object.")
    marketplace = _text(body, "marketplaceId", "")
    if marketplace != order.marketplace_id:
        raise invalid_input(f"Invalid marketplaceId: {marketplace} does not match the order's marketplace.")
    method = body.get("codCollectionMethod")
    if method is not None and method != "DirectPayment":
        raise invalid_input("Invalid codCollectionMethod: the only accepted value is DirectPayment.")
    detail = body.get("packageDetail")
    if not isinstance(detail, dict):
        raise invalid_input("Missing or invalid required field: packageDetail.")
    for name in REQUIRED_PACKAGE_FIELDS:
        if name not in detail:
            raise invalid_input(f"Missing required field: packageDetail.{name}.")
    reference = _text(detail, "packageReferenceId", "packageDetail.")
    if not reference.isdigit() or int(reference) <= 0:
        raise invalid_input("Invalid packageDetail.packageReferenceId: only positive numeric values are supported.")
    ship_date = parse_iso(_text(detail, "shipDate", "packageDetail."))
    if ship_date is None:
        raise invalid_input("Invalid packageDetail.shipDate: timestamp must follow ISO8601.")
    lines = detail["orderItems"]
    if not isinstance(lines, list) or not lines:
        raise invalid_input("Missing or invalid required field: packageDetail.orderItems.")
    quantities: dict[str, int] = {}
    for line in lines:
        if not isinstance(line, dict) or not isinstance(line.get("orderItemId"), str):
            raise invalid_input("Each packageDetail.orderItems entry needs an orderItemId.")
        qty = line.get("quantity")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise invalid_input("Invalid packageDetail.orderItems.quantity: must be a positive integer.")
        quantities[line["orderItemId"]] = quantities.get(line["orderItemId"], 0) + qty
    return Package(
        reference_id=reference,
        carrier_code=_text(detail, "carrierCode", "packageDetail."),
        tracking_number=_text(detail, "trackingNumber", "packageDetail."),
        ship_date=ship_date,
        items=quantities,
        carrier_name=detail.get("carrierName") if isinstance(detail.get("carrierName"), str) else None,
        shipping_method=detail.get("shippingMethod") if isinstance(detail.get("shippingMethod"), str) else None,
    )


def confirm(order: Order, package: Package, now: datetime) -> None:
    """Record the package; the order becomes Shipped when every unit has shipped, else PartiallyShipped."""
    if order.fulfillment_channel != "MFN":
        raise invalid_input("Shipment confirmation is only possible for seller-fulfilled (MFN) orders.")
    if order.status not in ("Unshipped", "PartiallyShipped"):
        raise invalid_input(f"The order is {order.status} and its shipment cannot be confirmed.")
    if any(p.reference_id == package.reference_id for p in order.packages):
        raise invalid_input(f"Package {package.reference_id} was already confirmed for this order.")
    items = {i.order_item_id: i for i in order.items}
    for item_id, qty in package.items.items():
        item = items.get(item_id)
        if item is None:
            raise invalid_input(f"Invalid orderItemId: {item_id} is not an item of this order.")
        if qty > item.quantity - item.quantity_shipped:
            raise invalid_input(f"Invalid quantity for orderItemId {item_id}: more than the unshipped quantity.")
    for item_id, qty in package.items.items():
        items[item_id].quantity_shipped += qty
    order.packages.append(package)
    done = all(i.quantity_shipped >= i.quantity for i in order.items)
    order.move_to("Shipped" if done else "PartiallyShipped", now)


def update_status(body: Any, order: Order) -> NoReturn:
    """updateShipmentStatus is for In-Store Pickup orders; Amazon.in orders here are never ISPU."""
    if not isinstance(body, dict):
        raise invalid_input("The request body must be a JSON object.")
    marketplace = body.get("marketplaceId")
    if not isinstance(marketplace, str) or not marketplace:
        raise invalid_input("Missing required field: marketplaceId.")
    if marketplace != order.marketplace_id:
        raise invalid_input("Marketplace ID is not defined", "1001")
    status = body.get("shipmentStatus")
    if status not in ISPU_STATUSES:
        raise invalid_input(f"Invalid shipmentStatus: use one of {', '.join(ISPU_STATUSES)}.")
    raise invalid_input("The shipment status can only be updated for In-Store Pickup (ISPU) orders.")


def regulated_info(order: Order) -> NoReturn:
    """getOrderRegulatedInfo: none of these orders carries regulated items."""
    raise invalid_input(f"Order {order.amazon_order_id} has no regulated items.")


def update_verification(body: Any, order: Order) -> NoReturn:
    if not isinstance(body, dict) or not isinstance(body.get("regulatedOrderVerificationStatus"), dict):
        raise invalid_input("Missing request parameter: regulatedOrderVerificationStatus.")
    update = body["regulatedOrderVerificationStatus"]
    if update.get("status") not in VERIFICATION_STATUSES:
        raise invalid_input(f"Invalid status: use one of {', '.join(VERIFICATION_STATUSES)}.")
    if not update.get("externalReviewerId"):
        raise invalid_input("Missing request parameter: externalReviewerId.")
    if update["status"] == "Rejected" and not update.get("rejectionReasonId"):
        raise invalid_input("Missing request parameter: rejectionReasonId.")
    regulated_info(order)
