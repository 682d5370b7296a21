"""Shiprocket sandbox: adhoc and return orders, their validation, listing, detail, cancellation, pickups."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_shiprocket_support import Shiprocket, order_payload


@pytest.fixture
def sr(sandboxes: Any) -> Shiprocket:
    return Shiprocket(sandboxes.fresh("shiprocket"))


def test_create_adhoc_returns_integer_ids_and_new_status(sr: Shiprocket) -> None:
    r = sr.post("/orders/create/adhoc", order_payload("A-100"))
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body["order_id"], int) and isinstance(body["shipment_id"], int)
    assert body["order_id"] != body["shipment_id"]
    assert {k: body[k] for k in ("status", "status_code", "awb_code", "courier_company_id", "courier_name")} == {
        "status": "NEW",
        "status_code": 1,
        "awb_code": None,
        "courier_company_id": None,
        "courier_name": None,
    }
    assert body["onboarding_completed_now"] == 0


def test_missing_required_fields_are_listed_in_a_422(sr: Shiprocket) -> None:
    r = sr.post("/orders/create/adhoc", {"order_id": "A-1"})
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "Oops! Invalid Data." and body["status_code"] == 422
    errors = body["errors"]
    for field in ("order_date", "pickup_location", "billing_customer_name", "billing_pincode", "sub_total", "weight"):
        assert errors[field] == [f"The {field.replace('_', ' ')} field is required."]
    assert "order_id" not in errors


def test_billing_last_name_must_be_present_even_if_empty(sr: Shiprocket) -> None:
    body = order_payload("A-2")
    del body["billing_last_name"]
    r = sr.post("/orders/create/adhoc", body)
    assert r.status_code == 422 and r.json()["errors"] == {"billing_last_name": ["validation.present"]}
    assert sr.post("/orders/create/adhoc", order_payload("A-2", billing_last_name="")).status_code == 200


def test_field_formats_are_checked(sr: Shiprocket) -> None:
    bad = order_payload(
        "A-3" + "x" * 60,
        billing_pincode="12345",
        billing_email="not-an-email",
        payment_method="Cheque",
        length=0.2,
        billing_city="A very long city name that exceeds thirty",
        order_items=[{"name": "Kurta", "units": 0, "selling_price": "abc"}],
    )
    errors = sr.post("/orders/create/adhoc", bad).json()["errors"]
    assert set(errors) >= {
        "order_id",
        "billing_pincode",
        "billing_email",
        "payment_method",
        "length",
        "billing_city",
        "order_items.0.sku",
        "order_items.0.units",
        "order_items.0.selling_price",
    }
    assert errors["order_items.0.sku"] == ["The order_items.0.sku field is required."]


def test_pickup_location_must_be_an_existing_nickname(sr: Shiprocket) -> None:
    r = sr.post("/orders/create/adhoc", order_payload("A-4", pickup_location="primary"))
    assert r.status_code == 422
    assert "Primary" in r.json()["errors"]["pickup_location"][0]


def test_shipping_fields_are_required_only_when_shipping_is_not_billing(sr: Shiprocket) -> None:
    r = sr.post("/orders/create/adhoc", order_payload("A-5", shipping_is_billing=0))
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {
        "shipping_customer_name",
        "shipping_address",
        "shipping_city",
        "shipping_pincode",
        "shipping_country",
        "shipping_state",
        "shipping_phone",
    }
    shipping = {
        "shipping_customer_name": "Dev",
        "shipping_address": "12 Park Street",
        "shipping_city": "Kolkata",
        "shipping_pincode": "700016",
        "shipping_country": "India",
        "shipping_state": "West Bengal",
        "shipping_phone": "9830012345",
    }
    created = sr.post("/orders/create/adhoc", order_payload("A-5", shipping_is_billing="false", **shipping))
    assert created.status_code == 200
    detail = sr.get(f"/orders/show/{created.json()['order_id']}").json()["data"]
    assert detail["customer_city"] == "Kolkata" and detail["customer_name"] == "Dev"
    assert detail["billing_name"] == "Naina Kapoor" and detail["shipping_is_billing"] == 0


def test_duplicate_and_cancelled_order_ids_are_taken(sr: Shiprocket) -> None:
    first = sr.create(order_id="DUP-1")
    r = sr.post("/orders/create/adhoc", order_payload("DUP-1"))
    assert r.status_code == 422 and r.json()["errors"] == {"order_id": ["The order id has already been taken."]}
    assert sr.post("/orders/cancel", {"ids": [first["order_id"]]}).status_code == 204
    again = sr.post("/orders/create/adhoc", order_payload("DUP-1"))
    assert again.status_code == 422


def test_unknown_channel_id_is_a_400(sr: Shiprocket) -> None:
    r = sr.post("/orders/create/adhoc", order_payload("A-6", channel_id=1))
    assert r.status_code == 400
    assert r.json() == {"message": "Given channel id does not exist", "status_code": 400}
    channel = sr.get("/channels").json()["data"][0]["id"]
    assert sr.post("/orders/create/adhoc", order_payload("A-6", channel_id=channel)).status_code == 200


def test_sub_total_is_taken_as_sent_never_recomputed(sr: Shiprocket) -> None:
    created = sr.create(sub_total=777, shipping_charges=23)
    detail = sr.get(f"/orders/show/{created['order_id']}").json()["data"]
    assert detail["sub_total"] == 777 and detail["net_total"] == "800.00"


def test_order_detail_shape_and_ist_formats(sr: Shiprocket) -> None:
    created = sr.create()
    r = sr.get(f"/orders/show/{created['order_id']}")
    data = r.json()["data"]
    assert data["id"] == created["order_id"] and data["channel_order_id"] == created["channel_order_id"]
    assert data["status"] == "NEW" and data["status_code"] == 1
    assert data["shipments"]["id"] == created["shipment_id"] and data["shipments"]["awb"] is None
    assert re.match(r"^\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} [AP]M$", data["created_at"])
    assert data["order_date"] == "20 Nov 2026"
    assert re.match(r"^\d{1,2}(st|nd|rd|th) [A-Z][a-z]{2} \d{4}", data["shipments"]["created_at"])
    assert data["products"][0]["channel_sku"] == "KUR-1" and data["products"][0]["quantity"] == 2
    assert sr.get("/orders/show/999").json() == {"message": "Order ID not found", "status_code": 400}


def test_order_list_pages_with_meta_pagination(sr: Shiprocket) -> None:
    HTTP_seed = sr.admin_post("/seed", {"orders": 30, "statuses": ["NEW"]})
    assert HTTP_seed.status_code == 200 and HTTP_seed.json()["created"] == 30
    first = sr.get("/orders", per_page=15).json()
    total = first["meta"]["pagination"]["total"]
    assert total >= 40
    seen: list[int] = []
    page = 1
    while True:
        body = sr.get("/orders", per_page=15, page=page).json()
        p = body["meta"]["pagination"]
        assert p["current_page"] == page and p["per_page"] == 15 and p["count"] == len(body["data"])
        seen.extend(o["id"] for o in body["data"])
        if "next" not in p["links"]:
            break
        assert p["links"]["next"].endswith(f"/v1/external/orders?page={page + 1}")
        page += 1
    assert len(seen) == total == len(set(seen)) and page == p["total_pages"]
    assert seen == sorted(seen, reverse=True)
    assert sr.get("/orders", per_page=15, page=page + 5).json()["data"] == []


def test_order_list_filters_by_status_search_and_dates(sr: Shiprocket) -> None:
    new = sr.get("/orders", filter_by="status", filter="NEW", per_page=100).json()["data"]
    assert new and {o["status_code"] for o in new} == {1}
    delivered = sr.get("/orders", filter_by="status", filter="7", per_page=100).json()["data"]
    assert {o["status"] for o in delivered} == {"DELIVERED"}
    found = sr.get("/orders", search="DT-1004").json()["data"]
    assert [o["channel_order_id"] for o in found] == ["DT-1004"]
    assert sr.get("/orders", **{"from": "2001-01-01", "to": "2001-01-02"}).json()["data"] == []
    asc = sr.get("/orders", sort="ASC", per_page=100).json()["data"]
    assert [o["id"] for o in asc] == sorted(o["id"] for o in asc)


def test_cancel_answers_204_and_marks_the_order_canceled(sr: Shiprocket) -> None:
    created = sr.create()
    r = sr.post("/orders/cancel", {"ids": [created["order_id"]]})
    assert r.status_code == 204 and r.content == b""
    data = sr.get(f"/orders/show/{created['order_id']}").json()["data"]
    assert data["status"] == "CANCELED" and data["status_code"] == 5


def test_cancel_input_errors(sr: Shiprocket) -> None:
    r = sr.post("/orders/cancel", {})
    assert r.status_code == 422
    assert r.json() == {
        "message": "Required field missing",
        "errors": {"ids": ["The ids field is required."]},
        "status_code": 422,
    }
    assert sr.post("/orders/cancel", {"ids": [123]}).status_code == 422
    sr.admin_post("/settings", {"php_errors": True}).raise_for_status()
    r = sr.post("/orders/cancel", {"ids": "123"})
    assert r.status_code == 500 and r.json()["message"] == "Invalid argument supplied for foreach()"


def test_cancel_after_pickup_is_refused_with_a_clear_message(sr: Shiprocket) -> None:
    order = sr.shipped()
    assert sr.advance(order["awb"], status="PICKED UP").status_code == 200
    r = sr.post("/orders/cancel", {"ids": [order["order_id"]]})
    assert r.status_code == 400
    assert "already been picked up" in r.json()["message"]


def test_cancel_before_pickup_refunds_the_wallet(sr: Shiprocket) -> None:
    before = sr.get("/account/details/wallet-balance").json()["data"]["balance_amount"]
    order = sr.shipped()
    during = sr.get("/account/details/wallet-balance").json()["data"]["balance_amount"]
    assert float(during) < float(before)
    assert sr.post("/orders/cancel", {"ids": [order["order_id"]]}).status_code == 204
    assert sr.get("/account/details/wallet-balance").json()["data"]["balance_amount"] == before


def test_cancel_shipment_awbs_frees_the_awb_and_reopens_the_order(sr: Shiprocket) -> None:
    order = sr.create()
    awb = sr.assign(order["shipment_id"]).json()["response"]["data"]["awb_code"]
    r = sr.post("/orders/cancel/shipment/awbs", {"awbs": [awb]})
    assert r.status_code == 204
    data = sr.get(f"/orders/show/{order['order_id']}").json()["data"]
    assert data["status"] == "NEW" and data["shipments"]["awb"] is None
    assert sr.get(f"/courier/track/awb/{awb}").json()["tracking_data"]["track_status"] == 0
    assert sr.assign(order["shipment_id"]).json()["awb_assign_status"] == 1


def test_return_order_is_return_pending_21(sr: Shiprocket) -> None:
    body = {
        "order_id": "RET-1",
        "order_date": "2026-11-21",
        "pickup_customer_name": "Aarav",
        "pickup_address": "22 Lajpat Nagar",
        "pickup_city": "New Delhi",
        "pickup_state": "Delhi",
        "pickup_country": "India",
        "pickup_pincode": "110024",
        "pickup_email": "aarav@example.in",
        "pickup_phone": "9810011122",
        "shipping_customer_name": "Demo Traders",
        "shipping_address": "MG Road",
        "shipping_city": "Bengaluru",
        "shipping_state": "Karnataka",
        "shipping_country": "India",
        "shipping_pincode": "560001",
        "shipping_phone": "9900112233",
        "order_items": [{"name": "Wallet", "sku": "WAL-1", "units": 1, "selling_price": 699}],
        "payment_method": "PREPAID",
        "sub_total": 699,
        "length": 10,
        "breadth": 10,
        "height": 5,
        "weight": 0.3,
    }
    r = sr.post("/orders/create/return", body)
    assert r.status_code == 200
    assert r.json()["status"] == "RETURN PENDING" and r.json()["status_code"] == 21
    assert isinstance(r.json()["order_id"], int)
    detail = sr.get(f"/orders/show/{r.json()['order_id']}").json()["data"]
    assert detail["is_return"] == 1 and detail["status_code"] == 21
    assert detail["customer_pincode"] == "560001" and detail["return_pickup_data"]["pin_code"] == "110024"
    dup = sr.post("/orders/create/return", body)
    assert dup.json()["errors"]["order_id"] == ["The order id has already been taken."]
    missing = sr.post("/orders/create/return", {"order_id": "RET-2"}).json()["errors"]
    assert {"pickup_customer_name", "pickup_pincode", "shipping_pincode", "order_items", "sub_total"} <= set(missing)


def test_pickup_locations_list_and_add(sr: Shiprocket) -> None:
    data = sr.get("/settings/company/pickup").json()["data"]
    locations = {p["pickup_location"]: p for p in data["shipping_address"]}
    assert locations["Primary"]["pin_code"] == "560001" and locations["Primary"]["city"] == "Bengaluru"
    assert "Mumbai WH" in locations
    new = {
        "pickup_location": "Delhi Store",
        "name": "Demo Traders",
        "email": "ops@demo-traders.in",
        "phone": "9811122233",
        "address": "Plot 4, Okhla Phase 3",
        "city": "New Delhi",
        "state": "Delhi",
        "country": "India",
        "pin_code": "110020",
    }
    r = sr.post("/settings/company/addpickup", new)
    assert r.status_code == 200 and r.json()["success"] is True
    assert r.json()["address"]["pickup_code"] == "Delhi Store" and r.json()["pickup_id"] == r.json()["address"]["id"]
    assert sr.post("/settings/company/addpickup", new).status_code == 422
    bad = sr.post("/settings/company/addpickup", {**new, "pickup_location": "X", "phone": "12"})
    assert bad.status_code == 422 and bad.json()["message"] == "Not a valid mobile number"
    assert sr.post("/orders/create/adhoc", order_payload("PICK-1", pickup_location="Delhi Store")).status_code == 200


def test_shipments_list_and_detail(sr: Shiprocket) -> None:
    body = sr.get("/shipments", per_page=5).json()
    assert body["meta"]["pagination"]["per_page"] == 5 and len(body["data"]) == 5
    item = body["data"][0]
    assert {"id", "order_id", "awb", "status", "created_at", "channel_id", "payment_method", "products"} <= set(item)
    assert item["created_at"]["timezone"] == "Asia/Kolkata" and item["created_at"]["timezone_type"] == 3
    one = sr.get(f"/shipments/{item['id']}").json()["data"]
    assert one["id"] == item["id"]
    assert sr.get("/shipments/1").json() == {"message": "Invalid shipment id", "status_code": 400}
