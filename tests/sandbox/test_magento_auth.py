"""Magento sandbox over real HTTP: admin tokens, integration tokens, OAuth 1.0a, ACL, lockout, isolation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from test_magento_support import NOT_AUTHORIZED

SIGN_IN = "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later."


@pytest.fixture
def info(sandboxes: Any) -> dict[str, Any]:
    info: dict[str, Any] = sandboxes.fresh("magento")
    return info


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def login(http: httpx.Client, base: str, username: str, password: str) -> httpx.Response:
    return http.post(f"{base}/rest/V1/integration/admin/token", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_token_is_a_bare_json_string_usable_as_bearer(info: dict[str, Any], http: httpx.Client) -> None:
    demo = info["demo"]
    r = login(http, info["base_url"], demo["username"], demo["password"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    token = r.json()
    assert isinstance(token, str) and token.count(".") == 2  # a JWT since 2.4.4
    orders = http.get(f"{info['rest_url']}/orders", params={"searchCriteria[pageSize]": 1}, headers=bearer(token))
    assert orders.status_code == 200 and orders.json()["total_count"] >= 8


def test_wrong_password_is_401_with_magentos_message(info: dict[str, Any], http: httpx.Client) -> None:
    r = login(http, info["base_url"], info["demo"]["username"], "nope")
    assert r.status_code == 401 and r.json() == {"message": SIGN_IN}
    r = login(http, info["base_url"], "nobody", "nope")
    assert r.status_code == 401 and r.json() == {"message": SIGN_IN}


def test_missing_credentials_name_the_fields(info: dict[str, Any], http: httpx.Client) -> None:
    r = http.post(f"{info['base_url']}/rest/V1/integration/admin/token", json={"username": "demo-admin"})
    assert r.status_code == 400
    assert r.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "password"},
    }
    r = http.post(f"{info['base_url']}/rest/V1/integration/admin/token", json={})
    body = r.json()
    assert r.status_code == 400 and body["message"] == "One or more input exceptions have occurred."
    assert [e["parameters"]["fieldName"] for e in body["errors"]] == ["username", "password"]


def test_account_locks_after_configured_failures_then_unlocks(info: dict[str, Any], http: httpx.Client) -> None:
    admin, demo = info["admin_url"], info["demo"]
    http.post(f"{admin}/settings", json={"max_login_failures": 3, "lockout_seconds": 600}).raise_for_status()
    for _ in range(3):
        assert login(http, info["base_url"], demo["username"], "bad").status_code == 401
    locked = login(http, info["base_url"], demo["username"], demo["password"])
    assert locked.status_code == 401 and locked.json()["message"] == SIGN_IN
    http.post(f"{admin}/clock", json={"advance_seconds": 601}).raise_for_status()
    assert login(http, info["base_url"], demo["username"], demo["password"]).status_code == 200


def test_admin_token_expires_after_four_sandbox_hours(info: dict[str, Any], http: httpx.Client) -> None:
    demo = info["demo"]
    token = login(http, info["base_url"], demo["username"], demo["password"]).json()
    url = f"{info['rest_url']}/orders/1"
    http.post(f"{info['admin_url']}/clock", json={"advance_seconds": 3 * 3600}).raise_for_status()
    assert http.get(url, headers=bearer(token)).status_code == 200
    http.post(f"{info['admin_url']}/clock", json={"advance_seconds": 3601}).raise_for_status()
    r = http.get(url, headers=bearer(token))
    assert r.status_code == 401
    assert r.json() == {"message": NOT_AUTHORIZED, "parameters": {"resources": "Magento_Sales::actions_view"}}


def test_token_lifetime_is_configurable(info: dict[str, Any], http: httpx.Client) -> None:
    http.post(f"{info['admin_url']}/settings", json={"admin_token_lifetime_hours": 1}).raise_for_status()
    demo = info["demo"]
    token = login(http, info["base_url"], demo["username"], demo["password"]).json()
    http.post(f"{info['admin_url']}/clock", json={"advance_seconds": 3601}).raise_for_status()
    assert http.get(f"{info['rest_url']}/orders/1", headers=bearer(token)).status_code == 401


def test_kit_token_expiry_admin_route_expires_admin_tokens(info: dict[str, Any], http: httpx.Client) -> None:
    demo = info["demo"]
    token = login(http, info["base_url"], demo["username"], demo["password"]).json()
    http.post(f"{info['admin_url']}/tokens/expire", json={}).raise_for_status()
    assert http.get(f"{info['rest_url']}/orders/1", headers=bearer(token)).status_code == 401


def test_integration_token_as_bearer_only_with_standalone_flag(info: dict[str, Any], http: httpx.Client) -> None:
    token = info["demo"]["integration_token"]
    url = f"{info['rest_url']}/orders/1"
    assert http.get(url, headers=bearer(token)).status_code == 200
    http.post(f"{info['admin_url']}/settings", json={"standalone_bearer": False}).raise_for_status()
    r = http.get(url, headers=bearer(token))
    assert r.status_code == 401 and r.json()["message"] == NOT_AUTHORIZED


def _oauth_header(method: str, url: str, creds: dict[str, Any], params: dict[str, str]) -> str:
    def enc(v: str) -> str:
        return quote(v, safe="~-._")

    oauth = {
        "oauth_consumer_key": creds["consumer_key"],
        "oauth_token": creds["access_token"],
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": str(int(time.time())),
        "oauth_nonce": "abc123",
        "oauth_version": "1.0",
    }
    pairs = sorted((enc(k), enc(v)) for k, v in [*oauth.items(), *params.items()])
    base = "&".join([method, enc(url), enc("&".join(f"{k}={v}" for k, v in pairs))])
    key = f"{enc(creds['consumer_secret'])}&{enc(creds['access_token_secret'])}"
    oauth["oauth_signature"] = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()
    return "OAuth " + ", ".join(f'{k}="{enc(v)}"' for k, v in oauth.items())


def test_oauth1_signed_request_works_when_bearer_is_off(info: dict[str, Any], http: httpx.Client) -> None:
    admin = info["admin_url"]
    http.post(f"{admin}/settings", json={"standalone_bearer": False}).raise_for_status()
    creds = http.get(f"{admin}/integrations").json()["integrations"][0]
    url = f"{info['rest_url']}/orders"
    params = {"searchCriteria[pageSize]": "2"}
    r = http.get(url, params=params, headers={"Authorization": _oauth_header("GET", url, creds, params)})
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    creds["consumer_secret"] = "wrong"
    r = http.get(url, params=params, headers={"Authorization": _oauth_header("GET", url, creds, params)})
    assert r.status_code == 401


def test_acl_denied_names_the_missing_resource(info: dict[str, Any], http: httpx.Client) -> None:
    created = http.post(
        f"{info['admin_url']}/integrations", json={"name": "stock only", "resources": ["Magento_Catalog::products"]}
    )
    assert created.status_code == 201
    token = created.json()["access_token"]
    assert http.get(f"{info['rest_url']}/products/DT-BAG-JUTE", headers=bearer(token)).status_code == 200
    r = http.post(f"{info['rest_url']}/orders/1/cancel", headers=bearer(token))
    assert r.status_code == 401
    assert r.json() == {"message": NOT_AUTHORIZED, "parameters": {"resources": "Magento_Sales::cancel"}}


def test_no_or_malformed_authorization_is_401(info: dict[str, Any], http: httpx.Client) -> None:
    url = f"{info['rest_url']}/orders/1"
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, bearer("nonsense")):
        r = http.get(url, headers=headers)
        assert r.status_code == 401 and r.json()["parameters"] == {"resources": "Magento_Sales::actions_view"}


def test_each_merchant_is_its_own_store_and_tokens_do_not_cross(info: dict[str, Any], http: httpx.Client) -> None:
    acme = http.post(f"{info['admin_url']}/accounts", json={"account": "acme", "name": "Acme Retail"})
    assert acme.status_code == 201
    creds = acme.json()
    assert creds["base_url"] == f"{info['base_url']}/store/acme"
    own = bearer(creds["integration_token"])
    r = http.get(f"{creds['rest_url']}/orders", params={"searchCriteria": ""}, headers=own)
    assert r.status_code == 200 and r.json()["total_count"] == 0
    # the demo's token is unknown on acme's URL, and acme's on the demo's
    assert (
        http.get(f"{creds['rest_url']}/orders/1", headers=bearer(info["demo"]["integration_token"])).status_code == 401
    )
    assert http.get(f"{info['rest_url']}/orders/1", headers=own).status_code == 401
    token = login(http, creds["base_url"], creds["username"], creds["password"]).json()
    http.post(f"{info['admin_url']}/seed", json={"account": "acme", "orders": 3}).raise_for_status()
    r = http.get(f"{creds['rest_url']}/orders", params={"searchCriteria": ""}, headers=bearer(token))
    assert r.json()["total_count"] == 3
    demo = http.get(
        f"{info['base_url']}/store/demo/rest/V1/orders",
        params={"searchCriteria": ""},
        headers=bearer(info["demo"]["integration_token"]),
    )
    assert demo.json()["total_count"] == 8
