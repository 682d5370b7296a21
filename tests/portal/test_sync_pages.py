"""The dashboard, sync history and resync through the real portal, core, PostgreSQL and, for runs, a real worker
against the Zoho and Shiprocket sandboxes; and the pure parts (chart geometry, the merchant's days as UTC
instants, durations) without servers."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from portal.accounts import service as accounts
from portal.sync import service
from portal.sync.chart import Day, bar_chart, nice_ceiling
from portal.web.errors import Problem
from tenants.db import tenant_session
from tenants.models import TenantSetting
from tests.core.test_connections import connect
from tests.core.test_record_service import make_record
from tests.portal.browser import Shots
from tests.portal.conftest import PASSWORD, Portal, Visitor
from tests.portal.test_records_pages import member, merchant, post_form, text_of, wait_until
from tests.workers.conftest import in_process_worker
from workers.engine.outcomes import Reason

KOLKATA = ZoneInfo("Asia/Kolkata")


# ------------------------------------------------------------------ pure parts


def test_chart_bars_stack_failures_on_successes_against_a_nice_scale() -> None:
    days = [
        Day(date(2026, 11, 1) + timedelta(days=i), ok, bad) for i, (ok, bad) in enumerate([(0, 0), (30, 7), (12, 0)])
    ]
    chart = bar_chart(days, width=340, height=124)
    assert chart.top_value == 50  # 37 at most, rounded up to a nice number
    assert [t.value for t in chart.ticks] == [0, 25, 50]
    plot = chart.baseline - 10  # the plot's height: the box less the margins
    empty, busy, calm = chart.bars
    assert empty.ok_height == empty.bad_height == 0 and not chart.empty
    assert busy.ok_height == pytest.approx(plot * 30 / 50, abs=0.01)
    assert busy.bad_height == pytest.approx(plot * 7 / 50, abs=0.01)
    assert busy.ok_y + busy.ok_height == pytest.approx(chart.baseline)  # successes stand on the zero line
    assert busy.bad_y + busy.bad_height == pytest.approx(busy.ok_y)  # failures sit on top of them
    assert empty.x < busy.x < calm.x and busy.x - empty.x == pytest.approx(calm.x - busy.x)
    assert calm.x + calm.width <= chart.right and empty.x >= chart.left
    assert [b.label for b in chart.bars] == ["1 Nov", "2 Nov", "3 Nov"]
    assert busy.title == "Mon 02 Nov 2026: 30 synced, 7 failed"


def test_a_chart_of_nothing_has_a_scale_and_long_ranges_label_every_few_days() -> None:
    quiet = bar_chart([Day(date(2026, 11, 1), 0, 0)])
    assert quiet.empty and quiet.top_value == 1 and quiet.bars[0].ok_height == 0
    month = bar_chart([Day(date(2026, 10, 1) + timedelta(days=i), i, 0) for i in range(31)])
    labelled = [b for b in month.bars if b.label]
    assert 8 <= len(labelled) <= 16 and month.bars[-1].label == "31 Oct"  # the newest day is always labelled
    assert month.bars[-1].ok_y == pytest.approx(month.baseline - 30 * (month.baseline - 10) / 50)
    assert [nice_ceiling(n) for n in (0, 1, 2, 3, 7, 10, 11, 99, 101, 4000)] == [1, 1, 2, 5, 10, 10, 20, 100, 200, 5000]


def test_the_merchants_dates_become_utc_instants_at_the_edge() -> None:
    start, end = service.local_window(date(2026, 11, 1), date(2026, 11, 7), KOLKATA)
    assert (start, end) == (datetime(2026, 10, 31, 18, 30, tzinfo=UTC), datetime(2026, 11, 7, 18, 30, tzinfo=UTC))
    new_york = service.window_of("2026-03-08", "2026-03-08", ZoneInfo("America/New_York"))
    assert new_york[1] - new_york[0] == timedelta(hours=23)  # the day the clocks go forward
    instants = service.window_of("2026-11-01T00:00:00+05:30", "2026-11-02T00:00:00Z", KOLKATA)
    assert instants == (datetime(2026, 10, 31, 18, 30, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    for start_, end_, field in [
        ("2026-11-07", "2026-11-01", "window_end"),
        ("yesterday", "2026-11-01T00:00:00", "window_start"),
        ("2026-11-01T00:00:00+00:00", "2026-11-02T00:00:00", "window_end"),
        ("", "2026-11-01", "window_start"),
    ]:
        with pytest.raises(Problem) as refused:
            service.window_of(start_, end_, KOLKATA)
        assert refused.value.fields[0].field == field, (start_, end_)


def test_a_window_of_whole_days_reads_as_dates_and_any_other_as_instants() -> None:
    start, end = service.local_window(date(2026, 11, 1), date(2026, 11, 7), KOLKATA)
    assert service.window_words(start, end, KOLKATA) == "2026-11-01 to 2026-11-07"
    one = service.local_window(date(2026, 11, 1), date(2026, 11, 1), KOLKATA)
    assert service.window_words(*one, KOLKATA) == "2026-11-01"
    assert service.window_words(start, end, ZoneInfo("UTC")) == "2026-10-31 18:30 → 2026-11-07 18:30 UTC"
    assert service.window_words(None, end, KOLKATA) == ""


def test_durations_read_as_people_say_them() -> None:
    assert [service.words(s) for s in (0.4, 42, 60, 185, 3600, 7800, 90000)] == [
        "0 s", "42 s", "1 min", "3 min 5 s", "1 h", "2 h 10 min", "1 d 1 h",
    ]  # fmt: skip


def test_only_flows_that_discover_can_be_resynced() -> None:
    flows = {f.name: f for f in service.flows()}
    assert flows["fulfilment"].can_resync and not flows["fulfilment"].can_estimate
    assert flows["shipstation-books"].can_estimate
    assert not flows["tracking"].can_resync


# ------------------------------------------------------------------ through the portal


async def test_a_new_merchant_sees_an_empty_dashboard_that_says_what_to_do(portal: Portal) -> None:
    async with merchant(portal) as m:
        page = await m.visitor.client.get("/")
        assert page.status_code == 200, page.text
        words = text_of(page.text)
        assert "No connections yet" in words and 'href="/connections"' in page.text
        assert "No failed records: nothing is waiting for you" in words
        assert "No sync runs yet" in words
        assert page.text.count('<g class="day"') == 14 and "No records in these days yet" in words
        board = (await m.visitor.call("GET", "/api/v1/dashboard")).json()
        assert board["connections"] == [] and board["failed_by_reason"] == [] and board["runs"] == []
        assert len(board["summary"]["days"]) == 14 and board["summary"]["time_zone"] == "Asia/Kolkata"
        bad = await m.visitor.call("GET", "/api/v1/dashboard", params={"tz": "IST"})
        assert bad.status_code == 400 and bad.json()["fields"][0]["field"] == "tz"


async def test_the_dashboard_shows_health_failures_by_reason_and_the_days(portal: Portal, sandboxes: Any) -> None:
    async with merchant(portal) as m:
        await connect(portal.core, str(m.tenant), "shiprocket", sandboxes.get("shiprocket"))
        for i in range(2):
            await make_record(portal.db, m.tenant, f"zoho_salesorder:11{i}", dead=Reason.UNMAPPED_SKU)
        await make_record(portal.db, m.tenant, "zoho_salesorder:120", state="succeeded")
        today = datetime.now(UTC).astimezone(KOLKATA).date().isoformat()

        page = await m.visitor.client.get("/")
        assert page.status_code == 200, page.text
        words = text_of(page.text)
        assert "Shiprocket" in words and 'class="status ok"' in page.text and "Healthy" in words
        assert "Failed records 2" in words and "Create the item or map the SKU" in words
        assert 'href="/records?state=dead&amp;reason=unmapped_sku"' in page.text
        bar = re.search(rf'<g class="day" data-date="{today}">(.*?)</g>', page.text, re.S)
        assert bar is not None and "1 synced, 2 failed" in bar.group(1)
        assert 'class="ok"' in bar.group(1) and 'class="bad"' in bar.group(1)

        summary = await m.visitor.call("GET", "/api/v1/summary", params={"since": today, "until": today})
        assert summary.status_code == 200
        body = summary.json()
        assert body["days"] == [{"date": today, "succeeded": 1, "failed": 2, "skipped": 0, "pending": 0}]
        assert body["reasons"][0]["reason"] == "unmapped_sku" and body["reasons"][0]["count"] == 2
        assert body["reasons"][0]["title"] == "Unknown SKU"
        utc = await m.visitor.call("GET", "/api/v1/summary", params={"tz": "UTC", "flow": "tracking"})
        assert len(utc.json()["days"]) == 14 and utc.json()["reasons"] == []
        reversed_ = await m.visitor.call("GET", "/api/v1/summary", params={"since": today, "until": "2020-01-01"})
        assert reversed_.status_code == 400 and reversed_.json()["fields"][0]["field"] == "until"
        board = (await m.visitor.call("GET", "/api/v1/dashboard")).json()
        (card,) = board["connections"]
        assert (card["provider"], card["status"]) == ("shiprocket", "ok")


async def test_support_staff_acting_for_no_tenant_are_sent_on_to_the_support_console(
    portal: Portal,
    browser: Browser,
    shots: Shots,
) -> None:
    email = f"agent-{uuid.uuid4().hex[:8]}@platform.test"
    await accounts.create_user(portal.db.sessions, email, "Agent", PASSWORD, is_support=True)
    async with Visitor(portal.url) as agent:
        assert (await agent.login(email)).status_code == 200
        home = await agent.client.get("/")  # refused, as the route's level says, and pointed on
        assert home.status_code == 403 and home.headers["refresh"] == "0; url=/support"
        assert "your home is the support console" in home.text
        assert (await agent.client.get("/sync")).status_code == 403
        assert "refresh" not in (await agent.client.get("/sync")).headers
    async with Visitor(portal.url) as nobody:
        first = await nobody.client.get("/")
        assert first.status_code == 303 and first.headers["location"].startswith("/login")

    context = await browser.new_context(base_url=portal.url)
    try:
        page = await context.new_page()
        await page.goto("/login")
        await page.fill('input[name="email"]', email)
        await page.fill('input[name="password"]', PASSWORD)
        await page.click('button[type="submit"]')
        await expect(page).to_have_url(re.compile(r"/support$"))
        await page.goto("/")  # the brand link, or a bookmark
        await expect(page).to_have_url(re.compile(r"/support$"))
        await shots.take(page, "support-console")
    finally:
        await context.close()


async def test_a_resync_is_estimated_started_followed_live_and_listed(
    portal: Portal,
    sandboxes: Any,
    browser: Browser,
    shots: Shots,
) -> None:
    async with merchant(portal) as m, merchant(portal, "Other Traders") as other:
        zoho_info, shiprocket_info = sandboxes.fresh("zoho"), sandboxes.fresh("shiprocket")
        await connect(portal.core, str(m.tenant), "zoho", zoho_info)
        await connect(portal.core, str(m.tenant), "shiprocket", shiprocket_info)
        await connect(portal.core, str(m.tenant), "shipstation", sandboxes.fresh("shipstation"))
        async with tenant_session(portal.db.sessions, m.tenant) as session:  # no polling: only the runs asked for
            session.add(TenantSetting(tenant_id=m.tenant, key="shipstation_books", value={"poll_seconds": 0}))
        today = datetime.now(UTC).astimezone(KOLKATA).date()
        window = {"flow": "fulfilment", "window_start": (today - timedelta(days=1)).isoformat()}
        window["window_end"] = today.isoformat()

        empty = await m.visitor.client.get("/sync")
        assert empty.status_code == 200 and "No sync runs yet" in text_of(empty.text)
        assert 'name="window_start"' in empty.text and "Start resync" in empty.text

        # The fulfilment flow cannot estimate: the form says so beside itself, keeping what was typed.
        refused = await post_form(m.visitor, "/sync/runs", {**window, "tz": "Asia/Kolkata", "action": "estimate"})
        assert refused.status_code == 400 and "cannot estimate" in refused.text
        assert f'value="{window["window_start"]}"' in refused.text
        reversed_ = {**window, "window_start": today.isoformat(), "window_end": (today - timedelta(days=3)).isoformat()}
        backwards = await post_form(m.visitor, "/sync/runs", {**reversed_, "action": "start"})
        assert backwards.status_code == 400 and "must be on or after the start date" in backwards.text
        too_long = await m.visitor.call(
            "POST", "/api/v1/runs", json={**window, "window_start": (today - timedelta(days=120)).isoformat()}
        )
        assert too_long.status_code == 400 and too_long.json()["fields"][0]["field"] == "window_end"
        assert "90 days" in too_long.json()["fields"][0]["description"]

        async with member(portal, m, "viewer") as viewer:
            assert "Admins of your team can start a resync" in text_of((await viewer.client.get("/sync")).text)
            assert (await viewer.call("POST", "/api/v1/runs", json=window)).status_code == 403
            assert (await post_form(viewer, "/sync/runs", {**window, "action": "start"})).status_code == 403

        async with in_process_worker(portal.settings, portal.queue):
            # ShipStation to Books can estimate: a worker asks ShipStation, the page shows what it would take.
            books = {**window, "flow": "shipstation-books", "tz": "America/New_York"}
            estimated = await post_form(m.visitor, "/sync/runs", {**books, "action": "estimate"})
            assert estimated.status_code == 200, estimated.text[:3000]
            words = text_of(estimated.text)
            assert re.search(r"Estimate: \d+ records?, at least \d", words), words
            assert "order versions" in words and "ShipStation" in words and "Start this resync" in words
            assert 'name="tz" value="America/New_York"' in estimated.text
            api = await m.visitor.call("POST", "/api/v1/runs/estimate", json=books)
            assert api.status_code == 200, api.text
            assert {c["provider"] for c in api.json()["calls"]} == {"shipstation", "zoho"}
            assert api.json()["window_start"] == f"{window['window_start']}T05:00:00+00:00"  # New York's midnight

            # Started in a browser: the run's page follows it live until it completes.
            context = await browser.new_context(base_url=portal.url)
            try:
                tab = await context.new_page()
                await tab.goto("/login?next=/sync")
                await tab.fill('input[name="email"]', m.email)
                await tab.fill('input[name="password"]', PASSWORD)
                await tab.click('button[type="submit"]')
                await tab.select_option('select[name="flow"]', "fulfilment")
                await tab.fill('input[name="window_start"]', window["window_start"])
                await tab.fill('input[name="window_end"]', window["window_end"])
                await shots.take(tab, "resync-form")
                await tab.get_by_role("button", name="Start resync").click()
                await expect(tab).to_have_url(re.compile(r"/sync/runs/[0-9a-f-]{36}"))
                run_id = re.search(r"/sync/runs/([0-9a-f-]{36})", tab.url).group(1)  # type: ignore[union-attr]
                await expect(tab.locator(".flash")).to_contain_text("Resync of Fulfilment started")
                live = tab.locator(f'[data-poll="/api/v1/runs/{run_id}"]')
                await expect(live.locator('[data-field="state_label"]')).to_have_text("Completed", timeout=30_000)
                await expect(live.locator('[data-field="succeeded"]')).to_have_text("2")
                await expect(live.locator('[data-field="percent"]')).to_have_text("100%")
                await expect(live).to_have_attribute("data-live", "false")  # polling stopped
                # Then the page reloads once, for the run's final state and every record it started.
                await expect(tab.locator("table.records tbody tr")).to_have_count(2)
                await expect(live.locator(".status.completed")).to_have_text("Completed")
                await shots.take(tab, "run-completed")
            finally:
                await context.close()
            page = await m.visitor.client.get(f"/sync/runs/{run_id}")
            shown = set(re.findall(r'data-field="([a-z_]+)"', page.text))
            assert {"succeeded", "failed", "pending", "progress", "duration"} <= shown
            assert shown <= set((await m.visitor.call("GET", f"/api/v1/runs/{run_id}")).json())

            async def finished() -> dict[str, Any] | None:
                run: dict[str, Any] = (await m.visitor.call("GET", f"/api/v1/runs/{run_id}")).json()
                return run if run["finished"] else None

            run = await wait_until(finished, what="the run to finish")

            # Through the API, over a window long past: nothing to find, so it completes at once.
            asked = await m.visitor.call(
                "POST", "/api/v1/runs",
                json={"flow": "fulfilment", "window_start": "2020-01-01", "window_end": "2020-01-01", "tz": "UTC"},
            )  # fmt: skip
            assert asked.status_code == 201, asked.text
            quiet_id = asked.json()["run_id"]
            assert asked.json()["window_start"] == "2020-01-01T00:00:00+00:00"
            assert asked.json()["window_end"] == "2020-01-02T00:00:00+00:00"

            async def quiet_done() -> dict[str, Any] | None:
                quiet: dict[str, Any] = (await m.visitor.call("GET", f"/api/v1/runs/{quiet_id}")).json()
                return quiet if quiet["finished"] else None

            quiet = await wait_until(quiet_done, what="the empty run to finish")
            assert (quiet["state"], quiet["received"], quiet["progress"]) == ("completed", 0, 1)
        assert run["state"] == "completed", run
        assert (run["received"], run["succeeded"], run["failed"], run["pending"]) == (2, 2, 0, 0)
        assert run["progress"] == 1 and run["percent"] == "100%" and run["trigger"] == "manual"
        assert run["window_start"] == f"{(today - timedelta(days=2)).isoformat()}T18:30:00+00:00"
        assert run["duration_seconds"] > 0 and run["finished_at"]

        done = await m.visitor.client.get(f"/sync/runs/{run_id}")
        assert 'data-live="false"' in done.text
        assert done.text.count('href="/records/') == 2 and "Zoho sales order" in done.text
        history = await m.visitor.client.get("/sync")
        assert f'href="/sync/runs/{run_id}' in history.text and "Completed" in text_of(history.text)
        assert f"{window['window_start']} to {window['window_end']}" in text_of(history.text)
        listed = (await m.visitor.call("GET", "/api/v1/runs")).json()
        assert [r["run_id"] for r in listed["items"]] == [quiet_id, run_id] and listed["next_page_token"] == ""
        first = (await m.visitor.call("GET", "/api/v1/runs", params={"page_size": 1})).json()
        second = await m.visitor.call(
            "GET", "/api/v1/runs", params={"page_size": 1, "page_token": first["next_page_token"]}
        )
        assert [r["run_id"] for r in first["items"] + second.json()["items"]] == [quiet_id, run_id]
        assert (await m.visitor.call("GET", "/api/v1/runs", params={"state": "failed"})).json()["items"] == []
        board = (await m.visitor.call("GET", "/api/v1/dashboard")).json()
        assert [r["run_id"] for r in board["runs"]] == [quiet_id, run_id]

        # Another tenant's run does not exist for them.
        assert (await other.visitor.client.get(f"/sync/runs/{run_id}")).status_code == 404
        theirs = await other.visitor.call("GET", f"/api/v1/runs/{run_id}")
        assert theirs.status_code == 404 and theirs.json()["error"] == "not_found"
        assert (await other.visitor.call("GET", "/api/v1/runs")).json()["items"] == []


async def test_the_api_schema_describes_the_sync_and_records_routes(portal: Portal) -> None:
    async with Visitor(portal.url) as v:
        schema = (await v.client.get("/api/schema/openapi.json")).json()
    paths = schema["paths"]
    for path, method, tag in [
        ("/api/v1/runs", "get", "sync"), ("/api/v1/runs", "post", "sync"), ("/api/v1/runs/{run_id}", "get", "sync"),
        ("/api/v1/runs/estimate", "post", "sync"), ("/api/v1/summary", "get", "sync"),
        ("/api/v1/records", "get", "records"), ("/api/v1/records/{record_id}", "get", "records"),
        ("/api/v1/records/replay", "post", "records"),
    ]:  # fmt: skip
        assert paths[path][method]["tags"] == [tag], path
        assert paths[path][method].get("description"), path  # the handler's docstring
    assert "/records" not in paths and "/sync" not in paths  # pages are not API
    names = {p["name"] for p in paths["/api/v1/records"]["get"]["parameters"]}
    assert {"state", "flow", "reason", "reference", "page_token"} <= names
