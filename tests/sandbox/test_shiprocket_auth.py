"""Shiprocket sandbox: login, JWT lifetime on the sandbox clock, 401s, isolation, rate limits and faults."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from test_shiprocket_support import HTTP, Shiprocket, order_payload


@pytest.fixture
def sr(sandboxes: Any) -> Shiprocket:
    return Shiprocket(sandboxes.fresh("shiprocket"))


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def test_login_returns_the_user_and_an_hs256_jwt_valid_for_240_hours(sr: Shiprocket) -> None:
    r = HTTP.post(f"{sr.base}/auth/login", json={"email": sr.email, "password": sr.password})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"id", "first_name", "last_name", "email", "company_id", "created_at", "token"}
    assert body["email"] == sr.email and isinstance(body["company_id"], int)
    header = json.loads(base64.urlsafe_b64decode(body["token"].split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    claims = _claims(body["token"])
    assert claims["exp"] - claims["iat"] == 240 * 3600


def test_login_accepts_a_form_body_and_a_trailing_slash(sr: Shiprocket) -> None:
    r = HTTP.post(f"{sr.base}/auth/login/", data={"email": sr.email, "password": sr.password})
    assert r.status_code == 200 and r.json()["token"]


def test_wrong_password_is_403_with_shiprockets_message(sr: Shiprocket) -> None:
    r = HTTP.post(f"{sr.base}/auth/login", json={"email": sr.email, "password": "nope"})
    assert r.status_code == 403
    assert r.json() == {"message": "Invalid email and password combination", "status_code": 403}


def test_login_without_fields_is_a_422_naming_them(sr: Shiprocket) -> None:
    r = HTTP.post(f"{sr.base}/auth/login", json={})
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"email", "password"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Token abc"}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_calls_without_a_live_bearer_token_are_401(sr: Shiprocket, headers: dict[str, str]) -> None:
    for path in ("/orders", "/courier/track/awb/123", "/settings/company/pickup"):
        r = HTTP.get(sr.base + path, headers=headers)
        assert r.status_code == 401
        assert r.json()["status_code"] == 401 and r.json()["message"]


def test_token_in_query_or_basic_auth_is_not_accepted(sr: Shiprocket) -> None:
    assert HTTP.get(f"{sr.base}/orders", params={"token": sr.token}).status_code == 401
    basic = base64.b64encode(f"{sr.email}:{sr.password}".encode()).decode()
    assert HTTP.get(f"{sr.base}/orders", headers={"Authorization": f"Basic {basic}"}).status_code == 401


def test_token_expires_after_240_hours_of_sandbox_time(sr: Shiprocket) -> None:
    HTTP.post(f"{sr.admin}/clock", json={"advance_seconds": 239 * 3600}).raise_for_status()
    assert sr.get("/orders").status_code == 200
    HTTP.post(f"{sr.admin}/clock", json={"advance_seconds": 2 * 3600}).raise_for_status()
    r = sr.get("/courier/serviceability/", pickup_postcode="560001", delivery_postcode="110024", weight=1, cod=0)
    assert r.status_code == 401 and r.json()["message"] == "Token has expired"
    sr.token = sr.login()
    assert sr.get("/orders").status_code == 200


def test_token_lifetime_is_configurable(sr: Shiprocket) -> None:
    sr.admin_post("/settings", {"token_ttl_hours": 1}).raise_for_status()
    sr.token = sr.login()
    assert _claims(sr.token)["exp"] - _claims(sr.token)["iat"] == 3600
    HTTP.post(f"{sr.admin}/clock", json={"advance_seconds": 3601}).raise_for_status()
    assert sr.get("/orders").status_code == 401


def test_admin_expiry_and_logout_end_a_token(sr: Shiprocket) -> None:
    sr.admin_post("/tokens/expire").raise_for_status()
    assert sr.get("/orders").status_code == 401
    sr.token = sr.login()
    assert sr.post("/auth/logout").status_code == 200
    r = sr.get("/orders")
    assert r.status_code == 401 and "blacklisted" in r.json()["message"]


def test_merchants_never_see_each_others_records(sr: Shiprocket) -> None:
    created = HTTP.post(f"{sr.admin}/accounts", json={"account": "acme", "company_name": "Acme Retail"})
    assert created.status_code == 201
    creds = created.json()
    other = Shiprocket(sr.info, creds["email"], creds["password"])
    mine = sr.create()
    assert other.get("/orders").json()["meta"]["pagination"]["total"] == 0
    r = other.get(f"/orders/show/{mine['order_id']}")
    assert r.status_code == 400 and r.json()["message"] == "Order ID not found"
    assert other.assign(mine["shipment_id"]).status_code == 400
    theirs = other.create(pickup_location="Primary")
    ids = [o["id"] for o in sr.get("/orders", per_page=100).json()["data"]]
    assert theirs["order_id"] not in ids and mine["order_id"] in ids
    pickups = other.get("/settings/company/pickup").json()["data"]["shipping_address"]
    assert [p["pickup_location"] for p in pickups] == ["Primary"] and pickups[0]["pin_code"] == "110020"


def test_configured_rate_limit_answers_429_with_retry_after(sr: Shiprocket) -> None:
    sr.admin_post("/settings", {"rate_limit_per_minute": 3}).raise_for_status()
    codes = [sr.get("/orders").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = sr.get("/orders")
    assert r.json() == {"message": "Too Many Attempts.", "status_code": 429}
    assert 0 < int(r.headers["Retry-After"]) <= 60
    HTTP.post(f"{sr.admin}/clock", json={"advance_seconds": 61}).raise_for_status()
    assert sr.get("/orders").status_code == 200


@pytest.mark.parametrize(
    ("status", "expect"),
    [
        (429, {"message": "Too Many Attempts.", "status_code": 429}),
        (500, {"message": "Invalid argument supplied for foreach()", "status_code": 500}),
        (503, {"message": "Service Unavailable", "status_code": 503}),
    ],
)
def test_injected_status_faults_use_shiprockets_json_bodies(sr: Shiprocket, status: int, expect: Any) -> None:
    rule = {"kind": "status", "status": status, "count": 1, "path_prefix": "/v1/external/orders", "retry_after": 7}
    sr.admin_post("/faults", rule).raise_for_status()
    r = sr.get("/orders")
    assert r.status_code == status and r.json() == expect
    assert r.headers["Retry-After"] == "7"
    assert sr.get("/orders").status_code == 200


@pytest.mark.parametrize("status", [502, 504])
def test_injected_gateway_faults_are_nginx_html_pages(sr: Shiprocket, status: int) -> None:
    sr.admin_post("/faults", {"kind": "status", "status": status, "count": 1}).raise_for_status()
    r = sr.get("/orders")
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html") and "nginx" in r.text


def test_dropped_connection_after_commit_still_creates_the_order(sr: Shiprocket) -> None:
    rule = {"kind": "drop_after_commit", "count": 1, "path_prefix": "/v1/external/orders/create"}
    sr.admin_post("/faults", rule).raise_for_status()
    with pytest.raises(httpx.TransportError):
        sr.post("/orders/create/adhoc", order_payload("DROP-1"))
    found = sr.get("/orders", search="DROP-1").json()["data"]
    assert [o["channel_order_id"] for o in found] == ["DROP-1"]


def test_timeout_and_latency_faults(sr: Shiprocket) -> None:
    sr.admin_post("/faults", {"kind": "timeout", "count": 1, "hang_seconds": 0.3}).raise_for_status()
    with pytest.raises(httpx.TransportError):
        sr.get("/orders")
    sr.admin_post("/faults", {"kind": "latency", "count": 1, "latency_ms": 50}).raise_for_status()
    assert sr.get("/orders").status_code == 200
    log = HTTP.get(f"{sr.admin}/requests", params={"path": "/v1/external/orders"}).json()["requests"]
    assert log[-1]["account"] == "demo"


def test_unknown_paths_and_wrong_methods_get_dingo_style_errors(sr: Shiprocket) -> None:
    r = sr.get("/no/such/thing")
    assert r.status_code == 404 and r.json() == {"message": "404 Not Found", "status_code": 404}
    r = sr.get("/orders/create/adhoc")
    assert r.status_code == 405 and r.json() == {"message": "405 Method Not Allowed", "status_code": 405}


def test_faults_can_target_one_merchant(sr: Shiprocket) -> None:
    creds = HTTP.post(f"{sr.admin}/accounts", json={"account": "other"}).json()
    other = Shiprocket(sr.info, creds["email"], creds["password"])
    sr.admin_post("/faults", {"kind": "status", "status": 503, "account": "other"}).raise_for_status()
    assert other.get("/orders").status_code == 503
    assert sr.get("/orders").status_code == 200


def test_info_names_the_base_url_and_demo_credentials(sr: Shiprocket) -> None:
    assert sr.info["base_url"].endswith("/v1/external")
    assert sr.info["admin_url"].endswith("/_sandbox")
    demo = sr.info["demo"]
    assert {"email", "password", "webhook_token", "pickup_location"} <= set(demo)
    assert demo["pickup_location"] == "Primary"
