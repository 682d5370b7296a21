"""Shiprocket sandbox: order updates, address and pickup changes, NDR actions, return list, wallet statement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from test_shiprocket_support import HTTP, Shiprocket, order_payload

ADDRESS = {
    "shipping_customer_name": "Sneha",
    "shipping_phone": "9830066677",
    "shipping_address": "45, Salt Lake Sector V",
    "shipping_city": "Kolkata",
    "shipping_state": "West Bengal",
    "shipping_country": "India",
    "shipping_pincode": "700091",
}


@pytest.fixture
def sr(sandboxes: Any) -> Shiprocket:
    return Shiprocket(sandboxes.fresh("shiprocket"))


def _patch(sr: Shiprocket, path: str, body: Any) -> Any:
    return HTTP.patch(sr.base + path, json=body, headers=sr.headers)


def test_update_adhoc_changes_items_before_awb_only(sr: Shiprocket) -> None:
    order = sr.create(order_id="UPD-1")
    items = [{"name": "Kurta", "sku": "KUR-1", "units": 3, "selling_price": "450"}]
    r = sr.post("/orders/update/adhoc", order_payload("UPD-1", order_items=items, sub_total=1350, weight=1.1))
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and body["order_id"] == order["order_id"] and body["partially_update"] is True
    assert "billing_city" in body["not_updated_fields"]
    detail = sr.get(f"/orders/show/{order['order_id']}").json()["data"]
    assert detail["products"][0]["quantity"] == 3 and detail["sub_total"] == 1350
    sr.assign(order["shipment_id"])
    late = sr.post("/orders/update/adhoc", order_payload("UPD-1"))
    assert late.status_code == 400
    unknown = sr.post("/orders/update/adhoc", order_payload("NOPE-1"))
    assert unknown.json()["errors"] == {"order_id": ["The selected order id is invalid."]}


def test_address_update_is_202_and_moves_the_delivery_pin(sr: Shiprocket) -> None:
    order = sr.create()
    r = sr.post("/orders/address/update", {"order_id": order["order_id"], **ADDRESS})
    assert r.status_code == 202
    detail = sr.get(f"/orders/show/{order['order_id']}").json()["data"]
    assert detail["customer_pincode"] == "700091" and detail["customer_city"] == "Kolkata"
    bad = sr.post("/orders/address/update", {"order_id": 1, **ADDRESS})
    assert bad.status_code == 422 and bad.json()["errors"] == {"order_id": ["The selected order id is invalid."]}
    missing = sr.post("/orders/address/update", {"order_id": order["order_id"]})
    assert "shipping_country" in missing.json()["errors"]


def test_pickup_location_change(sr: Shiprocket) -> None:
    order = sr.create()
    r = _patch(sr, "/orders/address/pickup", {"order_id": [order["order_id"]], "pickup_location": "Mumbai WH"})
    assert r.status_code == 200 and r.json() == {"message": "Pickup location Updated"}
    assert sr.get(f"/orders/show/{order['order_id']}").json()["data"]["pickup_location"] == "Mumbai WH"
    r = _patch(sr, "/orders/address/pickup", {"order_id": [order["order_id"]], "pickup_location": "Nowhere"})
    assert r.status_code == 400 and r.json() == {"message": "Pickup Code does not exist", "status_code": 400}
    r = _patch(sr, "/orders/address/pickup", {"order_id": [1], "pickup_location": "Primary"})
    assert r.json() == {"message": "Order Id does not exists", "status_code": 400}


def test_ndr_queue_and_actions(sr: Shiprocket) -> None:
    order = sr.shipped(payment_method="COD")
    sr.advance(order["awb"], path="undelivered").raise_for_status()
    queue = sr.get("/ndr/all").json()
    entry = next(e for e in queue["data"] if e["awb_code"] == order["awb"])
    assert entry["status"] == "UNDELIVERED" and entry["status_code"] == 36 and entry["attempts"] == 1
    assert entry["history"][0]["ndr_attempt"] == 1 and entry["reason"]
    one = sr.get(f"/ndr/{order['awb']}").json()["data"]
    assert one[0]["shipment_id"] == order["shipment_id"]
    bad = sr.post(f"/ndr/{order['awb']}/action", {"action": "teleport", "comments": "x"})
    assert bad.status_code == 422 and "action" in bad.json()["errors"]
    again = sr.post(f"/ndr/{order['awb']}/action", {"action": "re-attempt", "comments": "Call before delivery"})
    assert again.status_code == 202 and again.json() == {"status": "Data Updated Sucessfully"}
    back = sr.post(f"/ndr/{order['awb']}/action", {"action": "return", "comments": "Customer refused"})
    assert back.status_code == 202
    tracking = sr.get(f"/courier/track/awb/{order['awb']}").json()["tracking_data"]
    assert tracking["shipment_status"] == 9
    assert all(e["awb_code"] != order["awb"] for e in sr.get("/ndr/all").json()["data"])
    assert sr.post(f"/ndr/{order['awb']}/action", {"action": "return", "comments": "x"}).status_code == 400


def test_return_orders_list(sr: Shiprocket) -> None:
    body = sr.get("/orders/processing/return").json()
    assert body["meta"]["pagination"]["total"] >= 1
    item = body["data"][0]
    assert item["status"] == "RETURN PENDING" and item["status_code"] == 21 and item["shipments"][0]["awb"] == ""


def test_statement_records_every_wallet_movement(sr: Shiprocket) -> None:
    order = sr.shipped()
    sr.advance(order["awb"], path="rto").raise_for_status()
    entries = sr.get("/account/details/statement", per_page=100).json()["data"]
    mine = [e for e in entries if e["awb_code"] == order["awb"]]
    assert [e["description"] for e in mine] == ["RTO freight charges", "Freight charges (Shadowfax Surface)"]
    assert all(e["action"] == "Debit" and Decimal(e["debit_amount"]) > 0 for e in mine)
    balance = Decimal(sr.get("/account/details/wallet-balance").json()["data"]["balance_amount"])
    assert Decimal(entries[0]["balance_amount"]) == balance
    previous = Decimal(entries[2]["balance_amount"])
    assert previous - sum(Decimal(e["debit_amount"]) for e in mine) == balance
