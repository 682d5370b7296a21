"""Failed records and replay through the real portal, core, PostgreSQL and (for dry runs and replays that run)
a real worker against the Zoho and Shiprocket sandboxes: records grouped by reason, found by any reference,
one record's journal, dry runs that show what would be sent, replays with a reason, and who may do what."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, expect
from sqlalchemy import text

from connector.v1 import tenant_pb2, tenant_pb2_grpc, token_pb2, token_pb2_grpc
from portal.records import service
from tenants.db import tenant_session
from tenants.models import TenantSetting
from tests.core.test_connections import connect
from tests.core.test_record_service import make_record
from tests.portal.browser import Shots
from tests.portal.conftest import PASSWORD, Portal, Visitor
from tests.workers.conftest import Loop, in_process_worker, store_event, wait_for_record
from workers.engine import links
from workers.engine.outcomes import Reason
from workers.queue import QUEUE

FINISHED = ("succeeded", "dead", "skipped")


# ------------------------------------------------------------------ helpers (test_sync_pages uses them too)


@dataclass
class Merchant:
    """A tenant's owner, signed up and signed in through the portal."""

    visitor: Visitor
    tenant: uuid.UUID
    email: str


@contextlib.asynccontextmanager
async def merchant(portal: Portal, company: str = "Mehta Handlooms") -> AsyncIterator[Merchant]:
    """A new tenant and its signed-in owner; the tenant (records, runs, members) is deleted afterwards, so no
    later test's worker finds its leftovers."""
    async with Visitor(portal.url) as v:
        me = await v.signup(company)
        tenant = uuid.UUID(me["tenant_id"])
        try:
            yield Merchant(v, tenant, me["email"])
        finally:
            await portal.core.stub(tenant_pb2_grpc.TenantServiceStub).DeleteTenant(
                tenant_pb2.DeleteTenantRequest(tenant_id=str(tenant))
            )


@contextlib.asynccontextmanager
async def member(portal: Portal, owner: Merchant, role: str) -> AsyncIterator[Visitor]:
    """A teammate with ``role``, invited by the owner and signed in."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.in"
    r = await owner.visitor.call("POST", "/api/v1/team/invitations", json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    tenant, token = re.search(r"/invite/([^/]+)/([^/]+)$", r.json()["url"]).groups()  # type: ignore[union-attr]
    async with Visitor(portal.url) as v:
        r = await v.call("POST", f"/api/v1/invitations/{tenant}/{token}", json={"name": "Ravi", "password": PASSWORD})
        assert r.status_code == 200 and r.json()["role"] == role, r.text
        yield v


@contextlib.asynccontextmanager
async def browsing(chromium: Browser, url: str) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) on the portal until the block ends."""
    context = await chromium.new_context(base_url=url)
    try:
        yield context
    finally:
        await context.close()


async def post_form(v: Visitor, path: str, data: dict[str, Any]) -> httpx.Response:
    """A form's POST as a browser sends it, with the CSRF token the page's form carries."""
    return await v.client.post(path, data={**data, "_csrf_token": await v.csrf()})


async def follow(v: Visitor, answer: httpx.Response) -> httpx.Response:
    """The page a form's 303 leads to."""
    assert answer.status_code == 303, (answer.status_code, answer.text[:2000])
    return await v.client.get(answer.headers["location"])


def text_of(html: str) -> str:
    """The page's words, tags and repeated spaces removed (to assert on what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"').replace("&#39;", "'")


async def wait_until(check: Any, seconds: float = 30.0, what: str = "the condition") -> Any:
    """Poll ``check()`` (async) until it returns something true; fail after ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            while not (found := await check()):  # noqa: ASYNC110 - polling the portal's API
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"waited {seconds} s for {what}") from None
    return found


# ------------------------------------------------------------------ pure parts


def test_every_dead_letter_reason_is_explained_in_plain_words() -> None:
    for reason in Reason:
        text = service.explain(reason.value)
        assert text is not service.UNKNOWN_REASON, reason
        assert text.title and text.meaning.endswith(".") and "replay" in text.fix.lower()
    assert service.explain("something_new") is service.UNKNOWN_REASON


def test_a_replay_leaves_one_message_per_refusal_and_says_when_more_matched() -> None:
    results = [service.ReplayResult(str(i), True, "", f"job{i}", None) for i in range(3)]
    results += [
        service.ReplayResult("x", False, "record x is succeeded; only dead-lettered records are replayed", "", None)
    ]
    messages = service.replay_messages(service.ReplayAnswer(False, "SKUs mapped", results, truncated=True))
    assert messages[0].startswith("Replayed 3 records (reason: “SKUs mapped”); 1 refused")
    assert messages[1] == "Not replayed: record x is succeeded; only dead-lettered records are replayed"
    assert "replay again" in messages[-1]
    assert service.replay_messages(service.ReplayAnswer(False, "r", [], False)) == [
        "No failed records matched; nothing was replayed."
    ]


def test_filters_default_to_failed_records_and_refuse_an_unknown_state() -> None:
    assert service.filters(None, None, None, None, "dead") == service.Filters("dead")
    assert service.filters("any", " fulfilment ", "Unmapped_SKU", " SO-1 ", "dead") == service.Filters(
        "", "fulfilment", "unmapped_sku", "SO-1"
    )
    try:
        service.filters("lost", None, None, None, "dead")
    except service.Problem as problem:
        assert problem.fields[0].field == "state"
    else:
        raise AssertionError("an unknown state was accepted")
    assert service.pretty_json('{"b": 1, "a": [1]}') == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}'
    assert service.pretty_json("not json") == "not json"


# ------------------------------------------------------------------ through the portal


async def test_failed_records_are_grouped_by_reason_and_found_by_any_reference(portal: Portal) -> None:
    async with merchant(portal) as m:
        sku = [
            await make_record(portal.db, m.tenant, f"zoho_salesorder:48150{i}", dead=Reason.UNMAPPED_SKU)
            for i in range(2)
        ]
        auth = await make_record(portal.db, m.tenant, "zoho_salesorder:481509", dead=Reason.NEEDS_REAUTH)
        shipped = await make_record(
            portal.db, m.tenant, "zoho_salesorder:481510", state="succeeded", refs={"awb": "AWB9001"}
        )
        async with tenant_session(portal.db.sessions, m.tenant) as session:
            await links.link(
                session, m.tenant, ("zoho_salesorder", "481510"), ("zoho_salesorder_number", "SO-00042"), shipped
            )

        page = await m.visitor.client.get("/records")
        assert page.status_code == 200, page.text
        words = text_of(page.text)
        assert "Failed, by reason 3" in words
        assert "Unknown SKU 2" in words and "Create the item or map the SKU" in words
        assert "Needs reconnecting 1" in words and "Reconnect the account on the Connections page" in words
        assert all(f'value="{r}"' in page.text for r in [*sku, auth])  # each failed record can be ticked
        assert str(shipped) not in page.text  # failed records only, by default
        assert 'href="/records?state=dead&amp;reason=unmapped_sku"' in page.text

        only = await m.visitor.client.get("/records", params={"reason": "needs_reauth"})
        assert str(auth) in only.text and str(sku[0]) not in only.text
        found = await m.visitor.client.get("/records", params={"state": "any", "reference": "SO-00042"})
        assert str(shipped) in found.text and str(auth) not in found.text
        assert "AWB9001" in found.text
        nothing = await m.visitor.client.get("/records", params={"reference": "AWB-NOWHERE"})
        assert "No records match these filters" in nothing.text

        api = await m.visitor.call("GET", "/api/v1/records", params={"state": "dead"})
        assert api.status_code == 200
        body = api.json()
        assert {i["record_id"] for i in body["items"]} == {str(r) for r in [*sku, auth]}
        assert body["next_page_token"] == ""
        item = next(i for i in body["items"] if i["record_id"] == str(auth))
        assert (item["state"], item["reason"], item["flow"]) == ("dead", "needs_reauth", "fulfilment")
        assert item["created_at"].endswith("+00:00")
        by_ref = await m.visitor.call("GET", "/api/v1/records", params={"reference": "AWB9001"})
        assert [i["record_id"] for i in by_ref.json()["items"]] == [str(shipped)]
        groups = (await m.visitor.call("GET", "/api/v1/records/groups")).json()["items"]
        assert [(g["reason"], g["count"]) for g in groups] == [("unmapped_sku", 2), ("needs_reauth", 1)]
        bad = await m.visitor.call("GET", "/api/v1/records", params={"state": "lost"})
        assert bad.status_code == 400 and bad.json()["fields"][0]["field"] == "state"


async def test_a_record_shows_its_journal_refs_identities_and_whether_the_journal_verifies(portal: Portal) -> None:
    async with merchant(portal) as m:
        rid = await make_record(
            portal.db, m.tenant, "zoho_salesorder:5001", refs={"awb": "AWB77"}, dead=Reason.PROVIDER_REJECTED,
            payload={"salesorder_id": "5001", "note": "Diwali order"},
        )  # fmt: skip
        async with tenant_session(portal.db.sessions, m.tenant) as session:
            await links.link(session, m.tenant, ("zoho_salesorder", "5001"), ("awb", "AWB77"), rid)

        page = await m.visitor.client.get(f"/records/{rid}")
        assert page.status_code == 200, page.text
        words = text_of(page.text)
        assert "Zoho sales order 5001" in words and "Why it failed: Refused by the provider" in words
        assert "provider_rejected at the provider" in words  # the last error
        assert "#1 received" in words and "#4 dead_lettered" in words
        assert "Diwali order" in page.text and '"salesorder_id": "5001"' in page.text.replace("&#34;", '"')
        assert "Verified" in words and "AWB AWB77" in words
        assert 'action="/records/' in page.text and "{{" not in page.text  # the owner may replay

        api = (await m.visitor.call("GET", f"/api/v1/records/{rid}")).json()
        assert [e["kind"] for e in api["events"]] == ["received", "decided", "decided", "dead_lettered"]
        assert api["events"][0]["data"]["payload"]["note"] == "Diwali order"
        assert api["chain_verified"] is True and {"kind": "awb", "ref": "AWB77"} in api["links"]

        async with portal.db.owner.begin() as conn:  # history edited behind the application's back
            await conn.execute(
                text('UPDATE record_events SET data = \'{"step": "forged"}\' WHERE record_id = :r AND seq = 2'),
                {"r": rid},
            )
        tampered = text_of((await m.visitor.client.get(f"/records/{rid}")).text)
        assert "Does not verify" in tampered and "from event #2 on" in tampered


async def test_a_viewer_sees_records_but_cannot_replay_and_another_tenants_record_is_not_found(portal: Portal) -> None:
    async with merchant(portal) as owner, merchant(portal, "Other Traders") as other:
        rid = await make_record(portal.db, owner.tenant, "zoho_salesorder:6001", dead=Reason.UNMAPPED_SKU)
        async with member(portal, owner, "viewer") as viewer:
            page = await viewer.client.get("/records")
            assert page.status_code == 200 and "Unknown SKU" in page.text
            assert "Replay selected" not in page.text and "Replay whole group" not in page.text
            assert "Replay" not in text_of((await viewer.client.get(f"/records/{rid}")).text).split("Journal")[0]
            refused = await viewer.call(
                "POST", "/api/v1/records/replay", json={"record_ids": [str(rid)], "reason": "r"}
            )
            assert refused.status_code == 403 and "admin" in refused.json()["message"]
            form = await post_form(viewer, "/records/replay", {"record_id": str(rid), "why": "r", "action": "replay"})
            assert form.status_code == 403
            form = await post_form(viewer, f"/records/{rid}/replay", {"why": "r", "action": "dry_run"})
            assert form.status_code == 403

        assert (await other.visitor.client.get(f"/records/{rid}")).status_code == 404
        missing = await other.visitor.call("GET", f"/api/v1/records/{rid}")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        theirs = await other.visitor.call(
            "POST", "/api/v1/records/replay", json={"record_ids": [str(rid)], "reason": "r"}
        )
        assert theirs.status_code == 200
        assert (
            theirs.json()["items"][0]["accepted"] is False and "does not exist" in theirs.json()["items"][0]["refusal"]
        )
        assert (await other.visitor.call("GET", "/api/v1/records/not-a-uuid")).status_code == 404


async def test_a_replay_without_a_reason_is_refused_and_says_where(portal: Portal) -> None:
    async with merchant(portal) as m:
        rid = await make_record(portal.db, m.tenant, "zoho_salesorder:7001", dead=Reason.UNMAPPED_SKU)
        api = await m.visitor.call("POST", "/api/v1/records/replay", json={"record_ids": [str(rid)], "reason": " "})
        assert api.status_code == 400 and api.json()["fields"][0]["field"] == "reason"
        none = await m.visitor.call("POST", "/api/v1/records/replay", json={"reason": "fixed"})
        assert none.status_code == 400 and none.json()["fields"][0]["field"] == "record_ids"
        form = await post_form(m.visitor, "/records/replay", {"record_id": str(rid), "why": "", "action": "replay"})
        assert form.status_code == 400 and "say why you replay" in form.text and "Unknown SKU" in form.text
        unticked = await post_form(m.visitor, "/records/replay", {"why": "fixed", "action": "replay"})
        assert unticked.status_code == 400 and "tick at least one record" in unticked.text
        one = await post_form(m.visitor, f"/records/{rid}/replay", {"why": "", "action": "replay"})
        assert one.status_code == 400 and "say why you replay" in one.text
        api = (await m.visitor.call("GET", f"/api/v1/records/{rid}")).json()
        assert api["state"] == "dead"  # nothing happened


async def test_a_whole_group_is_replayed_and_the_list_shows_what_went_and_their_states(portal: Portal) -> None:
    async with merchant(portal) as m:
        sku = [
            await make_record(portal.db, m.tenant, f"zoho_salesorder:90{i}", dead=Reason.UNMAPPED_SKU) for i in range(2)
        ]
        auth = await make_record(portal.db, m.tenant, "zoho_salesorder:910", dead=Reason.NEEDS_REAUTH)
        try:
            answer = await post_form(
                m.visitor, "/records/replay",
                {"group_flow": "", "group_reason": "unmapped_sku", "why": "SKUs mapped", "action": "group_replay",
                 "state": "dead"},
            )  # fmt: skip
            page = await follow(m.visitor, answer)
            words = text_of(page.text)
            assert "Replayed 2 records (reason: “SKUs mapped”)" in words
            just = words.split("Just replayed")[1].split("Failed, by reason")[0]
            assert "Zoho sales order 900" in just and "Zoho sales order 901" in just and "Waiting" in just
            groups = words.split("Failed, by reason")[1].split("Find records")[0]
            assert "Needs reconnecting 1" in groups and "Unknown SKU" not in groups
            assert "before: Unknown SKU" in just
            states = {
                i["record_id"]: i["state"] for i in (await m.visitor.call("GET", "/api/v1/records")).json()["items"]
            }
            assert states == {str(sku[0]): "pending", str(sku[1]): "pending", str(auth): "dead"}
            again = await m.visitor.call(
                "POST", "/api/v1/records/replay", json={"record_ids": [str(sku[0])], "reason": "again"}
            )
            assert again.json()["items"][0]["accepted"] is False and "is pending" in again.json()["items"][0]["refusal"]
        finally:  # the replays' jobs: no later test's worker should run them
            jobs = [j for j in await portal.queue.zrange(QUEUE, 0, -1) if any(str(r) in j.decode() for r in sku)]
            if jobs:
                await portal.queue.zrem(QUEUE, *jobs)


async def test_a_dead_order_is_dry_run_from_the_page_then_replayed_and_ships(
    portal: Portal,
    sandboxes: Any,
    browser: Browser,
    shots: Shots,
) -> None:
    """The whole story, in a browser where a person would click: an order dies at Shiprocket (its pickup location
    is unknown there), the merchant sees it under its reason, dry-runs it (the exact order it would send; nothing
    sent), adds the pickup location at Shiprocket, replays it with a reason, and it ships."""
    async with merchant(portal) as m:
        zoho_info, shiprocket_info = sandboxes.fresh("zoho"), sandboxes.fresh("shiprocket")
        zoho = await connect(portal.core, str(m.tenant), "zoho", zoho_info)
        shiprocket = await connect(portal.core, str(m.tenant), "shiprocket", shiprocket_info)
        loop = Loop(
            str(m.tenant), zoho.connection_id, shiprocket.connection_id, zoho_info, shiprocket_info,
            portal.settings, portal.queue,
        )  # fmt: skip
        pickup = {"pickup": {"pickup_location": "Nowhere", "pincode": "560001"}}
        async with tenant_session(portal.db.sessions, m.tenant) as session:
            session.add(TenantSetting(tenant_id=m.tenant, key="fulfilment", value=pickup))
        orders = await loop.zoho_api("GET", "/salesorders", params={"filter_by": "Status.Confirmed"})
        order = next(o for o in orders["salesorders"] if not o.get("cf_awb_number"))
        async with in_process_worker(portal.settings, portal.queue), browsing(browser, portal.url) as context:
            await store_event(loop, {"salesorder": order})
            dead = await wait_for_record(loop, f"zoho_salesorder:{order['salesorder_id']}", FINISHED)
            assert (dead.state, dead.reason) == ("dead", "provider_rejected"), dead.last_error
            rid = str(dead.id)
            listed = await m.visitor.client.get("/records")
            assert "Refused by the provider 1" in text_of(listed.text) and f'value="{rid}"' in listed.text

            # A dry run from the list, every record ticked at once: the very order it would create, nothing sent.
            tab = await context.new_page()
            await tab.goto("/login?next=/records")
            await tab.fill('input[name="email"]', m.email)
            await tab.fill('input[name="password"]', PASSWORD)
            await tab.click('button[type="submit"]')
            await expect(tab.locator("#group-provider_rejected")).to_contain_text("Refused by the provider")
            await tab.check("input[data-select-all]")
            await expect(tab.locator(f'input[name="record_id"][value="{rid}"]')).to_be_checked()
            await tab.fill('#records-form input[name="why"]', "check the order")
            await shots.take(tab, "failed-records")
            await tab.get_by_role("button", name="Dry run", exact=True).click()
            await expect(tab.locator(".would-send")).to_contain_text("POST /orders/create/adhoc to shiprocket")
            await expect(tab.locator("pre.body")).to_contain_text(f'"order_id": "{order["salesorder_number"]}"')
            await expect(tab.locator(".card.preview")).to_contain_text(
                f"/inventory/v1/salesorders/{order['salesorder_id']}"
            )
            await shots.take(tab, "dry-run")

            # The same from the record's own page, and from the API.
            preview = await post_form(m.visitor, f"/records/{rid}/replay", {"why": "check", "action": "dry_run"})
            assert preview.status_code == 200, preview.text[:3000]
            words = text_of(preview.text)
            assert "Nothing was sent and nothing changed" in words and "Would send a change to the provider" in words
            api = await m.visitor.call(
                "POST", "/api/v1/records/replay", json={"record_ids": [rid], "dry_run": True, "reason": "check"}
            )
            result = api.json()["items"][0]
            assert result["accepted"] and result["job_id"] is None
            assert result["preview"]["outcome"] == "would_send"
            assert result["preview"]["would_send"]["body"]["order_id"] == order["salesorder_number"]
            assert (await m.visitor.call("GET", f"/api/v1/records/{rid}")).json()["state"] == "dead"

            # The merchant adds the pickup location the order names at Shiprocket, then replays it from the preview.
            token = await portal.core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
                token_pb2.GetAccessTokenRequest(tenant_id=str(m.tenant), connection_id=shiprocket.connection_id)
            )
            async with httpx.AsyncClient() as http:
                added = await http.post(
                    f"{token.base_url}/settings/company/addpickup",
                    headers={"Authorization": token.header_value},
                    json={
                        "pickup_location": "Nowhere", "name": "Mehta Handlooms", "email": "ops@mehta.example.in",
                        "phone": "9876543210", "address": "12 MG Road, Indiranagar", "city": "Bengaluru",
                        "state": "Karnataka", "country": "India", "pin_code": "560001",
                    },
                )  # fmt: skip
                assert added.status_code == 200, added.text
            await tab.fill('input[name="why"]', "pickup location added")
            await tab.get_by_role("button", name="Replay this record now").click()
            await expect(tab.locator(".flash").first).to_contain_text(
                "Replayed 1 record (reason: “pickup location added”)"
            )
            await expect(tab.locator(".card.replayed")).to_contain_text(f"Zoho sales order {order['salesorder_id']}")
            await shots.take(tab, "replayed")

            async def shipped() -> dict[str, Any] | None:
                record: dict[str, Any] = (await m.visitor.call("GET", f"/api/v1/records/{rid}")).json()
                return record if record["state"] in FINISHED else None

            done = await wait_until(shipped, what="the replayed record to finish")
            assert done["state"] == "succeeded", done["last_error"]
            assert done["target_refs"].get("awb")
            replay_event = next(e for e in done["events"] if e["kind"] == "replayed")
            assert replay_event["data"]["reason"] == "pickup location added"
            assert replay_event["data"]["by"] == f"merchant:{m.email}"
            final = text_of((await m.visitor.client.get(f"/records/{rid}")).text)
            assert "Succeeded" in final and "Verified" in final and order["salesorder_number"] in final
            assert "No failed records" in text_of((await m.visitor.client.get("/records")).text)
            written = (await loop.zoho_api("GET", f"/salesorders/{order['salesorder_id']}"))["salesorder"]
            fields = {cf["api_name"]: cf["value"] for cf in written["custom_fields"]}
            assert fields.get("cf_awb_number") == done["target_refs"]["awb"]
            assert json.dumps(done)  # the API's answer is plain JSON
