"""Zoho limits, injected faults and merchant isolation over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from test_zoho_support import Zoho, fixtures

zoho, inventory, books, receiver = fixtures()


def test_101st_call_in_a_minute_is_429_and_recovers_after_the_window(zoho: Zoho, inventory: httpx.Client) -> None:
    for _ in range(100):
        assert inventory.get("/salesorders", params={"per_page": 1}).status_code == 200
    limited = inventory.get("/salesorders", params={"per_page": 1})
    assert limited.status_code == 429 and limited.json()["code"] == 44
    assert int(limited.headers["retry-after"]) > 0
    zoho.advance(61)
    assert inventory.get("/salesorders", params={"per_page": 1}).status_code == 200


def test_rate_limit_is_per_organisation(zoho: Zoho, inventory: httpx.Client) -> None:
    zoho.admin_post("/zoho/settings", {"per_minute": 3})
    other = zoho.admin_post("/accounts", {"account": "second", "data_centre": "in", "name": "Second Store"})
    for _ in range(3):
        inventory.get("/items")
    assert inventory.get("/items").status_code == 429
    token = zoho.access_token(
        refresh_token=other["refresh_token"], client_id=other["client_id"], client_secret=other["client_secret"]
    )
    with zoho.api(token=token, organization_id=other["organization_id"]) as api:
        assert api.get("/items").status_code == 200


def test_daily_cap_is_configurable_and_resets_next_day(zoho: Zoho, inventory: httpx.Client) -> None:
    zoho.admin_post("/zoho/settings", {"daily_limit": 5})
    codes = [inventory.get("/items").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert inventory.get("/items").json()["code"] == 45
    zoho.advance(24 * 3600)
    with zoho.api() as fresh:  # the old access token died after an hour
        assert fresh.get("/items").status_code == 200


def test_injected_status_faults_use_zoho_body(zoho: Zoho, inventory: httpx.Client) -> None:
    zoho.admin_post("/faults", {"kind": "status", "status": 503, "count": 1, "path_prefix": "/inventory/v1/items"})
    r = inventory.get("/items")
    assert r.status_code == 503 and r.json()["code"] == 1000
    assert inventory.get("/items").status_code == 200
    zoho.admin_post("/faults", {"kind": "status", "status": 429, "count": 1, "retry_after": 30})
    r = inventory.get("/items")
    assert r.status_code == 429 and r.json()["code"] == 44 and r.headers["retry-after"] == "30"


def test_fault_scoped_to_another_merchant_does_not_fire(zoho: Zoho, inventory: httpx.Client) -> None:
    zoho.admin_post("/faults", {"kind": "status", "status": 500, "account": "someone-else"})
    assert inventory.get("/items").status_code == 200
    zoho.admin_post("/faults", {"kind": "status", "status": 500, "account": "demo", "count": 1})
    assert inventory.get("/items").status_code == 500


def test_drop_after_commit_keeps_the_sales_order(zoho: Zoho, inventory: httpx.Client) -> None:
    cust = inventory.get("/contacts", params={"contact_name": "Priya Nair"}).json()["contacts"][0]
    zoho.admin_post(
        "/faults",
        {"kind": "drop_after_commit", "count": 1, "method": "POST", "path_prefix": "/inventory/v1/salesorders"},
    )
    with pytest.raises(httpx.RemoteProtocolError):
        inventory.post(
            "/salesorders",
            json={
                "customer_id": cust["contact_id"],
                "reference_number": "DROP-1",
                "line_items": [{"name": "Gift card", "rate": 500}],
            },
        )
    found = inventory.get("/salesorders", params={"reference_number": "DROP-1"}).json()["salesorders"]
    assert len(found) == 1


def test_timeout_fault_hangs(zoho: Zoho, inventory: httpx.Client) -> None:
    zoho.admin_post("/faults", {"kind": "timeout", "count": 1, "hang_seconds": 3})
    with pytest.raises(httpx.ReadTimeout):
        inventory.get("/items", timeout=0.3)


def test_merchants_never_see_each_other(zoho: Zoho, inventory: httpx.Client) -> None:
    other = zoho.admin_post("/accounts", {"account": "eu-shop", "data_centre": "eu", "name": "Berlin Shop GmbH"})
    assert other["api_domain"] == zoho.dc("eu")["api_domain"]
    assert zoho.refresh(
        refresh_token=other["refresh_token"], client_id=other["client_id"], client_secret=other["client_secret"]
    ).json() == {"error": "invalid_code"}
    token = zoho.access_token(
        refresh_token=other["refresh_token"],
        client_id=other["client_id"],
        client_secret=other["client_secret"],
        dc="eu",
    )
    with zoho.api(dc="eu", token=token, organization_id=other["organization_id"]) as eu:
        orgs = eu.get("/organizations").json()["organizations"]
        assert [o["organization_id"] for o in orgs] == [other["organization_id"]]
        assert orgs[0]["time_zone"] == "Europe/Berlin" and orgs[0]["currency_code"] == "EUR"
        assert eu.get("/salesorders").json()["salesorders"] == []
        so_id = inventory.get("/salesorders").json()["salesorders"][0]["salesorder_id"]
        assert eu.get(f"/salesorders/{so_id}").status_code == 404
    with zoho.api(dc="eu", token=token, organization_id=zoho.demo["organization_id"]) as eu:
        assert eu.get("/salesorders").json()["code"] == 6041
    with zoho.api(token=zoho.access_token(), organization_id=other["organization_id"]) as demo_in:
        assert demo_in.get("/salesorders").json()["code"] == 6041
    state = httpx.get(zoho.admin + "/state", params={"account": "eu-shop"}).json()
    assert list(state["organizations"]) == [other["organization_id"]]


def test_request_log_names_the_merchant(zoho: Zoho, inventory: httpx.Client) -> None:
    inventory.get("/items")
    log = httpx.get(zoho.admin + "/requests", params={"path": "/inventory/v1/items"}).json()["requests"]
    assert log[-1]["account"] == "demo" and log[-1]["listener"] == "api:in"
