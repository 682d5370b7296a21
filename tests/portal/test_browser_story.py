"""The portal's whole story in a real headless Chromium, against the real portal, core, worker, PostgreSQL,
Redis and provider sandboxes:

1. a new merchant signs up, connects Zoho in the India data centre through the OAuth redirect (the
   platform's own Zoho app, consent given on the Zoho sandbox's page) and Shiprocket, and sees both healthy;
2. an order confirmed in the Zoho sandbox reaches the portal as Zoho's signed webhook and its AWB appears in
   the merchant's sync history;
3. the merchant breaks the courier mapping (only a courier that does not exist is allowed), so the next
   order fails with "serviceability failed"; they fix the mapping, dry-run and replay it from the page, and it
   gets its AWB;
4. Zoho goes down while Shiprocket reports the first parcel picked up, so that tracking update is
   dead-lettered; a support engineer finds the order by its AWB, gives a reason, reads it (personal data
   masked) and replays it, and the status reaches Zoho;
5. the merchant's owner reads those support accesses, with their reasons, in the audit log.

Screenshots of every step are kept under ``artifacts/screenshots/``.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from playwright.async_api import Browser, Page, expect

from connectors.demo import wire_webhooks
from connectors.settings import Settings
from portal.accounts import service
from sandbox.zoho.seed import DEMO_REDIRECT_URIS
from tests.conftest import CoreHandle, Database, eventually
from tests.portal.browser import Shots
from tests.portal.conftest import PASSWORD, portal_settings, serving
from tests.workers.conftest import in_process_worker

STORY_SECONDS = 120.0
"""Generous: the worker shares the test session's queue and the Zoho organisation's 100 calls a minute with
every earlier test."""
within = functools.partial(eventually, seconds=STORY_SECONDS)


@dataclass
class Zoho:
    """The merchant's Zoho organisation, as the merchant's own staff use it (the sandbox's API)."""

    info: dict[str, Any]
    http: httpx.AsyncClient
    token: str = ""

    async def api(self, method: str, path: str, **kwargs: Any) -> Any:
        demo = self.info["demo"]
        # One token for the whole test: Zoho mints at most ten per refresh token in ten minutes.
        self.token = self.token or (
            await self.http.post(
                f"{demo['accounts_url']}/oauth/v2/token",
                data={
                    "grant_type": "refresh_token", "refresh_token": demo["refresh_token"],
                    "client_id": demo["client_id"], "client_secret": demo["client_secret"],
                },
            )
        ).json()["access_token"]  # fmt: skip
        token = self.token
        params = {"organization_id": demo["organization_id"], **kwargs.pop("params", {})}
        r = await self.http.request(
            method,
            f"{demo['api_domain']}/inventory/v1{path}",
            params=params,
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
            **kwargs,
        )
        r.raise_for_status()
        return r.json()

    async def confirm_a_draft(self) -> dict[str, Any]:
        """The next draft sales order, confirmed (Zoho then posts its signed webhook to the portal)."""
        drafts = (await self.api("GET", "/salesorders", params={"status": "draft"}))["salesorders"]
        assert drafts, "the Zoho sandbox has no draft sales order left"
        order = drafts[0]
        await self.api("POST", f"/salesorders/{order['salesorder_id']}/status/confirmed")
        return dict(order)

    async def field(self, salesorder_id: str, name: str) -> str:
        order = (await self.api("GET", f"/salesorders/{salesorder_id}"))["salesorder"]
        for f in order.get("custom_fields") or []:
            if f.get("api_name") == name:
                return str(f.get("value") or "")
        return str(order.get(name) or "")


@dataclass
class World:
    portal: str
    zoho: Zoho
    shiprocket: dict[str, Any]
    core: CoreHandle
    support_email: str


@pytest.fixture
async def world(core: CoreHandle, sandboxes: Any, db: Database) -> AsyncIterator[World]:
    zoho_info, shiprocket_info = sandboxes.fresh("zoho"), sandboxes.fresh("shiprocket")
    settings = portal_settings(core)
    worker_settings = Settings(
        database_url=core.settings.database_url,
        redis_url=core.settings.redis_url,
        core_addr=f"127.0.0.1:{core.core.port}",
        service_tokens=core.settings.service_tokens,
    )
    arq = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    support_email = f"support-{uuid.uuid4().hex[:6]}@connectors.example"
    await service.create_user(db.sessions, support_email, "Priya (support)", PASSWORD, is_support=True)
    async with serving(settings) as url, in_process_worker(worker_settings, arq), httpx.AsyncClient(timeout=30) as http:
        demo = zoho_info["demo"]
        # The platform's Zoho app (the sandbox's demo app, as `make up` offers it) knows this portal's callback.
        registered = await http.post(
            f"{zoho_info['admin_url']}/zoho/clients",
            json={
                "owner": demo["account"], "client_id": demo["client_id"], "client_secret": demo["client_secret"],
                "redirect_uris": [*DEMO_REDIRECT_URIS, f"{url}/connections/oauth/callback"],
            },
        )  # fmt: skip
        registered.raise_for_status()
        # The test's own reads of Zoho must not eat the worker's 100 calls a minute.
        await http.post(f"{zoho_info['admin_url']}/zoho/settings", json={"per_minute": 5000})
        yield World(url, Zoho(zoho_info, http), shiprocket_info, core, support_email)
    await arq.aclose()


async def sign_in(page: Page, portal: str, email: str) -> None:
    await page.goto(f"{portal}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def record_row(page: Page, portal: str, reference: str, text: str) -> bool:
    """Whether the merchant's records page, searched for ``reference``, shows ``text``."""
    await page.goto(f"{portal}/records?state=any&reference={reference}")
    return (
        text in await page.locator("table.records").inner_text()
        if await page.locator("table.records").count()
        else False
    )


@pytest.mark.timeout(600)
async def test_a_merchant_onboards_ships_fixes_a_failure_and_support_helps_audited(
    world: World, browser: Browser, shots: Shots
) -> None:
    portal, zoho = world.portal, world.zoho
    merchant = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await merchant.new_page()

    # 1. Sign up.
    email = f"asha-{uuid.uuid4().hex[:6]}@mehta-handlooms.in"
    await page.goto(f"{portal}/signup")
    await page.get_by_label("Business name").fill("Mehta Handlooms")
    await page.get_by_label("Your name").fill("Asha Mehta")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await shots.take(page, "signup")
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/connections$"))

    # Zoho, India, through the OAuth redirect and Zoho's consent page.
    await page.goto(f"{portal}/connections/new")
    await page.locator("a.conn-offer[href='/connections/new/zoho']").click()
    await page.locator("select[name=region]").select_option("in")
    await page.locator("select[name=environment]").select_option("sandbox")
    await shots.take(page, "connect-zoho")
    await page.get_by_role("button", name="Continue to Zoho").click()
    await expect(page.locator("h1")).to_contain_text("would like to access your Zoho data")
    assert page.url.startswith(zoho.info["data_centres"]["in"]["accounts_url"])
    await shots.take(page, "zoho-consent")
    await page.locator("#accept").click()
    await expect(page).to_have_url(re.compile(rf"^{re.escape(portal)}/connections"))

    # Shiprocket with its API user.
    demo = world.shiprocket["demo"]
    await page.goto(f"{portal}/connections/new/shiprocket")
    await page.locator("select[name=environment]").select_option("sandbox")
    await page.locator("input[name=email]").fill(demo["email"])
    await page.locator("input[name=password]").fill(demo["password"])
    await page.get_by_role("button", name="Connect and test").click()
    await page.goto(f"{portal}/connections")
    cards = page.locator("section.conn")
    await expect(cards).to_have_count(2)
    for i in range(2):
        await expect(cards.nth(i).locator(".status")).to_have_class(re.compile(r"\bok\b"))
    await shots.take(page, "both-healthy")

    # The merchant configures the webhook URLs the portal shows at Zoho and Shiprocket.
    me = await (await page.request.get(f"{portal}/api/v1/me")).json()
    tenant = me["tenant_id"]
    wired = await wire_webhooks(world.core, tenant, portal, {"zoho": zoho.info, "shiprocket": world.shiprocket})
    assert len(wired) == 2, wired

    # 2. An order confirmed in Zoho gets its AWB, seen in the sync history.
    first = await zoho.confirm_a_draft()
    number = first["salesorder_number"]
    awb = await within(
        lambda: _awb(zoho, first["salesorder_id"]), "the first order's AWB", explain=lambda: _records(page, portal)
    )
    assert await within(lambda: record_row(page, portal, number, awb), "the AWB in the sync history")
    await shots.take(page, "awb-arrived")

    # 3. A broken courier mapping fails the next order; fixed, dry-run and replayed from the page.
    await page.goto(f"{portal}/settings")
    courier = page.locator("form", has=page.locator("input[name=allowed]"))
    await courier.locator("input[name=allowed]").fill("No Such Courier")
    await courier.get_by_role("button", name=re.compile("Save")).first.click()
    await shots.take(page, "mapping-broken")
    second = await zoho.confirm_a_draft()
    await within(
        lambda: record_row(page, portal, second["salesorder_number"], "No courier can take it"),
        "the second order's failure",
    )
    await page.goto(f"{portal}/records")
    await expect(page.locator("#group-serviceability_failed")).to_be_visible()
    await shots.take(page, "failed-by-reason")
    await page.goto(f"{portal}/settings")
    courier = page.locator("form", has=page.locator("input[name=allowed]"))
    await courier.locator("input[name=allowed]").fill("")
    await courier.get_by_role("button", name=re.compile("Save")).first.click()
    await page.goto(f"{portal}/records?state=dead&reference={second['salesorder_number']}")
    form = page.locator("#records-form")
    await form.locator("input[name=record_id]").first.check()
    await form.locator("input[name=why]").fill("Allowed every courier again")
    await form.get_by_role("button", name="Dry run").click()
    await expect(page.locator("body")).to_contain_text("POST /orders/create/adhoc")
    await shots.take(page, "dry-run")
    await page.goto(f"{portal}/records?state=dead&reference={second['salesorder_number']}")
    form = page.locator("#records-form")
    await form.locator("input[name=record_id]").first.check()
    await form.locator("input[name=why]").fill("Allowed every courier again")
    await form.get_by_role("button", name="Replay selected").click()
    await expect(page.locator(".flash").first).to_be_visible()
    await shots.take(page, "replayed")
    second_awb = await within(lambda: _awb(zoho, second["salesorder_id"]), "the replayed order's AWB")
    assert await within(lambda: record_row(page, portal, second["salesorder_number"], second_awb), "its AWB")

    # 4. Zoho is down while Shiprocket reports the first parcel picked up: the update is dead-lettered.
    admin = zoho.info["admin_url"]
    fault = {"kind": "status", "status": 503, "retry_after": 0, "method": "PUT",
             "path_prefix": f"/inventory/v1/salesorders/{first['salesorder_id']}"}  # fmt: skip
    (await zoho.http.post(f"{admin}/faults", json=fault)).raise_for_status()
    moved = await zoho.http.post(
        f"{world.shiprocket['admin_url']}/shipments/{awb}/advance", json={"status": "PICKED UP"}
    )
    assert moved.status_code == 200, moved.text
    await within(lambda: record_row(page, portal, awb, "Failed"), "the tracking update's dead letter")
    (await zoho.http.delete(f"{admin}/faults")).raise_for_status()

    support = await browser.new_context(viewport={"width": 1280, "height": 900})
    desk = await support.new_page()
    await sign_in(desk, portal, world.support_email)
    await expect(desk).to_have_url(re.compile(r"/support"))
    await desk.get_by_label("Reference").fill(awb)
    await desk.get_by_label("Why do you need to look?").fill("Ticket 7731: merchant asks why SO status is stale")
    await desk.get_by_role("button", name="Search every tenant").click()
    await shots.take(desk, "support-found")
    dead_row = desk.locator("tr", has=desk.locator(".status.dead"))
    await dead_row.locator("a").first.click()
    await expect(desk.locator("body")).to_contain_text("Ticket 7731")
    assert "Asha Mehta" not in await desk.locator("body").inner_text()  # masked
    await shots.take(desk, "support-record")
    await desk.get_by_label("Why replay it?").fill("Ticket 7731: Zoho was down, retrying the update")
    await desk.get_by_role("button", name="Replay", exact=True).click()
    await shots.take(desk, "support-replayed")
    await within(
        lambda: _field_is(zoho, first["salesorder_id"], "cf_shipment_status", "Picked Up"), "the status in Zoho"
    )

    # 5. The owner reads the support engineer's accesses and their reasons.
    await page.goto(f"{portal}/audit")
    body = page.locator("body")
    await expect(body).to_contain_text(world.support_email)
    await expect(body).to_contain_text("Ticket 7731: Zoho was down, retrying the update")
    await expect(body).to_contain_text("record.replay")
    await shots.take(page, "owner-audit")
    # And the dashboard at a glance: both connections, today's orders in the chart.
    await page.goto(f"{portal}/")
    await expect(page.locator("article.card.connection")).to_have_count(2)
    await expect(page.locator("svg.chart")).to_be_visible()
    await shots.take(page, "dashboard")
    await support.close()
    await merchant.close()


async def _records(page: Page, portal: str) -> str:
    """What the portal knows, for a failure's message: the tenant's records and connections."""
    records = await (await page.request.get(f"{portal}/api/v1/records?state=any")).text()
    connections = await (await page.request.get(f"{portal}/api/v1/connections")).text()
    return f"records: {records[:3000]}\nconnections: {connections[:2000]}"


async def _awb(zoho: Zoho, salesorder_id: str) -> str | None:
    return await zoho.field(salesorder_id, "cf_awb_number") or None


async def _field_is(zoho: Zoho, salesorder_id: str, name: str, words: str) -> bool:
    return (await zoho.field(salesorder_id, name)).lower() == words.lower()
