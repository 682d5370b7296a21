"""The settings page and its JSON API through the real portal, core and PostgreSQL: structured forms and the raw
JSON editor, refusals naming the field, viewers reading only, reset to defaults, secrets never shown; and the
forms' pure conversions between form fields and JSON."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from portal.preferences import forms
from portal.web.errors import Problem
from tenants.db import tenant_session
from tenants.models import TenantSetting
from tests.portal.browser import Shots
from tests.portal.conftest import PASSWORD, Portal, Visitor

WEBHOOK_SECRET = "whsec-" + "k" * 24


async def post_form(v: Visitor, path: str, fields: dict[str, str]) -> httpx.Response:
    """A browser's form post: the CSRF token as a form field, not a header."""
    return await v.client.post(path, data={"_csrf_token": await v.csrf(), **fields})


async def values(v: Visitor) -> dict[str, Any]:
    r = await v.call("GET", "/api/v1/settings")
    assert r.status_code == 200, r.text
    return {s["key"]: s["value"] for s in r.json()["items"]}


async def stored(portal: Portal, tenant_id: str) -> dict[str, Any]:
    """The tenant's settings as the workers read them (secrets included)."""
    async with tenant_session(portal.db.sessions, uuid.UUID(tenant_id)) as session:
        return {row.key: row.value for row in (await session.execute(select(TenantSetting))).scalars()}


async def viewer_of(portal: Portal, owner: Visitor) -> Visitor:
    email = f"viewer-{uuid.uuid4().hex[:8]}@example.in"
    r = await owner.call("POST", "/api/v1/team/invitations", json={"email": email, "role": "viewer"})
    tenant, token = re.search(r"/invite/([^/]+)/([^/]+)$", r.json()["url"]).groups()  # type: ignore[union-attr]
    viewer = Visitor(portal.url)
    r = await viewer.call("POST", f"/api/v1/invitations/{tenant}/{token}", json={"name": "Ravi", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "viewer", r.text
    return viewer


# ------------------------------------------------------------------ through the portal


async def test_an_admin_saves_courier_priority_with_the_page_form_and_with_json(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        await owner.signup("Mehta Handlooms")
        page = await owner.client.get("/settings")
        assert page.status_code == 200
        for title in ("Courier priority", "Status mapping", "Warehouse mapping", "Alert channel", "Fulfilment"):
            assert title in page.text
        assert 'placeholder="Pickup Scheduled"' in page.text  # the status table shows the default words

        r = await post_form(
            owner,
            "/settings/courier_priority",
            {
                "action": "save", "rank_1": "etd", "rank_2": "cost", "rank_3": "",
                "allowed": "Delhivery, Blue Dart", "blocked": "", "max_etd_days": "4", "min_rating": "3.5",
            },
        )  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == "/settings#courier_priority"
        assert (await values(owner))["courier_priority"] == {
            "rank_by": ["etd", "cost"], "allowed": ["Delhivery", "Blue Dart"], "max_etd_days": 4, "min_rating": 3.5,
        }  # fmt: skip
        again = await owner.client.get("/settings")
        assert "Courier priority saved." in again.text and 'value="Delhivery, Blue Dart"' in again.text

        r = await owner.call("PUT", "/api/v1/settings/courier_priority", json={"value": {"rank_by": ["rating"]}})
        assert r.status_code == 200, r.text
        assert r.json()["key"] == "courier_priority" and r.json()["value"] == {"rank_by": ["rating"]}
        assert r.json()["update_time"]
        assert (await values(owner))["courier_priority"] == {"rank_by": ["rating"]}


async def test_a_refused_value_is_shown_next_to_the_form_with_its_field_path(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        await owner.signup()
        r = await post_form(
            owner,
            "/settings/warehouse_map",
            {"action": "save", "location.0": "LOC-7", "pickup.0": "Pune WH", "pincode.0": "4110"},
        )
        assert r.status_code == 400
        assert "value.LOC-7.pincode" in r.text and "not a 6-digit Indian pin code" in r.text
        assert re.search(r'name="pincode\.0" value="4110"[^>]*aria-invalid="true"', r.text)  # kept and marked

        r = await post_form(owner, "/settings/shipstation_books", {"action": "save", "poll_seconds": "5 min"})
        assert r.status_code == 400 and "value.poll_seconds" in r.text

        r = await post_form(owner, "/settings/books", {"action": "save_json", "json": '{"bank": "HDFC"}'})
        assert r.status_code == 400 and "value.bank" in r.text
        assert "{&#34;bank&#34;: &#34;HDFC&#34;}" in r.text  # the editor keeps what was typed

        r = await owner.call("PUT", "/api/v1/settings/courier_priority", json={"value": {"rank_by": ["speed"]}})
        assert r.status_code == 400
        assert [f["field"] for f in r.json()["fields"]] == ["value.rank_by"]
        assert await values(owner) == dict.fromkeys(forms.TITLES)  # nothing was stored


async def test_a_viewer_reads_settings_but_cannot_save_them(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        await owner.signup()
        await owner.call("PUT", "/api/v1/settings/status_map", json={"value": {"DELIVERED": "Handed over"}})
        viewer = await viewer_of(portal, owner)
        async with viewer:
            page = await viewer.client.get("/settings")
            assert page.status_code == 200 and "only admins and the owner can change them" in page.text
            assert 'value="Handed over"' in page.text and "<fieldset disabled>" in page.text
            assert (await values(viewer))["status_map"] == {"DELIVERED": "Handed over"}
            r = await post_form(viewer, "/settings/status_map", {"action": "reset"})
            assert r.status_code == 403
            r = await viewer.call("PUT", "/api/v1/settings/status_map", json={"value": None})
            assert r.status_code == 403 and r.json()["error"] == "forbidden"
        assert (await values(owner))["status_map"] == {"DELIVERED": "Handed over"}


async def test_reset_to_defaults_deletes_the_key(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        me = await owner.signup()
        warehouses = {"LOC-1": {"pickup_location": "Bengaluru WH", "pincode": "560002"}}
        assert (
            await owner.call("PUT", "/api/v1/settings/warehouse_map", json={"value": warehouses})
        ).status_code == 200
        assert (await stored(portal, me["tenant_id"]))["warehouse_map"] == warehouses

        r = await post_form(owner, "/settings/warehouse_map", {"action": "reset"})
        assert r.status_code == 303
        assert (await values(owner))["warehouse_map"] is None
        assert "warehouse_map" not in await stored(portal, me["tenant_id"])
        assert "Warehouse mapping: back to the defaults." in (await owner.client.get("/settings")).text

        await owner.call("PUT", "/api/v1/settings/status_map", json={"value": {"LOST": "Lost"}})
        r = await owner.call("PUT", "/api/v1/settings/status_map", json={"value": None})
        assert r.status_code == 200 and r.json()["value"] is None and r.json()["update_time"] is None


async def test_alert_channel_secrets_are_never_shown_and_a_blank_secret_keeps_the_stored_one(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        me = await owner.signup()
        hook = {"kind": "webhook", "url": "https://hooks.mehta.in/alerts", "secret": WEBHOOK_SECRET}
        r = await owner.call("PUT", "/api/v1/settings/alert_channel", json={"value": hook})
        assert r.status_code == 200 and r.json()["value"]["secret"] == "<redacted>"

        page = await owner.client.get("/settings")
        assert WEBHOOK_SECRET not in page.text and "Stored: leave blank to keep it" in page.text
        r = await post_form(
            owner, "/settings/alert_channel", {"action": "save", "kind": "webhook", "url": "https://hooks.mehta.in/v2"}
        )
        assert r.status_code == 303
        assert (await stored(portal, me["tenant_id"]))["alert_channel"] == {**hook, "url": "https://hooks.mehta.in/v2"}

        r = await post_form(
            owner,
            "/settings/alert_channel",
            {"action": "save", "kind": "webhook", "url": "https://hooks.mehta.in/v2", "secret": "too-short"},
        )
        assert r.status_code == 400 and "value.secret" in r.text and "too-short" not in r.text


async def test_settings_need_a_member_and_an_unknown_key_is_not_found(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        await owner.signup()
        r = await post_form(owner, "/settings/courier", {"action": "reset"})
        assert r.status_code == 404
    async with Visitor(portal.url) as stranger:
        assert (await stranger.call("GET", "/api/v1/settings")).status_code == 401
        r = await stranger.client.get("/settings")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


# ------------------------------------------------------------------ the forms' conversions (pure)


def test_the_courier_form_round_trips_and_keeps_keys_it_does_not_show() -> None:
    stored = {"rank_by": ["etd"], "allowed": ["Delhivery"], "max_etd_days": 3, "note": "kept"}
    fields = forms.to_fields("courier_priority", stored)
    assert fields["rank_1"] == "etd" and fields["rank_2"] == "" and fields["allowed"] == "Delhivery"
    assert forms.from_fields("courier_priority", fields, stored) == stored
    defaults = forms.to_fields("courier_priority", None)
    assert [defaults[f"rank_{i}"] for i in (1, 2, 3)] == ["cost", "etd", "rating"]
    with pytest.raises(Problem) as refused:
        forms.from_fields("courier_priority", {**fields, "rank_2": "etd"})
    assert refused.value.fields[0].field == "value.rank_by"
    with pytest.raises(Problem) as refused:
        forms.from_fields("courier_priority", {**fields, "max_etd_days": "two"})
    assert refused.value.fields[0].field == "value.max_etd_days"


def test_the_status_table_stores_only_overrides_and_shows_every_default() -> None:
    defaults = forms.status_defaults()
    assert defaults["PICKUP SCHEDULED"] == "Pickup Scheduled" and defaults["DELIVERED COD"]
    assert defaults["RETURN DELIVERED"] == "Return Received - Awaiting QC"
    fields = forms.to_fields("status_map", {"delivered": "Handed over", "OUT FOR PICKUP AGAIN": "Second try"})
    rows = forms.indices(fields, "status")
    assert len(rows) == len(defaults) + 1 + forms.BLANK_ROWS
    assert fields[f"words.{list(defaults).index('DELIVERED')}"] == "Handed over"
    assert forms.from_fields("status_map", fields) == {"DELIVERED": "Handed over", "OUT FOR PICKUP AGAIN": "Second try"}
    blank = forms.to_fields("status_map", None)
    assert forms.from_fields("status_map", blank) is None  # nothing overridden: the key is deleted
    with pytest.raises(Problem):
        forms.from_fields("status_map", {"status.0": "", "words.0": "Orphan words"})


def test_warehouse_rows_become_a_map_and_a_refusal_marks_its_row() -> None:
    fields = {"location.0": "LOC-1", "pickup.0": "Pune", "pincode.0": "411001", "location.1": "", "pickup.1": ""}
    assert forms.from_fields("warehouse_map", fields) == {"LOC-1": {"pickup_location": "Pune", "pincode": "411001"}}
    assert forms.marked("warehouse_map", ["value.LOC-1.pincode"], fields) == {"pincode.0"}
    assert forms.marked("warehouse_map", ["value.LOC-1"], fields) == {"pickup.0", "pincode.0"}
    with pytest.raises(Problem) as refused:
        forms.from_fields("warehouse_map", {**fields, "location.1": "LOC-1", "pickup.1": "Other"})
    assert refused.value.fields[0].field == "value.LOC-1"
    with pytest.raises(Problem):
        forms.from_fields("warehouse_map", {"location.0": "", "pickup.0": "Pune", "pincode.0": ""})
    assert (
        forms.to_fields("warehouse_map", {"LOC-1": {"pickup_location": "Pune", "pincode": "411001"}})["pickup.0"]
        == "Pune"
    )


def test_the_schedule_form_reads_rates_by_line_and_whole_seconds() -> None:
    fields = {
        "poll_seconds": "600",
        "overlap_seconds": "",
        "exchange_rates": "usd = 83.50\nEUR: 90.1\n",
        "books_currency": "inr",
    }
    assert forms.from_fields("shipstation_books", fields) == {
        "poll_seconds": 600, "books_currency": "INR", "exchange_rates": {"USD": "83.50", "EUR": "90.1"},
    }  # fmt: skip
    assert forms.to_fields("shipstation_books", {"exchange_rates": {"USD": "83.50"}})["exchange_rates"] == "USD = 83.50"
    for bad, path in (
        ({"poll_seconds": "-5"}, "value.poll_seconds"),
        ({"exchange_rates": "dollars"}, "value.exchange_rates"),
    ):
        with pytest.raises(Problem) as refused:
            forms.from_fields("shipstation_books", bad)
        assert refused.value.fields[0].field == path


def test_the_alert_form_keeps_a_stored_secret_and_never_fills_one_in() -> None:
    stored = {"kind": "webhook", "url": "https://h.test/a", "secret": forms.REDACTED}
    fields = forms.to_fields("alert_channel", stored)
    assert fields["secret"] == "" and fields["url"] == "https://h.test/a"
    assert forms.from_fields("alert_channel", fields, stored) == stored  # "<redacted>" keeps the stored secret
    assert forms.from_fields("alert_channel", {**fields, "secret": "n" * 20}, stored)["secret"] == "n" * 20  # type: ignore[index]
    assert "secret" not in (forms.from_fields("alert_channel", fields, None) or {})  # nothing stored to keep
    email = {"kind": "email", "to": "a@shop.in, b@shop.in", "sender": "x@shop.in", "host": "smtp.shop.in",
             "port": "587", "starttls": "yes", "username": "", "password": ""}  # fmt: skip
    assert forms.from_fields("alert_channel", email) == {
        "kind": "email", "to": ["a@shop.in", "b@shop.in"], "sender": "x@shop.in", "host": "smtp.shop.in",
        "port": 587, "starttls": True,
    }  # fmt: skip
    assert forms.from_fields("alert_channel", {"kind": ""}, stored) is None  # no alerts: the key is deleted


# ------------------------------------------------------------------ in a real browser


async def test_in_a_browser_an_admin_fixes_a_refused_warehouse_row_and_saves_courier_priority(
    portal: Portal,
    browser: Browser,
    shots: Shots,
) -> None:
    async with Visitor(portal.url) as owner:
        me = await owner.signup("Browser Handlooms")
    context = await browser.new_context(base_url=portal.url)
    try:
        page = await context.new_page()
        await page.goto("/login")
        await page.fill('input[name="email"]', me["email"])
        await page.fill('input[name="password"]', PASSWORD)
        await page.click('button[type="submit"]')
        await page.goto("/settings")
        await shots.take(page, "settings")

        warehouses = page.locator("#warehouse_map")
        await warehouses.locator('input[name="location.0"]').fill("LOC-9")
        await warehouses.locator('input[name="pickup.0"]').fill("Mysuru WH")
        await warehouses.locator('input[name="pincode.0"]').fill("57000")
        await warehouses.get_by_role("button", name="Save warehouse mapping").click()
        await expect(page.locator("#warehouse_map .problem")).to_contain_text("value.LOC-9.pincode")
        await expect(page.locator('#warehouse_map input[name="pincode.0"]')).to_have_attribute("aria-invalid", "true")
        await shots.take(page, "refused-pin-code")

        await page.locator('#warehouse_map input[name="pincode.0"]').fill("570009")
        await page.locator("#warehouse_map").get_by_role("button", name="Save warehouse mapping").click()
        await expect(page.locator(".flash")).to_contain_text("Warehouse mapping saved.")

        priority = page.locator("#courier_priority")
        await priority.locator('select[name="rank_1"]').select_option("rating")
        await priority.locator('select[name="rank_2"]').select_option("cost")
        await priority.locator('select[name="rank_3"]').select_option("")
        await priority.locator('input[name="blocked"]').fill("Ecom Express")
        await priority.get_by_role("button", name="Save courier priority").click()
        await expect(page.locator(".flash")).to_contain_text("Courier priority saved.")
        await shots.take(page, "saved")
    finally:
        await context.close()
    assert (await stored(portal, me["tenant_id"])) == {
        "warehouse_map": {"LOC-9": {"pickup_location": "Mysuru WH", "pincode": "570009"}},
        "courier_priority": {"rank_by": ["rating", "cost"], "blocked": ["Ecom Express"]},
    }
