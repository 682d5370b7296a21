"""Shiprocket sandbox: serviceability pricing, AWB assignment, pickup, label/manifest and tracking."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_shiprocket_support import HTTP, Shiprocket

SHADOWFAX = 33  # the sandbox's cheapest courier, which takes no COD
COURIER_FIELDS = (
    "courier_company_id", "courier_name", "rate", "freight_charge", "cod_charges", "cod", "blocked", "etd",
    "etd_hours", "estimated_delivery_days", "rating", "is_surface", "mode", "min_weight", "charge_weight", "zone",
    "city", "state", "postcode", "cutoff_time", "others", "rto_charges", "coverage_charges", "other_charges",
    "cod_multiplier", "delivery_performance", "pickup_performance", "rto_performance", "tracking_performance",
    "realtime_tracking", "pod_available", "qc_courier", "is_hyperlocal", "id", "edd",
)  # fmt: skip


@pytest.fixture
def sr(sandboxes: Any) -> Shiprocket:
    return Shiprocket(sandboxes.fresh("shiprocket"))


def _quote(sr: Shiprocket, **params: Any) -> dict[str, Any]:
    query = {"pickup_postcode": "560001", "delivery_postcode": "110024", "weight": "0.5", "cod": 0, **params}
    r = sr.get("/courier/serviceability/", **query)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _rates(body: dict[str, Any]) -> dict[int, float]:
    return {c["courier_company_id"]: c["rate"] for c in body["data"]["available_courier_companies"]}


def test_serviceability_lists_couriers_with_shiprockets_fields(sr: Shiprocket) -> None:
    body = _quote(sr)
    assert body["status"] == 200 and body["currency"] == "INR"
    for key in ("covid_zones", "company_auto_shipment_insurance_setting", "eligible_for_insurance", "seller_address"):
        assert key in body
    assert "insurace_opted_at_order_creation" in body and "user_insurance_manadatory" in body
    data = body["data"]
    assert data["recommended_by"] == {"id": 6, "title": "Recommendation By Shiprocket"}
    assert data["recommended_courier_company_id"] == data["shiprocket_recommended_courier_id"]
    courier = data["available_courier_companies"][0]
    for key in COURIER_FIELDS:
        assert key in courier, key
    assert isinstance(courier["estimated_delivery_days"], str) and courier["estimated_delivery_days"].isdigit()
    assert re.match(r"^[A-Z][a-z]{2} \d{2}, \d{4}$", courier["etd"])
    assert courier["zone"] == "z_c" and courier["city"] == "New Delhi"


def test_prices_depend_on_zone_weight_and_cod(sr: Shiprocket) -> None:
    local = _rates(_quote(sr, delivery_postcode="560038"))
    metro = _rates(_quote(sr))
    far = _rates(_quote(sr, delivery_postcode="781005"))
    heavy = _rates(_quote(sr, weight="2.3"))
    cod = _quote(sr, cod=1, declared_value=5000)
    for cid in local:
        assert local[cid] < metro[cid] < heavy[cid]
    assert all(far[cid] > metro[cid] for cid in far)
    cod_rates = _rates(cod)
    cod_couriers = {c["courier_company_id"]: c for c in cod["data"]["available_courier_companies"]}
    for cid, entry in cod_couriers.items():
        if entry["cod"]:
            assert entry["cod_charges"] > 0 and cod_rates[cid] == metro[cid] + entry["cod_charges"]
    zones = {c["zone"] for c in _quote(sr, delivery_postcode="781005")["data"]["available_courier_companies"]}
    assert zones == {"z_e"}


def test_cod_never_recommends_a_courier_without_cod(sr: Shiprocket) -> None:
    prepaid = _quote(sr)["data"]
    assert prepaid["recommended_courier_company_id"] == SHADOWFAX
    cod = _quote(sr, cod=1)["data"]
    by_id = {c["courier_company_id"]: c for c in cod["available_courier_companies"]}
    assert by_id[SHADOWFAX]["cod"] == 0
    assert by_id[cod["recommended_courier_company_id"]]["cod"] == 1


def test_blocked_couriers_and_unserviceable_pins(sr: Shiprocket) -> None:
    body = _quote(sr, delivery_postcode="781005")
    blocked = body["data"]["blocked_courier_companies"]
    assert blocked and blocked[0]["postcode"] == "781005" and blocked[0]["block_reason"]
    ids = {c["courier_company_id"] for c in body["data"]["available_courier_companies"]}
    assert blocked[0]["courier_company_id"] not in ids
    r = sr.get("/courier/serviceability/", pickup_postcode="560001", delivery_postcode="744301", weight=1, cod=0)
    assert r.status_code == 404 and r.json()["status"] == 404 and r.json()["message"]


def test_serviceability_input_rules(sr: Shiprocket) -> None:
    r = sr.get("/courier/serviceability/", pickup_postcode="560001", delivery_postcode="110024")
    assert r.status_code == 422 and set(r.json()["errors"]) == {"weight", "cod", "order_id"}
    r = sr.get("/courier/serviceability/", pickup_postcode="5600", delivery_postcode="110024", weight=1, cod=0)
    assert r.status_code == 422 and "pickup_postcode" in r.json()["errors"]
    r = sr.get("/courier/serviceability/", pickup_postcode="560001", delivery_postcode="110024", order_id=1)
    assert r.status_code == 200 and r.json() == {"status": 404, "message": "Order does not exist!"}
    order = sr.create(payment_method="COD")
    by_order = sr.get(
        "/courier/serviceability/", pickup_postcode="560001", delivery_postcode="110024", order_id=order["order_id"]
    ).json()
    recommended = by_order["data"]["recommended_courier_company_id"]
    entry = next(c for c in by_order["data"]["available_courier_companies"] if c["courier_company_id"] == recommended)
    assert entry["cod"] == 1 and entry["cod_charges"] > 0


def test_assign_awb_uses_the_recommended_courier_by_default(sr: Shiprocket) -> None:
    order = sr.create()
    r = sr.assign(order["shipment_id"])
    assert r.status_code == 200
    body = r.json()
    assert body["awb_assign_status"] == 1
    data = body["response"]["data"]
    assert data["courier_company_id"] == SHADOWFAX and data["shipment_id"] == order["shipment_id"]
    assert data["order_id"] == order["order_id"] and isinstance(data["awb_code"], str) and data["awb_code"]
    assert data["assigned_date_time"]["timezone"] == "Asia/Kolkata"
    assert data["shipped_by"]["shipper_postcode"] == "560001"
    detail = sr.get(f"/orders/show/{order['order_id']}").json()["data"]
    assert detail["status"] == "READY TO SHIP" and detail["shipments"]["awb"] == data["awb_code"]


def test_assign_awb_errors(sr: Shiprocket) -> None:
    r = sr.post("/courier/assign/awb", {})
    assert r.status_code == 422 and r.json()["message"] == "Required field missing"
    assert "shipment_id" in r.json()["errors"]
    cod = sr.create(payment_method="COD")
    r = sr.assign(cod["shipment_id"], courier_id=SHADOWFAX)
    assert r.status_code == 200 and r.json()["awb_assign_status"] == 0
    far = sr.create(billing_pincode="781005", billing_city="Guwahati", billing_state="Assam")
    assert sr.assign(far["shipment_id"], courier_id=217).json()["awb_assign_status"] == 0
    assert sr.assign(far["shipment_id"], courier_id=43).json()["awb_assign_status"] == 1
    r = sr.assign(far["shipment_id"], courier_id=24)
    assert r.status_code == 400
    assert r.json() == {"message": "Oops! Cannot reassign courier for this shipment.", "status_code": 400}


def test_reassign_is_allowed_once_per_24_hours_of_sandbox_time(sr: Shiprocket) -> None:
    order = sr.create()
    first = sr.assign(order["shipment_id"]).json()["response"]["data"]["awb_code"]
    second = sr.assign(order["shipment_id"], courier_id=43, status="reassign").json()
    assert second["awb_assign_status"] == 1 and second["response"]["data"]["awb_code"] != first
    assert sr.assign(order["shipment_id"], courier_id=24, status="reassign").status_code == 400
    HTTP.post(f"{sr.admin}/clock", json={"advance_seconds": 24 * 3600 + 1}).raise_for_status()
    sr.token = sr.login()
    third = sr.assign(order["shipment_id"], courier_id=24, status="reassign").json()
    assert third["awb_assign_status"] == 1 and third["response"]["data"]["courier_company_id"] == 24


def test_pickup_needs_an_array_of_one_shipment_with_an_awb(sr: Shiprocket) -> None:
    order = sr.create()
    r = sr.post("/courier/generate/pickup", {"shipment_id": order["shipment_id"]})
    assert r.status_code == 422 and r.json()["errors"]["shipment_id"] == ["The shipment id must be an array."]
    r = sr.post("/courier/generate/pickup", {"shipment_id": [order["shipment_id"]]})
    assert r.status_code == 400 and r.json() == {"message": "Awb not Assigned"}
    r = sr.post("/courier/generate/pickup", {"shipment_id": [1]})
    assert r.status_code == 400 and r.json() == {"message": "Invalid shipment id", "status_code": 400}
    awb = sr.assign(order["shipment_id"]).json()["response"]["data"]["awb_code"]
    r = sr.post("/courier/generate/pickup", {"shipment_id": [order["shipment_id"]]})
    assert r.status_code == 200
    body = r.json()
    assert body["pickup_status"] == 1 and body["response"]["status"] == 3
    assert awb in body["response"]["data"] and body["response"]["pickup_token_number"]
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", body["response"]["pickup_scheduled_date"])
    again = sr.post("/courier/generate/pickup", {"shipment_id": [order["shipment_id"]]})
    assert again.status_code == 400 and again.json() == {"message": "Already in Pickup Queue."}


def test_pickup_rolls_past_sunday(sr: Shiprocket) -> None:
    # Saturday 2026-11-28 15:00 IST is after the cut-off; Sunday has no pickups, so Monday the 30th.
    saturday = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    HTTP.post(f"{sr.admin}/clock", json={"set": saturday.isoformat()}).raise_for_status()
    sr.token = sr.login()
    order = sr.create()
    sr.assign(order["shipment_id"])
    r = sr.post("/courier/generate/pickup", {"shipment_id": [order["shipment_id"]]})
    assert r.json()["response"]["pickup_scheduled_date"].startswith("2026-11-30")
    other = sr.create()
    sr.assign(other["shipment_id"])
    r = sr.post("/courier/generate/pickup", {"shipment_id": [other["shipment_id"]], "pickup_date": ["2026-12-06"]})
    assert r.json()["response"]["pickup_scheduled_date"].startswith("2026-12-07")
    third = sr.create()
    sr.assign(third["shipment_id"])
    past = (saturday - timedelta(days=3)).strftime("%Y-%m-%d")
    r = sr.post("/courier/generate/pickup", {"shipment_id": [third["shipment_id"]], "pickup_date": [past]})
    assert r.status_code == 422


def test_label_and_manifest(sr: Shiprocket) -> None:
    order = sr.shipped()
    r = sr.post("/courier/generate/label", {"shipment_id": order["shipment_id"]})
    assert r.status_code == 422
    r = sr.post("/courier/generate/label", {"shipment_id": [order["shipment_id"]]})
    assert r.json()["label_created"] == 1 and r.json()["not_created"] == []
    assert HTTP.get(r.json()["label_url"]).content.startswith(b"%PDF")
    none = sr.post("/courier/generate/label", {"shipment_id": [1]}).json()
    assert none == {"label_created": 0, "not_created": [], "response": "No valid shipment ids to print label"}
    m = sr.post("/manifests/generate", {"shipment_id": [order["shipment_id"]]})
    assert m.status_code == 200 and m.json()["status"] == 1 and m.json()["manifest_url"]
    again = sr.post("/manifests/generate", {"shipment_id": [order["shipment_id"]]})
    assert again.status_code == 400 and again.json()["already_manifested_shipment_ids"] == [order["shipment_id"]]
    printed = sr.post("/manifests/print", {"order_ids": [order["order_id"]]}).json()
    assert printed["manifest_url"] == m.json()["manifest_url"]
    inv = sr.post("/orders/print/invoice", {"ids": [order["order_id"]]}).json()
    assert inv["is_invoice_created"] is True


def test_tracking_by_awb_shipment_and_order(sr: Shiprocket) -> None:
    order = sr.shipped()
    sr.advance(order["awb"], status="PICKED UP").raise_for_status()
    sr.advance(order["awb"], status="IN TRANSIT").raise_for_status()
    data = sr.get(f"/courier/track/awb/{order['awb']}").json()["tracking_data"]
    assert data["track_status"] == 1 and data["shipment_status"] == 18
    track = data["shipment_track"][0]
    assert track["awb_code"] == order["awb"] and track["current_status"] == "In Transit"
    activities = data["shipment_track_activities"]
    assert [a["sr-status-label"] for a in activities] == ["IN TRANSIT", "PICKED UP", "NA"]
    assert [a["sr-status"] for a in activities] == ["18", "42", "NA"]
    assert activities == sorted(activities, key=lambda a: a["date"], reverse=True)
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", activities[0]["date"])
    assert data["track_url"] == f"https://shiprocket.co//tracking/{order['awb']}"
    by_shipment = sr.get(f"/courier/track/shipment/{order['shipment_id']}").json()
    assert by_shipment["tracking_data"] == data
    by_order = sr.get("/courier/track", order_id=order["channel_order_id"]).json()
    assert isinstance(by_order, list) and by_order[0]["tracking_data"] == data
    many = sr.post("/courier/track/awbs", {"awbs": [order["awb"], "000"]}).json()
    assert many[order["awb"]]["tracking_data"] == data and many["000"]["tracking_data"]["track_status"] == 0


def test_unknown_or_unscanned_awb_has_track_status_zero(sr: Shiprocket) -> None:
    body = sr.get("/courier/track/awb/1234567890").json()
    assert body["tracking_data"]["track_status"] == 0 and "no activities" in body["tracking_data"]["error"]
    order = sr.create()
    awb = sr.assign(order["shipment_id"]).json()["response"]["data"]["awb_code"]
    assert sr.get(f"/courier/track/awb/{awb}").json()["tracking_data"]["track_status"] == 0
    assert sr.post("/courier/track/awbs", {}).status_code == 422


def test_mode_and_weight_limits_narrow_the_courier_list(sr: Shiprocket) -> None:
    air = _quote(sr, mode="Air")["data"]["available_courier_companies"]
    assert air and all(c["mode"] == 1 and c["is_surface"] is False for c in air)
    heavy = _rates(_quote(sr, weight="12"))
    assert SHADOWFAX not in heavy and heavy
    volumetric = _quote(sr, weight="0.5", length=40, breadth=30, height=30)
    assert {c["charge_weight"] for c in volumetric["data"]["available_courier_companies"]} == {7.5}


def test_pickup_retry_reschedules_and_is_tracked(sr: Shiprocket) -> None:
    order = sr.shipped()
    r = sr.post("/courier/generate/pickup", {"shipment_id": [order["shipment_id"]], "status": "retry"})
    assert r.status_code == 200 and r.json()["pickup_status"] == 1
    activities = sr.get(f"/courier/track/awb/{order['awb']}").json()["tracking_data"]["shipment_track_activities"]
    assert activities[0]["sr-status-label"] == "PICKUP RESCHEDULED" and activities[0]["sr-status"] == "15"
    sr.advance(order["awb"], status="PICKED UP").raise_for_status()
    late = sr.post("/courier/generate/pickup", {"shipment_id": [order["shipment_id"]], "status": "retry"})
    assert late.status_code == 400 and late.json() == {"message": "Already in Pickup Queue."}


def test_hyperlocal_and_qc_options(sr: Shiprocket) -> None:
    base = {"pickup_postcode": "560001", "delivery_postcode": "560038", "weight": 1, "cod": 0}
    r = sr.get("/courier/serviceability/", only_local=1, **base)
    assert r.status_code == 404
    r = sr.get("/courier/serviceability/", qc_check=1, **base)
    assert r.status_code == 422 and "qc_check" in r.json()["errors"]
    r = sr.get("/courier/serviceability/", is_return=1, **base)
    assert r.status_code == 422 and "declared_value" in r.json()["errors"]
    assert sr.get("/courier/serviceability/", is_return=1, qc_check=1, declared_value=500, **base).status_code == 200
