"""Login with Amazon and SP-API authentication against the Amazon sandbox, over real HTTP."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from test_amazon_support import DENIED, error, fresh


def test_refresh_grant_returns_an_hour_long_bearer_atza_token(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = az.lwa(
        grant_type="refresh_token",
        refresh_token=az.demo["refresh_token"],
        client_id=az.demo["client_id"],
        client_secret=az.demo["client_secret"],
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("Atza|") and body["refresh_token"] == az.demo["refresh_token"]
    assert r.headers["x-amzn-RequestId"]
    assert (
        az.get(f"/orders/v0/orders/{az.demo['order_ids']['business']}", token=body["access_token"]).status_code == 200
    )


def test_refresh_grant_is_form_encoded_and_json_is_accepted_too(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": az.demo["refresh_token"],
        "client_id": az.demo["client_id"],
        "client_secret": az.demo["client_secret"],
    }
    assert httpx.post(az.info["lwa_url"], json=form).status_code == 200


def test_unknown_refresh_token_is_400_invalid_grant(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = az.lwa(
        grant_type="refresh_token",
        refresh_token="Atzr|IwEBnot-a-real-token",
        client_id=az.demo["client_id"],
        client_secret=az.demo["client_secret"],
    )
    assert r.status_code == 400
    assert r.json() == {
        "error_description": "The request has an invalid grant parameter : refresh_token",
        "error": "invalid_grant",
    }


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_bad_client_credentials_are_401_invalid_client(sandboxes: Any, field: str) -> None:
    az = fresh(sandboxes)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": az.demo["refresh_token"],
        "client_id": az.demo["client_id"],
        "client_secret": az.demo["client_secret"],
    }
    form[field] = "amzn1.application-oa2-client.ffffffffffffffffffffffffffffffff"
    r = az.lwa(**form)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client" and r.json()["error_description"]


def test_missing_and_unsupported_grant_types_are_refused(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = az.lwa(client_id=az.demo["client_id"], client_secret=az.demo["client_secret"])
    assert (
        r.status_code == 400
        and r.json()["error"] == "invalid_request"
        and "grant_type" in r.json()["error_description"]
    )
    r = az.lwa(grant_type="password", client_id=az.demo["client_id"], client_secret=az.demo["client_secret"])
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = az.lwa(grant_type="refresh_token", client_id=az.demo["client_id"], client_secret=az.demo["client_secret"])
    assert r.status_code == 400 and "refresh_token" in r.json()["error_description"]


def test_refresh_token_only_works_with_the_application_it_was_issued_to(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    other = az.admin("/accounts", {"name": "Second Seller"})
    r = az.lwa(
        grant_type="refresh_token",
        refresh_token=other["refresh_token"],
        client_id=az.demo["client_id"],
        client_secret=az.demo["client_secret"],
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    token = az.refresh(other["refresh_token"], other["client_id"], other["client_secret"])
    assert token.startswith("Atza|")


def test_revoked_refresh_token_becomes_invalid_grant(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    az.admin("/tokens/revoke", {"kind": "refresh"})
    r = az.lwa(
        grant_type="refresh_token",
        refresh_token=az.demo["refresh_token"],
        client_id=az.demo["client_id"],
        client_secret=az.demo["client_secret"],
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_consent_code_exchanges_once_for_refresh_and_access_tokens(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    consent = az.admin("/consent", {"redirect_uri": "https://app.example.in/amazon/callback", "state": "xyz"})
    assert consent["selling_partner_id"] == az.demo["selling_partner_id"] and consent["state"] == "xyz"
    assert "spapi_oauth_code=" in consent["redirect_url"]
    form = {
        "grant_type": "authorization_code",
        "code": consent["spapi_oauth_code"],
        "redirect_uri": "https://app.example.in/amazon/callback",
        "client_id": az.demo["client_id"],
        "client_secret": az.demo["client_secret"],
    }
    r = az.lwa(**form)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["refresh_token"].startswith("Atzr|") and body["access_token"].startswith("Atza|")
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert az.refresh(body["refresh_token"]).startswith("Atza|")
    again = az.lwa(**form)
    assert again.status_code == 400
    assert again.json()["error_description"] == "The request has an invalid grant parameter : code"


def test_consent_code_expires_after_five_minutes(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    code = az.admin("/consent")["spapi_oauth_code"]
    az.advance(301)
    r = az.lwa(
        grant_type="authorization_code",
        code=code,
        client_id=az.demo["client_id"],
        client_secret=az.demo["client_secret"],
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_client_credentials_grant_needs_a_known_scope_and_cannot_read_orders(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    creds = {"client_id": az.demo["client_id"], "client_secret": az.demo["client_secret"]}
    r = az.lwa(grant_type="client_credentials", scope="sellingpartnerapi::orders", **creds)
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    r = az.lwa(grant_type="client_credentials", scope="sellingpartnerapi::notifications", **creds)
    assert r.status_code == 200
    body = r.json()
    assert body["scope"] == "sellingpartnerapi::notifications" and "refresh_token" not in body
    denied = az.orders(token=body["access_token"])
    assert denied.status_code == 403 and denied.json() == DENIED


def test_access_token_expires_after_an_hour_of_sandbox_time(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    token = az.token
    order = az.demo["order_ids"]["business"]
    az.advance(3590)
    assert az.get(f"/orders/v0/orders/{order}", token=token).status_code == 200
    az.advance(20)
    r = az.get(f"/orders/v0/orders/{order}", token=token)
    assert r.status_code == 403 and r.json() == DENIED
    assert az.get(f"/orders/v0/orders/{order}", token=az.refresh()).status_code == 200


def test_admin_expire_makes_tokens_fail_until_refreshed(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    token = az.token
    az.admin("/tokens/expire")
    assert az.orders(token=token).status_code == 403
    assert az.orders(token=az.refresh()).status_code == 200


@pytest.mark.parametrize("token", [None, "", "Atza|IwEBforged", "Atzr|IwEBnot-an-access-token"])
def test_missing_or_unknown_access_token_is_403_unauthorized(sandboxes: Any, token: str | None) -> None:
    az = fresh(sandboxes)
    headers = {} if token is None else {"x-amz-access-token": token}
    r = httpx.get(az.base + "/orders/v0/orders", params={"MarketplaceIds": "A21TJRUUN4KGV"}, headers=headers)
    assert r.status_code == 403 and r.json() == DENIED
    assert r.headers["x-amzn-RateLimit-Limit"] == "0.0167" and r.headers["x-amzn-RequestId"]


def test_refresh_token_itself_is_not_an_access_token(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = az.orders(token=az.demo["refresh_token"])
    assert r.status_code == 403 and error(r)["code"] == "Unauthorized"


def test_sigv4_signed_requests_are_accepted_and_the_signature_ignored(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    headers = {
        "x-amz-access-token": az.token,
        "x-amz-date": "20240501T102030Z",
        "x-amz-security-token": "FwoGZXIvYXdzEBYaDExample",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240501/eu-west-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-access-token;x-amz-date, Signature=" + "0" * 64,
    }
    r = httpx.get(az.base + f"/orders/v0/orders/{az.demo['order_ids']['afn_prime']}", headers=headers)
    assert r.status_code == 200


def test_token_endpoint_lives_only_on_the_lwa_host_and_orders_only_on_api_hosts(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    r = httpx.post(az.base + "/auth/o2/token", data={"grant_type": "refresh_token"})
    assert r.status_code == 404 and error(r)["code"] == "NotFound"
    lwa_host = az.info["lwa_url"].split("/auth/")[0]
    r = az.get(f"/orders/v0/orders/{az.demo['order_ids']['afn_prime']}", base=lwa_host)
    assert r.status_code == 404


def test_lwa_access_tokens_look_like_amazons(sandboxes: Any) -> None:
    az = fresh(sandboxes)
    assert re.fullmatch(r"Atza\|[A-Za-z0-9_\-]+", az.token)
    assert re.fullmatch(r"amzn1\.application-oa2-client\.[0-9a-f]{32}", az.demo["client_id"])
