"""Personal data and Restricted Data Tokens (Tokens API 2021-03-01) against the Amazon sandbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from test_amazon_support import DENIED, HTTP, error, fresh

from sandbox.amazon.india import gstin_check_digit

LIMITED = {"City", "StateOrRegion", "PostalCode", "CountryCode"}


def test_without_an_rdt_addresses_are_limited_and_buyer_details_absent(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    for order in az.orders().json()["payload"]["Orders"]:
        assert set(order["ShippingAddress"]) == LIMITED
        assert order["BuyerInfo"] == {} and "BuyerTaxInformation" not in order
    oid = az.demo["order_ids"]["business"]
    assert set(az.get(f"/orders/v0/orders/{oid}").json()["payload"]["ShippingAddress"]) == LIMITED
    address = az.get(f"/orders/v0/orders/{oid}/address").json()["payload"]
    assert address["AmazonOrderId"] == oid and set(address["ShippingAddress"]) == LIMITED
    assert az.get(f"/orders/v0/orders/{oid}/buyerInfo").json()["payload"] == {"AmazonOrderId": oid}


def test_rdt_for_get_orders_reveals_only_the_requested_data_elements(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    token = az.rdt("/orders/v0/orders", ["shippingAddress"])
    assert token.startswith("Atz.sprdt|")
    orders = az.orders(token=token).json()["payload"]["Orders"]
    for order in orders:
        assert {"Name", "AddressLine1", "Phone"} <= set(order["ShippingAddress"])
        assert order["BuyerInfo"] == {}
    token = az.rdt("/orders/v0/orders", ["buyerInfo", "shippingAddress", "buyerTaxInformation"])
    for order in az.orders(token=token).json()["payload"]["Orders"]:
        assert order["BuyerInfo"]["BuyerEmail"].endswith("@marketplace.amazon.in") and order["BuyerInfo"]["BuyerName"]


def test_business_order_gstin_needs_the_buyer_tax_information_element(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["business"]
    plain = az.get(f"/orders/v0/orders/{oid}", token=az.rdt("/orders/v0/orders/{orderId}", ["buyerInfo"]))
    assert "BuyerTaxInformation" not in plain.json()["payload"]
    token = az.rdt(f"/orders/v0/orders/{oid}", ["buyerInfo", "buyerTaxInformation"])
    order = az.get(f"/orders/v0/orders/{oid}", token=token).json()["payload"]
    gstin = order["BuyerTaxInformation"]["BuyerTaxRegistrationId"]
    assert len(gstin) == 15 and gstin[13] == "Z" and gstin_check_digit(gstin[:14]) == gstin[14]
    assert order["BuyerInfo"]["BuyerTaxInfo"]["TaxClassifications"] == [{"Name": "GSTIN", "Value": gstin}]
    assert (
        order["BuyerTaxInformation"]["BuyerLegalCompanyName"] == order["BuyerInfo"]["BuyerTaxInfo"]["CompanyLegalName"]
    )


def test_rdt_for_one_order_does_not_open_another_or_other_operations(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    ids = az.demo["order_ids"]
    token = az.rdt(f"/orders/v0/orders/{ids['business']}", ["shippingAddress"])
    assert az.get(f"/orders/v0/orders/{ids['business']}", token=token).status_code == 200
    for path in (f"/orders/v0/orders/{ids['pending']}", f"/orders/v0/orders/{ids['business']}/orderItems"):
        r = az.get(path, token=token)
        assert r.status_code == 403 and r.json() == DENIED
    r = az.post("/tokens/2021-03-01/restrictedDataToken", {"restrictedResources": []}, token=token)
    assert r.status_code == 403


def test_address_and_buyer_info_operations_are_complete_with_their_rdt(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["mfn_cod_easy_ship"]
    address = az.get(f"/orders/v0/orders/{oid}/address", token=az.rdt("/orders/v0/orders/{orderId}/address"))
    assert {"Name", "AddressLine1", "City", "PostalCode", "Phone"} <= set(address.json()["payload"]["ShippingAddress"])
    buyer = az.get(f"/orders/v0/orders/{oid}/buyerInfo", token=az.rdt(f"/orders/v0/orders/{oid}/buyerInfo"))
    assert {"BuyerEmail", "BuyerName"} <= set(buyer.json()["payload"])
    items = az.get(
        f"/orders/v0/orders/{oid}/orderItems/buyerInfo", token=az.rdt(f"/orders/v0/orders/{oid}/orderItems/buyerInfo")
    )
    assert items.status_code == 200 and items.json()["payload"]["AmazonOrderId"] == oid


BAD_RDT_BODIES: list[tuple[str, Any]] = [
    ("no resources", {}),
    ("empty resources", {"restrictedResources": []}),
    ("not a restricted path", {"restrictedResources": [{"method": "GET", "path": "/catalog/v0/items"}]}),
    ("missing data elements", {"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders"}]}),
    (
        "unknown data element",
        {"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders", "dataElements": ["creditCard"]}]},
    ),
    ("bad method", {"restrictedResources": [{"method": "FETCH", "path": "/orders/v0/orders"}]}),
    ("array body", [1, 2]),
]


@pytest.mark.parametrize("body", [b for _, b in BAD_RDT_BODIES], ids=[n for n, _ in BAD_RDT_BODIES])
def test_create_rdt_rejects_bad_requests_with_invalid_input(sandboxes: Any, body: Any) -> None:
    az = fresh(sandboxes)
    r = az.post("/tokens/2021-03-01/restrictedDataToken", body)
    assert r.status_code == 400 and error(r)["code"] == "InvalidInput"
    assert r.headers["x-amzn-RateLimit-Limit"] == "1.0"


def test_create_rdt_ignores_extra_fields_and_answers_without_a_payload_envelope(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    body = {
        "restrictedResources": [{"method": "GET", "path": "/orders/v0/orders", "dataElements": ["buyerInfo"]}],
        "targetApplication": "amzn1.sp.solution.other",
        "MarketplaceIds": ["A21TJRUUN4KGV"],
    }
    r = az.post("/tokens/2021-03-01/restrictedDataToken", body)
    assert r.status_code == 200 and set(r.json()) == {"restrictedDataToken", "expiresIn"}
    assert r.json()["expiresIn"] == 3600


def test_rdt_expires_after_an_hour(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    token = az.rdt("/orders/v0/orders", ["buyerInfo"])
    az.advance(3601)
    r = az.orders(token=token, LastUpdatedAfter=az.ago(days=30))
    assert r.status_code == 403 and r.json() == DENIED


def test_gift_messages_and_promotions_show_on_items_and_gift_text_needs_buyer_info(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    az.admin("/seed", {"orders": 120, "statuses": {"Unshipped": 1}, "seed": 11})
    state = HTTP.get(az.admin_url + "/state", params={"account": az.demo["selling_partner_id"]}).json()
    orders = state["accounts"][az.demo["selling_partner_id"]]["orders"]
    gift = next(o for o in orders if any(i["IsGift"] == "true" for i in o.get("OrderItems", []) if "IsGift" in i))
    promoted = [i for o in orders for i in o["OrderItems"] if i.get("PromotionIds")]
    assert promoted and all(Decimal(i["PromotionDiscount"]["Amount"]) > 0 for i in promoted)
    oid = gift["AmazonOrderId"]
    plain = az.get(f"/orders/v0/orders/{oid}/orderItems").json()["payload"]["OrderItems"]
    assert all("BuyerInfo" not in i for i in plain)
    token = az.rdt(f"/orders/v0/orders/{oid}/orderItems", ["buyerInfo"])
    items = az.get(f"/orders/v0/orders/{oid}/orderItems", token=token).json()["payload"]["OrderItems"]
    assert any(i.get("BuyerInfo", {}).get("GiftMessageText") for i in items if i["IsGift"] == "true")
