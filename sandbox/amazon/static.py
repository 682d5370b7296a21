"""Static-sandbox mode (Amazon's ``sandbox.sellingpartnerapi-*`` hosts): canned answers for the
documented ``TEST_CASE_*`` parameter values only; anything else fails as Amazon's sandbox does.

Switched on with ``POST /_sandbox/sandbox {"enabled": true}``; auth and usage plans still apply.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.amazon.errors import error_body

NO_MATCH = error_body("InvalidInput", "Could not match input arguments")
TEST_400 = {"errors": [{"code": "InvalidInput", "message": "Invalid Input"}]}

_SAMPLE_ORDER: dict[str, Any] = {
    "AmazonOrderId": "902-1845936-5435065",
    "PurchaseDate": "1970-01-19T03:58:30Z",
    "LastUpdateDate": "1970-01-19T03:58:32Z",
    "OrderStatus": "Unshipped",
    "FulfillmentChannel": "MFN",
    "SalesChannel": "Amazon.com",
    "ShipServiceLevel": "Std US D2D Dom",
    "OrderTotal": {"CurrencyCode": "USD", "Amount": "11.01"},
    "NumberOfItemsShipped": 0,
    "NumberOfItemsUnshipped": 1,
    "PaymentMethod": "Other",
    "PaymentMethodDetails": ["Standard"],
    "IsReplacementOrder": False,
    "MarketplaceId": "ATVPDKIKX0DER",
    "ShipmentServiceLevelCategory": "Standard",
    "OrderType": "StandardOrder",
    "EarliestShipDate": "1970-01-19T03:59:27Z",
    "LatestShipDate": "1970-01-19T04:05:13Z",
    "EarliestDeliveryDate": "1970-01-19T04:06:39Z",
    "LatestDeliveryDate": "1970-01-19T04:15:17Z",
    "IsBusinessOrder": False,
    "IsPrime": False,
    "IsGlobalExpressEnabled": False,
    "IsPremiumOrder": False,
    "IsSoldByAB": False,
    "IsIBA": False,
    "IsISPU": False,
    "IsAccessPointOrder": False,
    "AutomatedShippingSettings": {"HasAutomatedShippingSettings": False},
    "EasyShipShipmentStatus": "PendingPickUp",
    "ElectronicInvoiceStatus": "NotRequired",
}

_SAMPLE_ITEM: dict[str, Any] = {
    "ASIN": "B00551Q3CS",
    "OrderItemId": "05015851154158",
    "SellerSKU": "NABetaASINB00551Q3CS",
    "Title": "B00551Q3CS [Card Book]",
    "QuantityOrdered": 1,
    "QuantityShipped": 0,
    "ProductInfo": {"NumberOfItems": "1"},
    "ItemPrice": {"CurrencyCode": "USD", "Amount": "10.00"},
    "ItemTax": {"CurrencyCode": "USD", "Amount": "1.01"},
    "PromotionDiscount": {"CurrencyCode": "USD", "Amount": "0.00"},
    "IsGift": "false",
    "ConditionId": "New",
    "ConditionSubtypeId": "New",
    "IsTransparency": False,
    "SerialNumberRequired": False,
}


def _ok(payload: dict[str, Any]) -> Response:
    return JSONResponse({"payload": payload})


def _fail(body: dict[str, Any]) -> Response:
    return JSONResponse(body, status_code=400)


def answer(operation: str, request: Request) -> Response:
    """The canned answer for one call in static-sandbox mode."""
    params = request.query_params
    order_id = request.path_params.get("order_id")
    if operation == "getOrders":
        created = params.get("CreatedAfter")
        if created == "TEST_CASE_400":
            return _fail(TEST_400)
        if created == "TEST_CASE_200" and params.get("MarketplaceIds") == "ATVPDKIKX0DER":
            second = dict(_SAMPLE_ORDER, AmazonOrderId="902-8745147-1934268")
            return _ok({"CreatedBefore": "1.569521782042E9", "Orders": [_SAMPLE_ORDER, second]})
        return _fail(NO_MATCH)
    if operation == "getOrder":
        if order_id == "TEST_CASE_200":
            return _ok(_SAMPLE_ORDER)
        return _fail(TEST_400 if order_id == "TEST_CASE_400" else NO_MATCH)
    if operation == "getOrderItems":
        if order_id == "TEST_CASE_200":
            return _ok({"AmazonOrderId": "902-1845936-5435065", "OrderItems": [_SAMPLE_ITEM]})
        return _fail(TEST_400 if order_id == "TEST_CASE_400" else NO_MATCH)
    return _fail(NO_MATCH)
