"""Orders v0 against the Amazon sandbox: getOrders validation and paging, getOrder, getOrderItems,
status transitions, confirmShipment and the India specifics, over real HTTP."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from test_amazon_support import INDIA, ISO_Z, URL_SAFE, Amazon, error, fresh


def _all_pages(az: Amazon, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every order of a getOrders query, following NextToken with the same filters; and each payload."""
    orders: list[dict[str, Any]] = []
    payloads: list[dict[str, Any]] = []
    token = None
    while True:
        extra = {"NextToken": token} if token else {}
        r = az.orders(**params, **extra)
        assert r.status_code == 200, r.text
        payload = r.json()["payload"]
        payloads.append(payload)
        orders.extend(payload["Orders"])
        token = payload.get("NextToken")
        if token is None:
            return orders, payloads


# ----------------------------------------------------------------------------- region
def test_india_is_served_from_the_eu_endpoint_only(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    assert az.orders().status_code == 200
    for region in ("na", "fe"):
        r = az.get(
            "/orders/v0/orders",
            {"MarketplaceIds": INDIA, "CreatedAfter": az.ago(days=30)},
            base=az.info["endpoints"][region],
        )
        assert r.status_code == 400 and error(r)["code"] == "InvalidInput" and "MarketplaceIds" in error(r)["message"]
        order = az.demo["order_ids"]["business"]
        assert az.get(f"/orders/v0/orders/{order}", base=az.info["endpoints"][region]).status_code == 404


# ----------------------------------------------------------------------------- getOrders validation
BAD_QUERIES: list[tuple[str, dict[str, str], str]] = [
    ("missing marketplace", {"MarketplaceIds": "", "CreatedAfter": "2024-01-01T00:00:00Z"}, "MarketplaceIds"),
    (
        "unknown marketplace",
        {"MarketplaceIds": "XXXXXXXXXXXXX", "CreatedAfter": "2024-01-01T00:00:00Z"},
        "MarketplaceIds",
    ),
    ("no after", {"MarketplaceIds": INDIA}, "CreatedAfter"),
    (
        "both afters",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01T00:00:00Z", "LastUpdatedAfter": "2024-01-01T00:00:00Z"},
        "LastUpdatedAfter",
    ),
    (
        "created with updated-before",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01T00:00:00Z", "LastUpdatedBefore": "2024-01-02T00:00:00Z"},
        "LastUpdatedBefore",
    ),
    (
        "updated with created-before",
        {"MarketplaceIds": INDIA, "LastUpdatedAfter": "2024-01-01T00:00:00Z", "CreatedBefore": "2024-01-02T00:00:00Z"},
        "CreatedBefore",
    ),
    (
        "before earlier than after",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-02T00:00:00Z", "CreatedBefore": "2024-01-01T00:00:00Z"},
        "CreatedBefore",
    ),
    ("not a date", {"MarketplaceIds": INDIA, "CreatedAfter": "yesterday"}, "CreatedAfter"),
    ("future after", {"MarketplaceIds": INDIA, "LastUpdatedAfter": "2999-01-01T00:00:00Z"}, "LastUpdatedAfter"),
    (
        "bad status",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "OrderStatuses": "Unshipped,Delivered"},
        "OrderStatuses",
    ),
    (
        "bad channel",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "FulfillmentChannels": "FBA"},
        "FulfillmentChannels",
    ),
    ("bad payment", {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "PaymentMethods": "UPI"}, "PaymentMethods"),
    (
        "page size 0",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "MaxResultsPerPage": "0"},
        "MaxResultsPerPage",
    ),
    (
        "page size 101",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "MaxResultsPerPage": "101"},
        "MaxResultsPerPage",
    ),
    (
        "page size text",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "MaxResultsPerPage": "ten"},
        "MaxResultsPerPage",
    ),
    (
        "bad order id",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "AmazonOrderIds": "12345"},
        "AmazonOrderIds",
    ),
    (
        "too many order ids",
        {
            "MarketplaceIds": INDIA,
            "CreatedAfter": "2024-01-01",
            "AmazonOrderIds": ",".join(f"403-{i:07d}-0000000" for i in range(51)),
        },
        "AmazonOrderIds",
    ),
    (
        "seller order id with statuses",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "SellerOrderId": "S-1", "OrderStatuses": "Shipped"},
        "OrderStatuses",
    ),
    (
        "seller order id with buyer email",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "SellerOrderId": "S-1", "BuyerEmail": "a@b.in"},
        "BuyerEmail",
    ),
    ("bad IsISPU", {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "IsISPU": "maybe"}, "IsISPU"),
    (
        "bad easy ship status",
        {"MarketplaceIds": INDIA, "CreatedAfter": "2024-01-01", "EasyShipShipmentStatuses": "Flying"},
        "EasyShipShipmentStatuses",
    ),
]


@pytest.mark.parametrize(("params", "names"), [(p, n) for _, p, n in BAD_QUERIES], ids=[c for c, _, _ in BAD_QUERIES])
def test_get_orders_rejects_bad_queries_with_invalid_input_naming_the_parameter(
    sandboxes: Any, params: dict[str, str], names: str
) -> None:
    az = fresh(sandboxes)
    r = az.get("/orders/v0/orders", params)
    assert r.status_code == 400, r.text
    err = error(r)
    assert err["code"] == "InvalidInput" and names in err["message"] + err["details"]
    assert r.headers["x-amzn-RateLimit-Limit"] == "0.0167"


def test_before_must_be_at_least_two_minutes_before_now_on_the_sandbox_clock(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    after = az.ago(days=10)
    r = az.orders(LastUpdatedAfter=after, LastUpdatedBefore=az.ago(seconds=60))
    assert r.status_code == 400 and "two minutes" in error(r)["message"]
    before = az.ago(seconds=180)
    ok = az.orders(LastUpdatedAfter=after, LastUpdatedBefore=before)
    assert ok.status_code == 200 and ok.json()["payload"]["LastUpdatedBefore"] == before


def test_unknown_query_parameters_are_ignored(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = az.orders(marketplaceIds=INDIA, MarketplaceId=INDIA, path="/orders/v0/orders")
    assert r.status_code == 200


# ----------------------------------------------------------------------------- paging
def test_next_token_pages_through_all_orders_with_the_same_filters(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    az.admin("/seed", {"orders": 45, "from": az.ago(days=6), "to": az.ago(hours=1), "seed": 7})
    orders, payloads = _all_pages(az, LastUpdatedAfter=az.ago(days=7), MaxResultsPerPage=20)
    assert len(payloads) == 3 and [len(p["Orders"]) for p in payloads] == [20, 20, 11]
    ids = [o["AmazonOrderId"] for o in orders]
    assert len(set(ids)) == len(ids) == 45 + 6
    assert all(URL_SAFE.match(p["NextToken"]) for p in payloads[:-1]) and "NextToken" not in payloads[-1]
    assert len({p["LastUpdatedBefore"] for p in payloads}) == 1 and ISO_Z.match(payloads[0]["LastUpdatedBefore"])
    stamps = [o["LastUpdateDate"] for o in orders]
    assert stamps == sorted(stamps)


def test_created_after_window_reports_created_before(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = az.orders(CreatedAfter=az.ago(days=30))
    payload = r.json()["payload"]
    assert "CreatedBefore" in payload and "LastUpdatedBefore" not in payload
    assert len(payload["Orders"]) == 6
    narrow = az.orders(CreatedAfter=az.ago(days=3, hours=12), CreatedBefore=az.ago(days=1, hours=12)).json()
    purchased = {o["AmazonOrderId"] for o in narrow["payload"]["Orders"]}
    assert purchased == {
        az.demo["order_ids"]["mfn_cod_easy_ship"],
        az.demo["order_ids"]["afn_prime"],
        az.demo["order_ids"]["business"],
    }


def test_next_token_with_other_filters_or_altered_is_invalid_input(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    after = az.ago(days=30)
    token = az.orders(LastUpdatedAfter=after, MaxResultsPerPage=2).json()["payload"]["NextToken"]
    r = az.orders(LastUpdatedAfter=after, MaxResultsPerPage=2, NextToken=token, OrderStatuses="Shipped")
    assert r.status_code == 400 and "NextToken" in error(r)["message"]
    r = az.orders(LastUpdatedAfter=after, NextToken=token[:-3] + "AAA")
    assert r.status_code == 400 and "NextToken" in error(r)["message"]
    assert az.orders(LastUpdatedAfter=after, MaxResultsPerPage=2, NextToken=token).status_code == 200


def test_orders_updated_between_pages_do_not_shift_the_pages(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    after = az.ago(days=30)
    first = az.orders(LastUpdatedAfter=after, MaxResultsPerPage=3).json()["payload"]
    az.advance(60)
    az.admin(f"/orders/{az.demo['order_ids']['pending']}/status", {"status": "Unshipped"})
    rest = az.orders(LastUpdatedAfter=after, MaxResultsPerPage=3, NextToken=first["NextToken"]).json()["payload"]
    seen = [o["AmazonOrderId"] for o in first["Orders"] + rest["Orders"]]
    assert len(seen) == len(set(seen)) == 5  # the pending order moved past the window's upper bound
    later = az.orders(LastUpdatedAfter=rest["LastUpdatedBefore"]).json()["payload"]["Orders"]
    assert [o["AmazonOrderId"] for o in later] == [az.demo["order_ids"]["pending"]]


# ----------------------------------------------------------------------------- filters
def test_get_orders_filters_by_status_channel_payment_and_ids(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    ids = az.demo["order_ids"]

    def found(**params: str) -> set[str]:
        r = az.orders(**params)
        assert r.status_code == 200, r.text
        return {o["AmazonOrderId"] for o in r.json()["payload"]["Orders"]}

    assert found(OrderStatuses="Pending") == {ids["pending"]}
    assert found(FulfillmentChannels="AFN") == {ids["afn_prime"]}
    assert found(PaymentMethods="COD") == {ids["mfn_cod_easy_ship"], ids["canceled"]}
    assert found(OrderStatuses="Unshipped,PartiallyShipped") == {ids["mfn_cod_easy_ship"], ids["business"]}
    assert found(EasyShipShipmentStatuses="PendingPickUp,PendingSchedule") == {ids["mfn_cod_easy_ship"]}
    assert found(AmazonOrderIds=f"{ids['business']},{ids['pending']}") == {ids["business"], ids["pending"]}
    assert found(CreatedAfter=az.ago(days=30), SellerOrderId=ids["afn_prime"]) == {ids["afn_prime"]}


def test_buyer_email_filter_matches_the_anonymised_marketplace_address(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    order = az.demo["order_ids"]["mfn_cod_easy_ship"]
    token = az.rdt(f"/orders/v0/orders/{order}/buyerInfo")
    email = az.get(f"/orders/v0/orders/{order}/buyerInfo", token=token).json()["payload"]["BuyerEmail"]
    assert email.endswith("@marketplace.amazon.in")
    r = az.orders(BuyerEmail=email.upper())
    assert [o["AmazonOrderId"] for o in r.json()["payload"]["Orders"]] == [order]


# ----------------------------------------------------------------------------- getOrder / items
def test_get_order_returns_the_order_and_unknown_ids_are_404(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["mfn_cod_easy_ship"]
    r = az.get(f"/orders/v0/orders/{oid}")
    assert r.status_code == 200 and r.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert r.json()["payload"]["AmazonOrderId"] == oid
    missing = az.get("/orders/v0/orders/403-0000000-0000000")
    assert missing.status_code == 404 and error(missing)["code"] == "NotFound"
    malformed = az.get("/orders/v0/orders/12345")
    assert malformed.status_code == 400 and error(malformed)["code"] == "InvalidInput"
    assert az.get(f"/orders/v0/orders/{oid}/orderItems").json()["payload"]["AmazonOrderId"] == oid
    assert az.get("/orders/v0/orders/403-0000000-0000000/orderItems").status_code == 404


def test_india_orders_carry_amazon_in_specifics(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    ids = az.demo["order_ids"]

    def order(key: str) -> dict[str, Any]:
        payload: dict[str, Any] = az.get(f"/orders/v0/orders/{ids[key]}").json()["payload"]
        return payload

    cod = order("mfn_cod_easy_ship")
    assert cod["PaymentMethod"] == "COD" and cod["PaymentMethodDetails"] == ["CashOnDelivery"]
    assert cod["PaymentExecutionDetail"][0]["PaymentMethod"] == "COD"
    assert cod["PaymentExecutionDetail"][0]["Payment"] == cod["OrderTotal"]
    assert cod["FulfillmentChannel"] == "MFN" and cod["EasyShipShipmentStatus"] in ("PendingSchedule", "PendingPickUp")
    assert cod["SalesChannel"] == "Amazon.in" and cod["MarketplaceId"] == INDIA
    afn = order("afn_prime")
    assert afn["FulfillmentChannel"] == "AFN" and afn["IsPrime"] is True and "EasyShipShipmentStatus" not in afn
    business = order("business")
    assert business["IsBusinessOrder"] is True and business["BuyerInvoicePreference"] == "BUSINESS"
    prepaid = order("mfn_prepaid_shipped")
    assert prepaid["PaymentMethod"] == "Other" and prepaid["OrderStatus"] == "Shipped"
    assert prepaid["NumberOfItemsUnshipped"] == 0 and prepaid["NumberOfItemsShipped"] >= 1
    for o in (cod, afn, business, prepaid):
        assert re.fullmatch(r"40\d-\d{7}-\d{7}", o["AmazonOrderId"])
        assert ISO_Z.match(o["PurchaseDate"]) and ISO_Z.match(o["LastUpdateDate"])
        assert o["ShippingAddress"]["CountryCode"] == "IN" and re.fullmatch(
            r"[1-8]\d{5}", o["ShippingAddress"]["PostalCode"]
        )
        assert o["OrderTotal"]["CurrencyCode"] == "INR" and re.fullmatch(r"\d+\.\d{2}", o["OrderTotal"]["Amount"])


def test_items_carry_gst_inclusive_prices_and_item_tax_as_string_money(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["business"]
    order = az.get(f"/orders/v0/orders/{oid}").json()["payload"]
    items = az.get(f"/orders/v0/orders/{oid}/orderItems").json()["payload"]["OrderItems"]
    total = Decimal("0")
    for item in items:
        assert {"ASIN", "OrderItemId", "QuantityOrdered", "SellerSKU", "Title"} <= set(item)
        price, tax = Decimal(item["ItemPrice"]["Amount"]), Decimal(item["ItemTax"]["Amount"])
        assert isinstance(item["ItemPrice"]["Amount"], str) and item["ItemTax"]["CurrencyCode"] == "INR"
        assert Decimal("0") < tax < price and item["IsGift"] in ("true", "false")
        total += price + Decimal(item["ShippingPrice"]["Amount"]) - Decimal(item["PromotionDiscount"]["Amount"])
    assert Decimal(order["OrderTotal"]["Amount"]) == total


def test_pending_order_has_no_total_and_items_without_prices(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["pending"]
    order = az.get(f"/orders/v0/orders/{oid}").json()["payload"]
    assert order["OrderStatus"] == "Pending" and "OrderTotal" not in order
    for item in az.get(f"/orders/v0/orders/{oid}/orderItems").json()["payload"]["OrderItems"]:
        assert not {"ItemPrice", "ItemTax", "ShippingPrice", "PromotionDiscount", "IsGift"} & set(item)


def test_large_order_items_page_with_next_token(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    seeded = az.admin("/seed", {"orders": 1, "items_per_order": 150, "statuses": {"Unshipped": 1}})
    oid = seeded["order_ids"][0]
    first = az.get(f"/orders/v0/orders/{oid}/orderItems").json()["payload"]
    assert len(first["OrderItems"]) == 100 and URL_SAFE.match(first["NextToken"])
    second = az.get(f"/orders/v0/orders/{oid}/orderItems", {"NextToken": first["NextToken"]}).json()["payload"]
    assert len(second["OrderItems"]) == 50 and "NextToken" not in second
    ids = {i["OrderItemId"] for i in first["OrderItems"] + second["OrderItems"]}
    assert len(ids) == 150
    other = az.demo["order_ids"]["business"]
    r = az.get(f"/orders/v0/orders/{other}/orderItems", {"NextToken": first["NextToken"]})
    assert r.status_code == 400 and "NextToken" in error(r)["message"]


# ----------------------------------------------------------------------------- transitions
def test_every_status_transition_moves_last_update_date(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["pending"]
    stamps = [az.get(f"/orders/v0/orders/{oid}").json()["payload"]["LastUpdateDate"]]
    for status in ("Unshipped", "Shipped"):
        az.advance(600)
        result = az.admin(f"/orders/{oid}/status", {"status": status})
        assert result["order"]["OrderStatus"] == status
        order = az.get(f"/orders/v0/orders/{oid}").json()["payload"]
        stamps.append(order["LastUpdateDate"])
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert order["OrderTotal"]["Amount"] and order["NumberOfItemsUnshipped"] == 0
    az.advance(180)
    recent = az.orders(LastUpdatedAfter=stamps[-1]).json()["payload"]["Orders"]
    assert [o["AmazonOrderId"] for o in recent] == [oid]


def test_admin_refuses_impossible_transitions_unless_forced(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["canceled"]
    r = httpx.post(f"{az.admin_url}/orders/{oid}/status", json={"status": "Shipped"})
    assert r.status_code == 409
    r = httpx.post(f"{az.admin_url}/orders/{oid}/status", json={"status": "Teleported"})
    assert r.status_code == 400
    assert az.admin(f"/orders/{oid}/status", {"status": "Shipped", "force": True})["order"]["OrderStatus"] == "Shipped"


# ----------------------------------------------------------------------------- confirmShipment
def _package(item_id: str, quantity: int, ref: str = "1") -> dict[str, Any]:
    return {
        "marketplaceId": INDIA,
        "packageDetail": {
            "packageReferenceId": ref,
            "carrierCode": "Delhivery",
            "trackingNumber": "2345678901234",
            "shipDate": "2024-05-01T10:20:30Z",
            "orderItems": [{"orderItemId": item_id, "quantity": quantity}],
        },
    }


def test_confirm_shipment_moves_an_mfn_order_to_partially_shipped_then_shipped(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["business"]
    items = az.get(f"/orders/v0/orders/{oid}/orderItems").json()["payload"]["OrderItems"]
    assert len(items) == 2
    before = az.get(f"/orders/v0/orders/{oid}").json()["payload"]["LastUpdateDate"]
    az.advance(60)
    first = az.post(
        f"/orders/v0/orders/{oid}/shipmentConfirmation", _package(items[0]["OrderItemId"], items[0]["QuantityOrdered"])
    )
    assert first.status_code == 204 and first.content == b"" and first.headers["x-amzn-RateLimit-Limit"] == "2.0"
    order = az.get(f"/orders/v0/orders/{oid}").json()["payload"]
    assert order["OrderStatus"] == "PartiallyShipped" and order["LastUpdateDate"] > before
    second = az.post(
        f"/orders/v0/orders/{oid}/shipmentConfirmation",
        _package(items[1]["OrderItemId"], items[1]["QuantityOrdered"], ref="2"),
    )
    assert second.status_code == 204
    assert az.get(f"/orders/v0/orders/{oid}").json()["payload"]["OrderStatus"] == "Shipped"


def test_confirm_shipment_refuses_afn_pending_and_bad_bodies(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    ids = az.demo["order_ids"]

    def first_item(oid: str) -> str:
        item_id: str = az.get(f"/orders/v0/orders/{oid}/orderItems").json()["payload"]["OrderItems"][0]["OrderItemId"]
        return item_id

    for key in ("afn_prime", "pending", "canceled"):
        oid = ids[key]
        r = az.post(f"/orders/v0/orders/{oid}/shipmentConfirmation", _package(first_item(oid), 1))
        assert r.status_code == 400 and error(r)["code"] == "InvalidInput", key
    oid = ids["mfn_cod_easy_ship"]
    item = first_item(oid)
    bad = _package(item, 1)
    bad["packageDetail"]["shipDate"] = "02/21/2022"
    assert "shipDate" in error(az.post(f"/orders/v0/orders/{oid}/shipmentConfirmation", bad))["message"]
    bad = _package(item, 1)
    del bad["packageDetail"]["trackingNumber"]
    assert "trackingNumber" in error(az.post(f"/orders/v0/orders/{oid}/shipmentConfirmation", bad))["message"]
    bad = _package(item, 1)
    bad["marketplaceId"] = "ATVPDKIKX0DER"
    assert "marketplaceId" in error(az.post(f"/orders/v0/orders/{oid}/shipmentConfirmation", bad))["message"]
    assert "orderItemId" in error(az.post(f"/orders/v0/orders/{oid}/shipmentConfirmation", _package("1", 1)))["message"]
    assert "quantity" in error(az.post(f"/orders/v0/orders/{oid}/shipmentConfirmation", _package(item, 99)))["message"]
    r = az.post("/orders/v0/orders/403-0000000-0000000/shipmentConfirmation", _package(item, 1))
    assert r.status_code == 404


# ----------------------------------------------------------------------------- ISPU and regulated orders
def test_update_shipment_status_is_refused_for_orders_that_are_not_in_store_pickup(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    path = f"/orders/v0/orders/{az.demo['order_ids']['business']}/shipment"
    r = az.post(path, {"marketplaceId": "1", "shipmentStatus": "ReadyForPickup"})
    assert r.status_code == 400 and error(r) == {
        "code": "InvalidInput",
        "message": "Marketplace ID is not defined",
        "details": "1001",
    }
    assert "shipmentStatus" in error(az.post(path, {"marketplaceId": INDIA, "shipmentStatus": "Lost"}))["message"]
    r = az.post(path, {"marketplaceId": INDIA, "shipmentStatus": "ReadyForPickup"})
    assert r.status_code == 400 and "ISPU" in error(r)["message"] and r.headers["x-amzn-RateLimit-Limit"] == "5.0"


def test_regulated_info_operations_answer_that_the_order_has_no_regulated_items(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    path = f"/orders/v0/orders/{az.demo['order_ids']['business']}/regulatedInfo"
    r = az.get(path)
    assert r.status_code == 400 and "regulated" in error(r)["message"]
    patch = httpx.patch(
        az.base + path,
        json={"regulatedOrderVerificationStatus": {"status": "Rejected", "externalReviewerId": "rev-1"}},
        headers={"x-amz-access-token": az.token},
    )
    assert patch.status_code == 400 and error(patch)["message"] == "Missing request parameter: rejectionReasonId."


def test_easy_ship_progress_from_the_admin_moves_last_update_and_filters(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["mfn_cod_easy_ship"]
    az.advance(300)
    order = az.admin(f"/orders/{oid}/status", {"status": "Shipped", "easy_ship_status": "OutForDelivery"})["order"]
    assert order["EasyShipShipmentStatus"] == "OutForDelivery" and order["OrderStatus"] == "Shipped"
    az.advance(180)
    r = az.orders(EasyShipShipmentStatuses="OutForDelivery", LastUpdatedAfter=az.ago(seconds=600))
    assert [o["AmazonOrderId"] for o in r.json()["payload"]["Orders"]] == [oid]


def test_several_eu_marketplaces_may_be_asked_together(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = az.orders(MarketplaceIds=f"{INDIA},A1PA6795UKMFR9")
    assert r.status_code == 200 and len(r.json()["payload"]["Orders"]) == 6
    only_de = az.orders(MarketplaceIds="A1PA6795UKMFR9")
    assert only_de.status_code == 200 and only_de.json()["payload"]["Orders"] == []


def test_polling_from_the_previous_upper_bound_misses_no_update(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    first = az.orders(LastUpdatedAfter=az.ago(days=30)).json()["payload"]
    watermark = first["LastUpdatedBefore"]
    az.advance(600)
    pending = az.demo["order_ids"]["pending"]
    az.admin(f"/orders/{pending}/status", {"status": "Unshipped"})
    new = az.admin("/seed", {"orders": 3, "from": az.ago(minutes=8), "to": az.ago(minutes=1)})["order_ids"]
    az.advance(1)
    second = az.orders(LastUpdatedAfter=watermark).json()["payload"]
    assert {o["AmazonOrderId"] for o in second["Orders"]} == {pending, *new}
    assert second["LastUpdatedBefore"] > watermark
