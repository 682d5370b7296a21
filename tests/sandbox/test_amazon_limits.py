"""Usage plans, headers, injected faults, merchant isolation and static-sandbox mode of the Amazon sandbox."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from test_amazon_support import HTTP, INDIA, QUOTA, error, fresh


def test_every_answer_carries_request_id_and_rate_limit_headers(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["afn_prime"]
    answers = [
        (az.orders(), "0.0167"),
        (az.get("/orders/v0/orders", {"MarketplaceIds": INDIA}), "0.0167"),
        (az.get(f"/orders/v0/orders/{oid}"), "0.5"),
        (az.get("/orders/v0/orders/403-0000000-0000000"), "0.5"),
        (az.get(f"/orders/v0/orders/{oid}/orderItems"), "0.5"),
        (az.get(f"/orders/v0/orders/{oid}/address"), "0.5"),
        (az.get(f"/orders/v0/orders/{oid}/buyerInfo"), "0.5"),
        (az.get(f"/orders/v0/orders/{oid}", token="Atza|IwEBnope"), "0.5"),
    ]
    ids = set()
    for r, rate in answers:
        assert r.headers["x-amzn-RateLimit-Limit"] == rate and r.headers["x-amzn-RequestId"]
        ids.add(r.headers["x-amzn-RequestId"])
    assert len(ids) == len(answers)


def test_get_orders_burst_of_20_then_quota_exceeded_then_refills_on_the_sandbox_clock(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    statuses = [az.orders().status_code for _ in range(20)]
    assert statuses == [200] * 20
    r = az.orders()
    assert r.status_code == 429 and r.json() == QUOTA and r.headers["x-amzn-RateLimit-Limit"] == "0.0167"
    az.advance(30)
    assert az.orders().status_code == 429
    az.advance(31)  # 61 s at 0.0167/s: one token back
    assert az.orders().status_code == 200
    assert az.orders().status_code == 429


def test_buckets_are_per_operation_and_per_selling_partner(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    for _ in range(20):
        az.orders()
    assert az.orders().status_code == 429
    assert az.get(f"/orders/v0/orders/{az.demo['order_ids']['pending']}").status_code == 200
    other = az.admin("/accounts", {"name": "Other Seller", "orders": 3})
    token = az.refresh(other["refresh_token"], other["client_id"], other["client_secret"])
    assert az.orders(token=token).status_code == 200


def test_get_order_burst_of_30_refills_at_half_a_token_per_second(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    path = f"/orders/v0/orders/{az.demo['order_ids']['pending']}"
    assert all(az.get(path).status_code == 200 for _ in range(30))
    assert az.get(path).status_code == 429
    az.advance(2)
    assert az.get(path).status_code == 200


def test_merchants_never_see_each_others_orders(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    other = az.admin("/accounts", {"name": "Second Seller", "orders": 4})
    token = az.refresh(other["refresh_token"], other["client_id"], other["client_secret"])
    theirs = {o["AmazonOrderId"] for o in az.orders(token=token).json()["payload"]["Orders"]}
    mine = {o["AmazonOrderId"] for o in az.orders().json()["payload"]["Orders"]}
    assert len(theirs) == 4 and not theirs & mine
    r = az.get(f"/orders/v0/orders/{az.demo['order_ids']['business']}", token=token)
    assert r.status_code == 404 and error(r)["code"] == "NotFound"
    assert az.get(f"/orders/v0/orders/{next(iter(theirs))}").status_code == 404
    seeded = az.admin("/seed", {"account": other["selling_partner_id"], "orders": 2})
    assert seeded["account"] == other["selling_partner_id"]
    log = HTTP.get(az.admin_url + "/requests", params={"account": other["selling_partner_id"]}).json()["requests"]
    assert log and all(e["account"] == other["selling_partner_id"] for e in log)


def test_second_seller_can_authorize_the_demo_application(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    other = az.admin("/accounts", {"client_id": az.demo["client_id"], "orders": 1})
    assert other["client_id"] == az.demo["client_id"]
    token = az.refresh(other["refresh_token"])
    assert len(az.orders(token=token).json()["payload"]["Orders"]) == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [(429, "QuotaExceeded"), (500, "InternalFailure"), (503, "ServiceUnavailable")],
)
def test_injected_status_faults_answer_in_the_errors_envelope(sandboxes: Any, status: int, code: str) -> None:
    az = fresh(sandboxes)
    az.admin("/faults", {"kind": "status", "status": status, "count": 1, "path_prefix": "/orders/", "retry_after": 2})
    r = az.orders()
    assert r.status_code == status and error(r)["code"] == code
    assert r.headers["x-amzn-RateLimit-Limit"] == "0.0167" and r.headers["x-amzn-RequestId"]
    assert az.orders().status_code == 200


def test_injected_lwa_fault_answers_in_lwa_shape(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    az.admin("/faults", {"kind": "status", "status": 503, "count": 1, "path_prefix": "/auth/o2/token"})
    r = az.lwa(grant_type="refresh_token")
    assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"


def test_timeout_fault_never_answers(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    token = az.token
    az.admin("/faults", {"kind": "timeout", "count": 1, "hang_seconds": 3, "path_prefix": "/orders/"})
    with pytest.raises(httpx.ReadTimeout):
        HTTP.get(
            az.base + "/orders/v0/orders",
            params={"MarketplaceIds": INDIA},
            headers={"x-amz-access-token": token},
            timeout=0.3,
        )


def test_dropped_connection_after_confirm_shipment_keeps_the_shipment(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    oid = az.demo["order_ids"]["mfn_cod_easy_ship"]
    items = az.get(f"/orders/v0/orders/{oid}/orderItems").json()["payload"]["OrderItems"]
    body = {
        "marketplaceId": INDIA,
        "codCollectionMethod": "DirectPayment",
        "packageDetail": {
            "packageReferenceId": "1",
            "carrierCode": "ATSPL",
            "trackingNumber": "362847562839",
            "shipDate": "2024-05-01T10:20:30.000Z",
            "orderItems": [{"orderItemId": i["OrderItemId"], "quantity": i["QuantityOrdered"]} for i in items],
        },
    }
    az.admin("/faults", {"kind": "drop_after_commit", "count": 1, "path_prefix": f"/orders/v0/orders/{oid}/shipment"})
    with pytest.raises(httpx.RemoteProtocolError):
        az.post(f"/orders/v0/orders/{oid}/shipmentConfirmation", body)
    assert az.get(f"/orders/v0/orders/{oid}").json()["payload"]["OrderStatus"] == "Shipped"


def test_latency_fault_delays_but_answers(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    params = {"MarketplaceIds": INDIA, "CreatedAfter": az.ago(days=30)}
    token = az.token
    az.admin("/faults", {"kind": "latency", "latency_ms": 150, "count": 1, "path_prefix": "/orders/"})
    r = az.get("/orders/v0/orders", params, token=token)
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.15


def test_unknown_paths_and_methods_get_the_errors_envelope(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = az.get("/orders/v1/nothing")
    assert r.status_code == 404 and error(r)["code"] == "NotFound"
    r = HTTP.delete(az.base + "/orders/v0/orders", headers={"x-amz-access-token": az.token})
    assert r.status_code == 405 and set(r.json()) == {"errors"}


def test_static_sandbox_mode_answers_only_test_cases(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    assert az.admin("/sandbox", {"enabled": True}) == {"static_sandbox": True}
    ok = az.get("/orders/v0/orders", {"CreatedAfter": "TEST_CASE_200", "MarketplaceIds": "ATVPDKIKX0DER"})
    assert ok.status_code == 200 and ok.json()["payload"]["Orders"][0]["AmazonOrderId"] == "902-1845936-5435065"
    bad = az.get("/orders/v0/orders", {"CreatedAfter": "TEST_CASE_400"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "InvalidInput"
    other = az.orders()
    assert other.status_code == 400 and other.json()["errors"][0]["message"] == "Could not match input arguments"
    items = az.get("/orders/v0/orders/TEST_CASE_200/orderItems").json()["payload"]
    assert items["OrderItems"][0]["ASIN"] == "B00551Q3CS"
    assert az.admin("/sandbox", {"enabled": False}) == {"static_sandbox": False}
    assert az.orders().status_code == 200
