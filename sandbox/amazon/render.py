"""Orders and order items as Orders v0 JSON, with personal data only where a Restricted Data Token allows.

``grants`` is the set of RDT data elements in force for the call: ``shippingAddress``, ``buyerInfo``,
``buyerTaxInformation``. Without them a shipping address keeps only City, StateOrRegion, PostalCode
and CountryCode, and buyer details are left out.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sandbox.amazon.formats import compact, iso, money
from sandbox.amazon.india import WAREHOUSE
from sandbox.amazon.marketplaces import SALES_CHANNEL
from sandbox.amazon.state import Address, Buyer, Item, Order

SHIPPING_ADDRESS = "shippingAddress"
BUYER_INFO = "buyerInfo"
BUYER_TAX_INFORMATION = "buyerTaxInformation"
DATA_ELEMENTS = (SHIPPING_ADDRESS, BUYER_INFO, BUYER_TAX_INFORMATION)
ZERO = Decimal("0")


def address(addr: Address, full: bool) -> dict[str, Any]:
    if not full:
        return {
            "City": addr.city,
            "StateOrRegion": addr.state,
            "PostalCode": addr.postal_code,
            "CountryCode": addr.country,
        }
    return compact(
        {
            "Name": addr.name,
            "CompanyName": addr.company,
            "AddressLine1": addr.line1,
            "AddressLine2": addr.line2,
            "City": addr.city,
            "StateOrRegion": addr.state,
            "PostalCode": addr.postal_code,
            "CountryCode": addr.country,
            "Phone": addr.phone,
            "AddressType": addr.address_type,
        }
    )


def buyer_info(buyer: Buyer, full: bool, region: str = "") -> dict[str, Any]:
    if not full:
        return {}
    info: dict[str, Any] = {"BuyerEmail": buyer.email, "BuyerName": buyer.name}
    if buyer.business is not None:
        info["BuyerTaxInfo"] = {
            "CompanyLegalName": buyer.business.legal_name,
            "TaxingRegion": region,
            "TaxClassifications": [{"Name": "GSTIN", "Value": buyer.business.gstin}],
        }
        if buyer.business.purchase_order:
            info["PurchaseOrderNumber"] = buyer.business.purchase_order
    return info


def order(o: Order, grants: Collection[str] = ()) -> dict[str, Any]:
    data: dict[str, Any] = {
        "AmazonOrderId": o.amazon_order_id,
        "SellerOrderId": o.seller_order_id or o.amazon_order_id,
        "PurchaseDate": iso(o.purchase_date),
        "LastUpdateDate": iso(o.last_update),
        "OrderStatus": o.status,
        "FulfillmentChannel": o.fulfillment_channel,
        "SalesChannel": SALES_CHANNEL.get(o.marketplace_id, "Amazon.in"),
        "ShipServiceLevel": o.ship_service_level,
    }
    if o.priced:
        data["OrderTotal"] = money(o.total)
    data["NumberOfItemsShipped"] = o.items_shipped
    data["NumberOfItemsUnshipped"] = o.items_unshipped
    if o.priced and o.payment_method == "COD":
        data["PaymentExecutionDetail"] = [{"Payment": money(o.total), "PaymentMethod": "COD"}]
    data["PaymentMethod"] = o.payment_method
    data["PaymentMethodDetails"] = ["CashOnDelivery"] if o.payment_method == "COD" else ["Standard"]
    data["MarketplaceId"] = o.marketplace_id
    data["ShipmentServiceLevelCategory"] = o.service_category
    if o.easy_ship_status is not None:
        data["EasyShipShipmentStatus"] = o.easy_ship_status
    data["OrderType"] = o.order_type
    for key, value in (
        ("EarliestShipDate", o.earliest_ship),
        ("LatestShipDate", o.latest_ship),
        ("EarliestDeliveryDate", o.earliest_delivery),
        ("LatestDeliveryDate", o.latest_delivery),
    ):
        if value is not None:
            data[key] = iso(value)
    data.update(
        {
            "IsBusinessOrder": o.is_business,
            "IsPrime": o.is_prime,
            "IsPremiumOrder": o.is_premium,
            "IsGlobalExpressEnabled": False,
            "IsReplacementOrder": False,
            "IsSoldByAB": False,
            "IsIBA": False,
            "IsISPU": False,
            "IsAccessPointOrder": False,
            "HasRegulatedItems": False,
        }
    )
    if o.fulfillment_channel == "MFN":
        data["DefaultShipFromLocationAddress"] = dict(WAREHOUSE)
        data["AutomatedShippingSettings"] = {"HasAutomatedShippingSettings": False}
    data["BuyerInvoicePreference"] = "BUSINESS" if o.is_business else "INDIVIDUAL"
    if o.buyer.business is not None and BUYER_TAX_INFORMATION in grants:
        data["BuyerTaxInformation"] = {
            "BuyerLegalCompanyName": o.buyer.business.legal_name,
            "BuyerBusinessAddress": o.buyer.business.address,
            "BuyerTaxRegistrationId": o.buyer.business.gstin,
        }
    data["ShippingAddress"] = address(o.address, SHIPPING_ADDRESS in grants)
    data["BuyerInfo"] = buyer_info(o.buyer, BUYER_INFO in grants, o.address.state)
    data["ElectronicInvoiceStatus"] = "NotRequired"
    return data


def item(i: Item, o: Order, grants: Collection[str] = ()) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ASIN": i.asin,
        "SellerSKU": i.sku,
        "OrderItemId": i.order_item_id,
        "Title": i.title,
        "QuantityOrdered": 0 if o.status == "Canceled" else i.quantity,
        "QuantityShipped": i.quantity_shipped,
        "ProductInfo": {"NumberOfItems": "1"},
    }
    if o.priced:
        data.update(
            {
                "ItemPrice": money(i.item_price),
                "ShippingPrice": money(i.shipping_price),
                "ItemTax": money(i.item_tax),
                "ShippingTax": money(i.shipping_tax),
                "ShippingDiscount": money(ZERO),
                "ShippingDiscountTax": money(ZERO),
                "PromotionDiscount": money(i.promotion_discount),
                "PromotionDiscountTax": money(i.promotion_discount_tax),
                "PromotionIds": list(i.promotion_ids),
                "IsGift": "true" if i.is_gift else "false",
            }
        )
        if o.payment_method == "COD":
            data["CODFee"] = money(ZERO)
            data["CODFeeDiscount"] = money(ZERO)
    data.update(
        {
            "ConditionId": "New",
            "ConditionSubtypeId": "New",
            "IsTransparency": False,
            "SerialNumberRequired": False,
            "BuyerRequestedCancel": {"IsBuyerRequestedCancel": "false", "BuyerCancelReason": ""},
        }
    )
    if BUYER_INFO in grants and i.is_gift and o.priced:
        data["BuyerInfo"] = compact({"GiftMessageText": i.gift_message, "GiftWrapLevel": "Classic"})
    return data


def item_buyer_info(i: Item, o: Order, full: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"OrderItemId": i.order_item_id}
    if full and i.is_gift and o.priced:
        data.update(compact({"GiftMessageText": i.gift_message, "GiftWrapLevel": "Classic"}))
    return data


def order_buyer_info(o: Order, full: bool) -> dict[str, Any]:
    return {"AmazonOrderId": o.amazon_order_id, **buyer_info(o.buyer, full, o.address.state)}


def order_address(o: Order, full: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"AmazonOrderId": o.amazon_order_id}
    if full and o.address.company:
        data["BuyerCompanyName"] = o.address.company
    data["ShippingAddress"] = address(o.address, full)
    return data
