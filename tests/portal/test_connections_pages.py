"""Connections through the real portal, core, PostgreSQL and provider sandboxes: connecting Shiprocket with its
demo API user, Zoho through its real OAuth consent page, the health and webhook setup merchants see, and who
may do what."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connector.v1 import webhook_pb2, webhook_pb2_grpc
from portal.connections import catalogue, service
from portal.web.errors import Problem
from tests.portal.conftest import PASSWORD, Portal, Visitor

CALLBACK = "/connections/oauth/callback"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


def _shiprocket_form(info: dict[str, Any], password: str | None = None) -> dict[str, str]:
    demo = info["demo"]
    return {
        "display_name": "Shiprocket main",
        "environment": "sandbox",
        "email": demo["email"],
        "password": password if password is not None else demo["password"],
    }


async def _connect_shiprocket(v: Visitor, info: dict[str, Any], password: str | None = None) -> tuple[str, str]:
    """Post the connect form; (the connection's id, the page it leads to)."""
    r = await v.call("POST", "/connections/new/shiprocket", data=_shiprocket_form(info, password))
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    connection_id = location.rsplit("/", 1)[-1]
    assert location == f"/connections/{connection_id}"
    shown = await v.client.get(location)
    assert shown.status_code == 200
    return connection_id, shown.text


async def _viewer_of(owner: Visitor, url: str) -> Visitor:
    r = await owner.call(
        "POST",
        "/api/v1/team/invitations",
        json={"email": f"viewer-{uuid.uuid4().hex[:8]}@example.in", "role": "viewer"},
    )
    tenant, token = re.search(r"/invite/([^/]+)/([^/]+)$", r.json()["url"]).groups()  # type: ignore[union-attr]
    viewer = Visitor(url)
    r = await viewer.call("POST", f"/api/v1/invitations/{tenant}/{token}", json={"name": "Vic", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "viewer", r.text
    return viewer


def _zoho_client(info: dict[str, Any], portal: Portal) -> dict[str, Any]:
    """A Server-based Application registered at the sandbox's Zoho API console with the portal's callback."""
    r = httpx.post(
        f"{info['admin_url']}/zoho/clients",
        json={"owner": info["demo"]["account"], "redirect_uris": [portal.url + CALLBACK], "name": "Acme connector"},
    )
    r.raise_for_status()
    return dict(r.json())


async def _consent(authorize_url: str, decision: str) -> str:
    """The merchant at Zoho: the consent page, submitted; returns where Zoho redirects the browser."""
    async with httpx.AsyncClient(timeout=30) as browser:
        consent = await browser.get(authorize_url)
        assert consent.status_code == 200, consent.text
        fields = {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(consent.text)}
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
        answer = await browser.post(f"{origin}/oauth/v2/auth", data={**fields, "decision": decision})
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


async def test_a_merchant_connects_shiprocket_and_sees_it_healthy_with_the_webhook_to_set_up(
    portal: Portal, sandboxes: Any
) -> None:
    info = sandboxes.get("shiprocket")
    async with Visitor(portal.url) as v:
        me = await v.signup("Mehta Handlooms")
        empty = await v.client.get("/connections")
        assert empty.status_code == 200 and "Connect your first provider" in empty.text
        assert 'href="/connections/new/shiprocket"' in empty.text

        connection_id, shown = await _connect_shiprocket(v, info)
        assert "Test passed" in shown and "Healthy" in shown and 'class="status ok"' in shown
        assert info["demo"]["password"] not in shown
        assert re.search(rf"<dt>Account</dt>\s*<dd>{re.escape(info['demo']['email'])}</dd>", shown)

        setup = await portal.core.stub(webhook_pb2_grpc.WebhookServiceStub).GetWebhookSetup(
            webhook_pb2.GetWebhookSetupRequest(tenant_id=me["tenant_id"], connection_id=connection_id)
        )
        listing = (await v.client.get("/connections")).text
        assert f"{portal.url}/hooks/tracking/{connection_id}" in listing  # Shiprocket refuses URLs naming it
        assert setup.secret and setup.secret in listing
        assert "Shiprocket main" in listing and "took" in listing

        api = (await v.call("GET", "/api/v1/connections")).json()
        (item,) = api["items"]
        assert item["connection_id"] == connection_id and item["provider"] == "shiprocket"
        assert item["status"] == "ok" and item["environment"] == "sandbox"
        assert item["account"] == {"email": info["demo"]["email"]}
        assert item["health"]["last_check_at"].endswith("Z") and item["health"]["last_error"] is None
        detail = (await v.call("GET", f"/api/v1/connections/{connection_id}")).json()
        assert detail["webhook"]["url"] == f"{portal.url}{setup.path}" and detail["webhook"]["secret"] == setup.secret
        assert detail["webhook"]["header_name"] == "x-api-key"

        tested = await v.call("POST", f"/api/v1/connections/{connection_id}/test")
        assert tested.status_code == 200 and tested.json()["ok"] and tested.json()["latency_ms"] >= 0


async def test_a_wrong_password_shows_shiprockets_own_message_until_the_credentials_are_fixed(
    portal: Portal, sandboxes: Any
) -> None:
    info = sandboxes.get("shiprocket")
    async with Visitor(portal.url) as v:
        await v.signup()
        connection_id, shown = await _connect_shiprocket(v, info, password="not-the-password")
        assert "Invalid email and password combination" in shown
        assert 'class="status needs_reauth"' in shown and "Update credentials" not in shown

        r = await v.call("POST", f"/connections/{connection_id}/reconnect")
        assert r.status_code == 303 and r.headers["location"] == f"/connections/{connection_id}/credentials"
        form = await v.client.get(r.headers["location"])
        assert form.status_code == 200 and 'name="password"' in form.text
        r = await v.call("POST", f"/connections/{connection_id}/credentials", data=_shiprocket_form(info))
        assert r.status_code == 303
        fixed = (await v.client.get(r.headers["location"])).text
        assert "Credentials updated. Test passed" in fixed and 'class="status ok"' in fixed

        r = await v.call("POST", f"/connections/{connection_id}/delete", data={"confirm": "yes"})
        assert r.status_code == 400 and "type DELETE to confirm" in r.text
        r = await v.call("POST", f"/connections/{connection_id}/delete", data={"confirm": "delete"})
        assert r.status_code == 303 and r.headers["location"] == "/connections"
        assert (await v.call("GET", f"/api/v1/connections/{connection_id}")).status_code == 404

        api = await v.call(
            "POST",
            "/api/v1/connections",
            json={
                "provider": "shiprocket",
                "environment": "sandbox",
                "credentials": {"email": info["demo"]["email"], "password": "still wrong"},
            },
        )
        assert api.status_code == 201, api.text
        body = api.json()
        assert body["test"]["ok"] is False and "Invalid email and password combination" in body["test"]["error"]
        assert body["status"] == "needs_reauth"


async def test_zoho_connects_in_india_through_the_real_oauth_redirect(portal: Portal, sandboxes: Any) -> None:
    info = sandboxes.get("zoho")
    client = _zoho_client(info, portal)
    async with Visitor(portal.url) as v:
        await v.signup("Kaveri Spices")
        form = (await v.client.get("/connections/new/zoho")).text
        for label in ("India (zoho.in)", "United States (zoho.com)", "Canada (zohocloud.ca)", "Saudi Arabia (zoho.sa)"):
            assert label in form
        assert len(re.findall(r'<option value="(us|eu|in|au|jp|ca|cn|sa)"', form)) == 8
        assert html.escape(portal.url + CALLBACK) in form

        r = await v.call(
            "POST",
            "/connections/new/zoho",
            data={
                "display_name": "Zoho India",
                "region": "in",
                "environment": "sandbox",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
            },
        )
        assert r.status_code == 303, r.text
        authorize = r.headers["location"]
        assert authorize.startswith(info["data_centres"]["in"]["accounts_url"] + "/oauth/v2/auth?")
        waiting = (await v.call("GET", "/api/v1/connections")).json()["items"]
        assert [c["authorised"] for c in waiting] == [False] and waiting[0]["status"] == "needs_reauth"

        back = await _consent(authorize, "accept")
        assert back.startswith(portal.url + CALLBACK + "?")
        query = parse_qs(urlsplit(back).query)
        assert query["location"] == ["in"] and "accounts-server" in query
        r = await v.client.get(back)
        assert r.status_code == 303, r.text
        connection_id = waiting[0]["connection_id"]
        assert r.headers["location"] == f"/connections/{connection_id}"
        shown = (await v.client.get(r.headers["location"])).text
        assert "Zoho connected as “Zoho India” in India (zoho.in). Your Zoho organisation was found." in shown
        assert "Test passed" in shown and 'class="status ok"' in shown
        assert re.search(r"<dt>Organisation</dt>\s*<dd>60012345678</dd>", shown)  # the sandbox's only one
        assert "/hooks/zoho/" + connection_id in shown

        detail = (await v.call("GET", f"/api/v1/connections/{connection_id}")).json()
        assert detail["status"] == "ok" and detail["authorised"] and detail["organisation_known"]
        assert {"refresh_token", "organization_id"} <= set(detail["credential_fields"])
        assert detail["account"] == {"organization_id": "60012345678"}
        assert detail["region"] == "in" and detail["webhook"]["scheme"] == "hmac_sha256"


async def test_refusing_at_zoho_says_so_on_the_connection(portal: Portal, sandboxes: Any) -> None:
    info = sandboxes.get("zoho")
    client = _zoho_client(info, portal)
    async with Visitor(portal.url) as v:
        await v.signup()
        r = await v.call(
            "POST",
            "/api/v1/connections/oauth",
            json={
                "region": "in",
                "environment": "sandbox",
                "name": "Zoho",
                "credentials": {"client_id": client["client_id"], "client_secret": client["client_secret"]},
            },
        )
        assert r.status_code == 201, r.text
        started = r.json()
        back = await _consent(started["authorize_url"], "reject")
        assert "error=access_denied" in back
        r = await v.client.get(back)
        assert r.status_code == 303 and r.headers["location"] == f"/connections/{started['connection_id']}"
        shown = (await v.client.get(r.headers["location"])).text
        assert "Zoho was not connected: access was refused on Zoho&#39;s consent page" in shown
        assert "Awaiting authorisation" in shown


async def test_a_viewer_sees_connections_but_cannot_connect(portal: Portal, sandboxes: Any) -> None:
    info = sandboxes.get("shiprocket")
    async with Visitor(portal.url) as owner:
        await owner.signup()
        connection_id, _ = await _connect_shiprocket(owner, info)
        async with await _viewer_of(owner, portal.url) as viewer:
            listing = await viewer.client.get("/connections")
            assert listing.status_code == 200 and "Shiprocket main" in listing.text
            assert "only admins see it" in listing.text and "Test now</button>" not in listing.text
            secret = (await owner.call("GET", f"/api/v1/connections/{connection_id}")).json()["webhook"]["secret"]
            assert secret not in listing.text
            assert (await viewer.call("GET", f"/api/v1/connections/{connection_id}")).json()["webhook"][
                "secret"
            ] is None

            assert (await viewer.client.get("/connections/new")).status_code == 403
            r = await viewer.call("POST", "/connections/new/shiprocket", data=_shiprocket_form(info))
            assert r.status_code == 403
            r = await viewer.call(
                "POST", "/api/v1/connections", json={"provider": "shiprocket", "credentials": {"email": "a@b.in"}}
            )
            assert r.status_code == 403 and r.json()["error"] == "forbidden"
            assert (await viewer.call("DELETE", f"/api/v1/connections/{connection_id}")).status_code == 403


async def test_another_tenants_connection_answers_404(portal: Portal, sandboxes: Any) -> None:
    info = sandboxes.get("shiprocket")
    async with Visitor(portal.url) as first, Visitor(portal.url) as second:
        await first.signup("First Traders")
        connection_id, _ = await _connect_shiprocket(first, info)
        await second.signup("Second Traders")
        assert (await second.client.get(f"/connections/{connection_id}")).status_code == 404
        assert (await second.client.get(f"/connections/{connection_id}/credentials")).status_code == 404
        assert (await second.call("GET", f"/api/v1/connections/{connection_id}")).status_code == 404
        assert (await second.call("POST", f"/api/v1/connections/{connection_id}/test")).status_code == 404
        assert (await second.call("DELETE", f"/api/v1/connections/{connection_id}")).status_code == 404
        r = await second.call("POST", "/api/v1/connections/oauth", json={"connection_id": connection_id})
        assert r.status_code == 404
        assert (await first.call("GET", f"/api/v1/connections/{connection_id}")).status_code == 200


async def test_a_missing_credential_field_answers_400_naming_it(portal: Portal) -> None:
    async with Visitor(portal.url) as v:
        await v.signup()
        r = await v.call(
            "POST",
            "/api/v1/connections",
            json={"provider": "shiprocket", "environment": "sandbox", "credentials": {"email": "ops@acme.in"}},
        )
        assert r.status_code == 400
        assert r.json()["fields"] == [{"field": "credentials.password", "description": "is required"}]
        r = await v.call("POST", "/api/v1/connections/oauth", json={"region": "in", "credentials": {"client_id": "x"}})
        assert r.status_code == 400 and r.json()["fields"][0]["field"] == "credentials.client_secret"
        r = await v.call("POST", "/api/v1/connections", json={"provider": "fedex", "credentials": {}})
        assert r.status_code == 400 and r.json()["fields"][0]["field"] == "provider"
        page = await v.call("POST", "/connections/new/shipstation", data={"api_key": "k", "environment": "sandbox"})
        assert page.status_code == 400
        assert "<code>api_secret</code>: is required" in page.text and 'value="k"' in page.text
        assert (await v.call("GET", "/api/v1/connections")).json()["items"] == []


async def test_providers_lists_every_zoho_data_centre_and_each_providers_fields(portal: Portal) -> None:
    async with Visitor(portal.url) as v:
        await v.signup()
        items = {p["provider"]: p for p in (await v.call("GET", "/api/v1/providers")).json()["items"]}
    assert set(items) == {"zoho", "shiprocket", "shipstation", "magento", "amazon"}
    assert items["zoho"]["connect"] == "oauth" and len(items["zoho"]["regions"]) == 8
    assert {"region": "in", "label": "India (zoho.in)"} in items["zoho"]["regions"]
    amazon = {f["name"]: f for f in items["amazon"]["credentials"]}
    assert amazon["refresh_token"]["secret"] and amazon["selling_partner_id"]["required"]
    assert {"value": "A21TJRUUN4KGV", "label": "India (amazon.in)"} in amazon["marketplace_id"]["choices"]
    assert items["magento"]["one_of"] == [["integration_token"], ["username", "password"]]


# ------------------------------------------------------------------ pure parts, no servers


def test_zoho_regions_come_from_the_core_catalogue_with_their_domains() -> None:
    regions = dict(catalogue.zoho_regions())
    assert list(regions) == ["us", "eu", "in", "au", "jp", "ca", "cn", "sa"]
    assert regions["in"] == "India (zoho.in)" and regions["au"] == "Australia (zoho.com.au)"


def test_credentials_name_every_missing_field_in_the_callers_terms() -> None:
    with pytest.raises(Problem) as err:
        catalogue.credentials(catalogue.offer("magento"), {"store_url": "shop.example.in"}, prefix="credentials.")
    fields = {f.field for f in err.value.fields}
    assert fields == {"credentials.integration_token", "credentials.store_url"}
    made = catalogue.credentials(catalogue.offer("shipstation"), {"api_key": " k ", "api_secret": "s"})
    assert made.api_key.api_key == "k" and made.api_key.api_secret == "s"


def test_a_viewer_never_sees_a_webhook_secret_even_inside_shipstations_url() -> None:
    setup = webhook_pb2.GetWebhookSetupResponse(
        path="/hooks/shipstation/c1/abc123", scheme=webhook_pb2.WEBHOOK_SCHEME_URL_SECRET, secret="abc123"
    )
    hidden = service.webhook_of("shipstation", setup, "https://portal.example.in/", reveal=False)
    assert hidden.secret is None and "abc123" not in hidden.url and hidden.url.startswith("https://portal.example.in/")
    shown = service.webhook_of("shipstation", setup, "https://portal.example.in", reveal=True)
    assert shown.url == "https://portal.example.in/hooks/shipstation/c1/abc123"
    tracking = webhook_pb2.GetWebhookSetupResponse(path="/hooks/tracking/c1", secret="s")
    assert "refuse" in service.webhook_of("shiprocket", tracking, "https://portal.sr-traders.in", reveal=True).warning
