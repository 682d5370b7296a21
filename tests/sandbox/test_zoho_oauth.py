"""Zoho Accounts over real HTTP: the code flow per data centre, refresh limits, revocation, API auth."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from test_zoho_support import Zoho, fixtures

zoho, inventory, books, receiver = fixtures()

REDIRECT = "http://127.0.0.1:8000/connections/zoho/callback"


def authorize(z: Zoho, dc: str = "in", auto: bool = True, **extra: str) -> httpx.Response:
    params = {
        "scope": "ZohoInventory.FullAccess.all,ZohoBooks.fullaccess.all",
        "client_id": z.demo["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "access_type": "offline",
        "prompt": "consent",
        "state": "xyz-123",
        **extra,
    }
    if auto:
        params["sandbox_auto_approve"] = "true"
    return httpx.get(z.dc(dc)["accounts_url"] + "/oauth/v2/auth", params=params, timeout=10)


def code_from(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(z: Zoho, code: str, dc: str = "in", in_body: bool = False) -> httpx.Response:
    params = {
        "grant_type": "authorization_code",
        "client_id": z.demo["client_id"],
        "client_secret": z.demo["client_secret"],
        "redirect_uri": REDIRECT,
        "code": code,
    }
    url = z.dc(dc)["accounts_url"] + "/oauth/v2/token"
    if in_body:
        return httpx.post(url, data=params, timeout=10)
    return httpx.post(url, params=params, timeout=10)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "button":
            self.buttons[a.get("id", "")] = a.get("value", "")
        elif tag == "option" and "selected" in a:
            self.fields["user"] = a.get("value", "")


def test_full_code_flow_in_the_india_data_centre_returns_tokens_for_that_dc(zoho: Zoho) -> None:
    params = code_from(authorize(zoho))
    assert params["state"] == "xyz-123" and params["location"] == "in"
    assert params["accounts-server"] == zoho.dc("in")["accounts_url"]
    assert re.fullmatch(r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}", params["code"])
    r = exchange(zoho, params["code"])
    body = r.json()
    assert r.status_code == 200
    assert set(body) == {"access_token", "refresh_token", "scope", "api_domain", "token_type", "expires_in"}
    assert body["api_domain"] == zoho.dc("in")["api_domain"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    with zoho.api(token=body["access_token"]) as api:
        orgs = api.get("/organizations").json()["organizations"]
    assert orgs[0]["organization_id"] == zoho.demo["organization_id"] and orgs[0]["time_zone"] == "Asia/Kolkata"
    refreshed = zoho.refresh(refresh_token=body["refresh_token"])
    assert refreshed.status_code == 200 and "refresh_token" not in refreshed.json()


def test_consent_page_form_accept_redirects_with_code(zoho: Zoho) -> None:
    page = authorize(zoho, auto=False)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    form = FormParser()
    form.feed(page.text)
    assert form.action == "/oauth/v2/auth" and form.buttons["accept"] == "accept"
    answer = httpx.post(zoho.dc("in")["accounts_url"] + form.action, data={**form.fields, "decision": "accept"})
    params = code_from(answer)
    assert params["state"] == "xyz-123" and exchange(zoho, params["code"], in_body=True).json()["access_token"]


def test_consent_page_reject_redirects_with_access_denied(zoho: Zoho) -> None:
    form = FormParser()
    form.feed(authorize(zoho, auto=False).text)
    answer = httpx.post(zoho.dc("in")["accounts_url"] + form.action, data={**form.fields, "decision": "reject"})
    assert code_from(answer)["error"] == "access_denied"


def test_auto_approve_admin_setting_skips_the_page(zoho: Zoho) -> None:
    zoho.admin_post("/zoho/settings", {"auto_approve": True})
    assert authorize(zoho, auto=False).status_code == 302


def test_unknown_client_and_wrong_redirect_uri_get_an_error_page(zoho: Zoho) -> None:
    r = authorize(zoho, client_id="1000.NOPE")
    assert r.status_code == 400 and "Invalid Client" in r.text
    r = authorize(zoho, redirect_uri="https://evil.example/cb")
    assert r.status_code == 400 and "Invalid Redirect Uri" in r.text


def test_online_access_type_gives_no_refresh_token(zoho: Zoho) -> None:
    params = code_from(authorize(zoho, access_type="online"))
    body = exchange(zoho, params["code"]).json()
    assert "access_token" in body and "refresh_token" not in body


def test_code_is_single_use(zoho: Zoho) -> None:
    code = code_from(authorize(zoho))["code"]
    assert exchange(zoho, code).status_code == 200
    again = exchange(zoho, code)
    assert again.status_code == 200 and again.json() == {"error": "invalid_code"}


def test_code_expires_after_two_minutes(zoho: Zoho) -> None:
    code = code_from(authorize(zoho))["code"]
    zoho.advance(121)
    assert exchange(zoho, code).json() == {"error": "invalid_code"}


def test_code_ttl_is_configurable(zoho: Zoho) -> None:
    zoho.admin_post("/zoho/settings", {"code_ttl": 180})
    code = code_from(authorize(zoho))["code"]
    zoho.advance(150)
    assert "access_token" in exchange(zoho, code).json()


def test_code_must_be_exchanged_at_the_issuing_data_centre(zoho: Zoho) -> None:
    code = code_from(authorize(zoho))["code"]
    assert exchange(zoho, code, dc="us").json() == {"error": "invalid_code"}
    assert "access_token" in exchange(zoho, code, dc="in").json()


def test_bad_client_credentials_are_refused_with_http_200(zoho: Zoho) -> None:
    code = code_from(authorize(zoho))["code"]
    url = zoho.dc("in")["accounts_url"] + "/oauth/v2/token"
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    r = httpx.post(url, params={**base, "client_id": "1000.X", "client_secret": "y"})
    assert r.status_code == 200 and r.json() == {"error": "invalid_client"}
    r = httpx.post(url, params={**base, "client_id": zoho.demo["client_id"], "client_secret": "wrong"})
    assert r.json() == {"error": "invalid_client_secret"}
    assert httpx.post(url, params={"grant_type": "password"}).json() == {"error": "unsupported_grant_type"}


def test_eleventh_refresh_in_ten_minutes_is_throttled_until_the_window_passes(zoho: Zoho) -> None:
    for _ in range(10):
        assert zoho.refresh().status_code == 200
    throttled = zoho.refresh()
    assert throttled.json()["error"] == "Access Denied"
    assert "too many requests continuously" in throttled.json()["error_description"]
    zoho.advance(601)
    assert "access_token" in zoho.refresh().json()


def test_twenty_first_refresh_token_drops_the_oldest(zoho: Zoho) -> None:
    tokens = [exchange(zoho, code_from(authorize(zoho))["code"]).json()["refresh_token"] for _ in range(20)]
    # The pre-issued demo token was the oldest of the 21 and is gone; the 20 new ones all work.
    assert zoho.refresh().json() == {"error": "invalid_code"}
    assert "access_token" in zoho.refresh(refresh_token=tokens[0]).json()


def test_refresh_token_from_another_data_centre_is_refused(zoho: Zoho) -> None:
    assert zoho.refresh(dc="eu").json() == {"error": "invalid_code"}


def test_access_token_from_another_data_centre_is_refused_by_the_api(zoho: Zoho) -> None:
    token = zoho.access_token()
    with zoho.api(dc="eu", token=token) as api:
        r = api.get("/organizations")
    assert r.status_code == 401 and r.json()["code"] == 57


def test_missing_header_is_code_14_and_dead_tokens_are_code_57(zoho: Zoho) -> None:
    url = zoho.dc("in")["inventory_url"] + "/salesorders"
    params = {"organization_id": zoho.demo["organization_id"]}
    r = httpx.get(url, params=params)
    assert r.status_code == 401 and r.json()["code"] == 14
    r = httpx.get(url, params=params, headers={"Authorization": "Zoho-oauthtoken 1000.garbage.garbage"})
    assert r.status_code == 401 and r.json() == {
        "code": 57,
        "message": "You are not authorized to perform this operation",
    }
    token = zoho.access_token()
    ok = httpx.get(url, params=params, headers={"Authorization": f"Zoho-oauthtoken {token}"})
    assert ok.status_code == 200
    zoho.advance(3601)
    expired = httpx.get(url, params=params, headers={"Authorization": f"Zoho-oauthtoken {token}"})
    assert expired.status_code == 401 and expired.json()["code"] == 57


def test_revoked_refresh_token_stops_minting_and_kills_its_access_tokens(zoho: Zoho) -> None:
    token = zoho.access_token()
    r = httpx.post(
        zoho.dc("in")["accounts_url"] + "/oauth/v2/token/revoke", params={"token": zoho.demo["refresh_token"]}
    )
    assert r.status_code == 200
    assert zoho.refresh().json() == {"error": "invalid_code"}
    with zoho.api(token=token) as api:
        assert api.get("/salesorders").json()["code"] == 57


def test_scope_without_the_module_is_refused_with_code_57(zoho: Zoho) -> None:
    code = code_from(authorize(zoho, scope="ZohoInventory.salesorders.READ"))["code"]
    token = exchange(zoho, code).json()["access_token"]
    with zoho.api(token=token) as api:
        assert api.get("/salesorders").status_code == 200
        r = api.post("/salesorders", json={"customer_id": "1", "line_items": [{"name": "x"}]})
        assert r.status_code == 401 and r.json()["code"] == 57
        assert api.get("/items").json()["code"] == 57
    with zoho.api("books", token=token) as api:
        assert api.get("/invoices").status_code == 401


def test_serverinfo_lists_every_data_centre(zoho: Zoho) -> None:
    body = httpx.get(zoho.dc("us")["accounts_url"] + "/oauth/serverinfo").json()
    assert body["result"] == "success"
    assert body["locations"] == {code: dc["accounts_url"] for code, dc in zoho.info["data_centres"].items()}


def test_info_carries_real_hosts_per_data_centre(zoho: Zoho) -> None:
    centres: dict[str, Any] = zoho.info["data_centres"]
    assert list(centres) == ["us", "eu", "in", "au", "jp", "ca", "cn", "sa"]
    assert centres["ca"]["real_accounts_url"] == "https://accounts.zohocloud.ca"
    assert centres["in"]["real_api_domain"] == "https://www.zohoapis.in"
    assert zoho.admin.startswith(centres["us"]["accounts_url"])


def test_second_merchant_authorizes_in_its_own_data_centre(zoho: Zoho) -> None:
    other = zoho.admin_post("/accounts", {"account": "eu-shop", "data_centre": "eu", "name": "Berlin Shop GmbH"})
    assert "No account" in authorize(zoho, dc="au").text
    params = code_from(authorize(zoho, dc="eu", sandbox_user="eu-shop"))
    assert params["location"] == "eu" and params["accounts-server"] == zoho.dc("eu")["accounts_url"]
    assert exchange(zoho, params["code"], dc="in").json() == {"error": "invalid_code"}
    params = code_from(authorize(zoho, dc="eu", sandbox_user="eu-shop"))
    body = exchange(zoho, params["code"], dc="eu").json()
    assert body["api_domain"] == zoho.dc("eu")["api_domain"]
    with zoho.api(dc="eu", token=body["access_token"], organization_id=other["organization_id"]) as api:
        org = api.get(f"/organizations/{other['organization_id']}").json()["organization"]
    assert org["name"] == "Berlin Shop GmbH" and org["time_zone"] == "Europe/Berlin"
