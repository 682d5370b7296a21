"""The support console and the audit log through the real portal, core and PostgreSQL: support staff find a
record by any reference across tenants with a reason, see it masked unless they give another reason, replay it
with a reason, and the tenant's owner reads each of those looks in the audit log; merchants cannot reach the
console, nor support staff the merchants' pages. The masking rules (pure), and the CLI that makes support staff."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from portal.accounts.service import create_user, find_user, verify_password
from portal.support import masking, service
from tenants.db import tenant_session
from tests.core.test_connections import connect
from tests.core.test_record_service import make_record
from tests.portal.browser import Shots
from tests.portal.conftest import PASSWORD, Portal, Visitor
from workers.engine import links
from workers.engine.outcomes import Reason
from workers.queue import QUEUE

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = {
    "salesorder_number": "SO-00042",
    "customer_name": "Asha Mehta",
    "email": "asha.mehta@example.in",
    "billing_address": {
        "attention": "Asha Mehta", "address": "12 MG Road", "city": "Bengaluru", "zip": "560001",
        "phone": "+91 98765 43210",
    },
    "line_items": [{"name": "Handloom saree", "sku": "SAREE-1", "quantity": 1}],
}  # fmt: skip


async def support_visitor(portal: Portal) -> Visitor:
    """A support staff account, signed in (they belong to no tenant)."""
    email = f"agent-{uuid.uuid4().hex[:8]}@platform.test"
    await create_user(portal.db.sessions, email, "Kiran Support", PASSWORD, is_support=True)
    v = Visitor(portal.url)
    r = await v.login(email)
    assert r.status_code == 200 and r.json()["user"]["support"] and r.json()["tenant_id"] is None, r.text
    return v


async def forget_job(portal: Portal, job_id: str) -> None:
    """No worker of a later test should run the job a replay queued here."""
    await portal.queue.zrem(QUEUE, job_id)
    await portal.queue.delete(f"arq:job:{job_id}")


@pytest.fixture
async def shops(portal: Portal) -> AsyncIterator[dict[str, Any]]:
    """Two merchants whose names share a token, one AWB known to both: a dead sales order (with the customer's
    personal data) linked to the AWB at the first, a tracking record of the same AWB at the second."""
    token = uuid.uuid4().hex[:8]
    awb = f"AWB{token.upper()}"
    owners: list[tuple[Visitor, dict[str, Any]]] = []
    for company in (f"Mehta Handlooms {token}", f"Kapoor Crafts {token}"):
        v = Visitor(portal.url)
        owners.append((v, await v.signup(company)))
    first, second = (uuid.UUID(me["tenant_id"]) for _, me in owners)
    order = await make_record(
        portal.db, first, f"zoho_salesorder:48150{token}", dead=Reason.UNMAPPED_SKU, payload=CUSTOMER,
        refs={"shiprocket_order_id": f"7770{token}"},
    )  # fmt: skip
    async with tenant_session(portal.db.sessions, first) as session:
        source = ("zoho_salesorder", f"48150{token}")
        await links.link(session, first, source, ("shiprocket_order", f"7770{token}"), order)
        await links.link(session, first, ("shiprocket_order", f"7770{token}"), ("awb", awb), order)
    tracking = await make_record(portal.db, second, f"awb:{awb}", flow="tracking")
    yield {
        "token": token, "awb": awb, "order": str(order), "tracking": str(tracking),
        "first": owners[0], "second": owners[1], "first_id": str(first), "second_id": str(second),
    }  # fmt: skip
    for v, _ in owners:
        await v.client.aclose()


async def test_support_finds_a_record_by_reference_across_tenants_only_with_a_reason(
    portal: Portal, shops: dict[str, Any]
) -> None:
    async with await support_visitor(portal) as agent:
        query = {"reference": shops["awb"], "tenants": shops["token"]}
        r = await agent.call("GET", "/api/v1/support/records", params=query)
        assert r.status_code == 400 and r.json()["fields"][0]["field"] == "reason"
        assert "say why" in r.json()["message"]
        page = await agent.client.get("/support/records", params={**query, "reason": "  "})
        assert page.status_code == 400 and "say why" in page.text

        why = "Ticket 5120: customer asks where the parcel is"
        r = await agent.call("GET", "/api/v1/support/records", params={**query, "reason": why})
        assert r.status_code == 200, r.text
        found = {(i["tenant"]["tenant_id"], i["record"]["record_id"]) for i in r.json()["items"]}
        assert found == {(shops["first_id"], shops["order"]), (shops["second_id"], shops["tracking"])}
        dead = next(i["record"] for i in r.json()["items"] if i["record"]["record_id"] == shops["order"])
        assert dead["state"] == "dead" and dead["reason"] == "unmapped_sku"

        page = await agent.client.get("/support/records", params={**query, "reason": why})
        assert page.status_code == 200
        assert f"Mehta Handlooms {shops['token']}" in page.text and f"Kapoor Crafts {shops['token']}" in page.text
        elsewhere = {"reference": "AWB-NOWHERE", "reason": why, "tenants": shops["token"]}
        nothing = await agent.client.get("/support/records", params=elsewhere)
        assert nothing.status_code == 200 and "No record in these tenants is known by" in nothing.text


async def test_personal_data_is_masked_unless_asked_for_with_a_reason_and_a_replay_needs_one(
    portal: Portal, shops: dict[str, Any]
) -> None:
    tenant, record = shops["first_id"], shops["order"]
    path = f"/api/v1/support/tenants/{tenant}/records/{record}"
    async with await support_visitor(portal) as agent:
        assert (await agent.call("GET", path)).status_code == 400
        why = "Ticket 5121: order stuck"
        r = await agent.call("GET", path, params={"reason": why})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["masked"] and body["record"]["state"] == "dead"
        payload = body["events"][0]["data"]["payload"]
        assert payload["customer_name"] == "A*** M****" and payload["email"] == "a***@example.in"
        assert payload["billing_address"]["phone"] == "********3210"
        assert payload["billing_address"]["city"] == "Bengaluru" and payload["billing_address"]["zip"] == "560001"
        assert payload["line_items"][0]["name"] == "Handloom saree"
        assert "Asha" not in r.text and "98765" not in r.text
        assert {"kind": "awb", "ref": shops["awb"]} in body["links"]

        page = await agent.client.get(f"/support/tenants/{tenant}/records/{record}", params={"reason": why})
        assert page.status_code == 200 and "A*** M****" in page.text and "Asha" not in page.text
        assert "Show personal data" in page.text
        ask = await agent.client.get(f"/support/tenants/{tenant}/records/{record}", params={"unmask": "true"})
        assert ask.status_code == 200 and "say why" in ask.text.lower() and "A*** M****" not in ask.text

        unmask_why = "Courier needs the consignee's phone"
        r = await agent.call("GET", path, params={"reason": unmask_why, "unmask": "true"})
        assert r.status_code == 200 and not r.json()["masked"]
        assert r.json()["events"][0]["data"]["payload"]["customer_name"] == "Asha Mehta"

        replay = f"/api/v1/support/tenants/{tenant}/records/replay"
        r = await agent.call("POST", replay, json={"record_ids": [record], "reason": " "})
        assert r.status_code == 400 and r.json()["fields"][0]["field"] == "reason"
        replay_why = "Ticket 5121: SKU mapped now"
        r = await agent.call("POST", replay, json={"record_ids": [record], "reason": replay_why})
        assert r.status_code == 200, r.text
        (result,) = r.json()["items"]
        assert result["accepted"] and result["job_id"]
        await forget_job(portal, result["job_id"])
        r = await agent.call("GET", path, params={"reason": why})
        assert r.json()["record"]["state"] == "pending"
        again = await agent.client.post(
            f"/support/tenants/{tenant}/records/replay",
            data={"_csrf_token": await agent.csrf(), "record_id": record, "reason": replay_why, "dry_run": "false"},
        )
        assert again.status_code == 303 and again.headers["location"].startswith(f"/support/tenants/{tenant}/records/")
        shown = await agent.client.get(again.headers["location"])
        assert "0 records queued" in shown.text and "only dead-lettered records are replayed" in shown.text
        assert any(replay_why in str(e["data"]) for e in r.json()["events"] if e["kind"] == "replayed")

        # The tenant's owner reads every one of those looks, with its reason.
        owner, _ = shops["first"]
        r = await owner.call("GET", "/api/v1/audit", params={"actor_role": "support"})
        assert r.status_code == 200, r.text
        seen = {(e["action"], e["reason"]) for e in r.json()["items"]}
        assert ("record.view", why) in seen
        assert ("record.unmask", unmask_why) in seen
        assert ("record.replay", replay_why) in seen
        assert all(e["actor"]["role"] == "support" and e["actor"]["id"].startswith("agent-") for e in r.json()["items"])
        page = await owner.client.get("/audit")
        assert page.status_code == 200 and "support staff" in page.text
        assert unmask_why.replace("'", "&#39;") in page.text and "personal data shown" in page.text
        only = await owner.call("GET", "/api/v1/audit", params={"action": "record.replay"})
        replays = only.json()["items"]  # newest first: the refused second replay is audited too
        assert [e["action"] for e in replays] == ["record.replay", "record.replay"]
        assert "only dead-lettered" in replays[0]["details"]["refused"] and replays[1]["details"]["refused"] is None
        assert (await owner.call("GET", "/api/v1/audit", params={"actor_role": "robot"})).status_code == 400


async def test_the_tenant_overview_asks_why_first_and_its_look_is_audited(
    portal: Portal, shops: dict[str, Any], sandboxes: Any
) -> None:
    tenant = shops["first_id"]
    async with await support_visitor(portal) as agent:
        r = await agent.call("GET", f"/api/v1/support/tenants/{shops['second_id']}", params={"reason": "a look"})
        assert r.json()["connections"] == [] and r.json()["dead_records"] == []
        shipstation = await connect(portal.core, tenant, "shipstation", sandboxes.get("shipstation"))
        ask = await agent.client.get(f"/support/tenants/{tenant}")
        assert ask.status_code == 200 and "say why" in ask.text.lower() and "SO-00042" not in ask.text
        why = "Ticket 5122: merchant reports failed orders"
        page = await agent.client.get(f"/support/tenants/{tenant}", params={"reason": why})
        assert page.status_code == 200
        assert f"48150{shops['token']}" in page.text and "shipstation" in page.text
        r = await agent.call("GET", f"/api/v1/support/tenants/{tenant}", params={"reason": why})
        assert r.status_code == 200
        assert [d["record_id"] for d in r.json()["dead_records"]] == [shops["order"]]
        (connection,) = r.json()["connections"]
        assert connection["connection_id"] == shipstation.connection_id and connection["provider"] == "shipstation"
        assert connection["status"] in ("ok", "degraded", "needs_reauth", "failing", "unknown")
        assert connection["environment"] == "sandbox" and sum(r.json()["health_summary"].values()) == 1
        found = await agent.call("GET", "/api/v1/support/tenants", params={"query": shops["token"]})
        assert {t["tenant_id"] for t in found.json()["items"]} == {shops["first_id"], shops["second_id"]}
        listing = await agent.client.get("/support", params={"query": shops["token"]})
        assert f"Kapoor Crafts {shops['token']}" in listing.text
        missing = await agent.call("GET", f"/api/v1/support/tenants/{uuid.uuid4()}", params={"reason": why})
        assert missing.status_code == 404

    owner, _ = shops["first"]
    entries = (await owner.call("GET", "/api/v1/audit", params={"actor_role": "support"})).json()["items"]
    assert {(e["action"], e["target"], e["reason"]) for e in entries} >= {
        ("tenant.view", f"tenant:{tenant}", why), ("record.list", "records", why),
    }  # fmt: skip
    other, _ = shops["second"]
    looks = (await other.call("GET", "/api/v1/audit", params={"action": "tenant.view"})).json()["items"]
    assert [(e["target"], e["reason"]) for e in looks] == [(f"tenant:{shops['second_id']}", "a look")]


async def test_merchants_cannot_reach_the_console_nor_support_staff_the_merchants_pages(
    portal: Portal, shops: dict[str, Any]
) -> None:
    owner, _ = shops["first"]
    for path in ("/support", f"/support/tenants/{shops['second_id']}?reason=curious", "/api/v1/support/tenants"):
        assert (await owner.client.get(path)).status_code == 403, path
    replay = {"record_ids": [shops["tracking"]], "reason": "curious"}
    r = await owner.call("POST", f"/api/v1/support/tenants/{shops['second_id']}/records/replay", json=replay)
    assert r.status_code == 403
    async with await support_visitor(portal) as agent:
        for path in ("/settings", "/api/v1/settings", "/audit", "/api/v1/audit"):
            assert (await agent.client.get(path)).status_code == 403, path
        assert (await agent.call("PUT", "/api/v1/settings/books", json={"value": None})).status_code == 403
    async with httpx.AsyncClient(base_url=portal.url) as anonymous:
        assert (await anonymous.get("/api/v1/support/tenants")).status_code == 401


async def test_the_cli_creates_a_support_user_who_can_sign_in_and_refuses_a_weak_password(
    portal: Portal, tmp_path: Path
) -> None:
    email = f"cli-agent-{uuid.uuid4().hex[:8]}@platform.test"
    env = {**os.environ, "CONNECTORS_DATABASE_URL": portal.settings.database_url, "CONNECTORS_RUN_DIR": str(tmp_path)}
    env.pop("CONNECTORS_APP_DATABASE_URL", None)

    async def run(password: str) -> tuple[int, str, str]:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "connectors.cli", "support-user", "create", email, "--name", "Meera Support",
            "--password-stdin", cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(child.communicate(f"{password}\n".encode()), 60)
        assert child.returncode is not None
        return child.returncode, out.decode(), err.decode()

    code, _, err = await run("short")
    assert code == 2 and "password: must be at least 10 characters" in err
    assert await find_user(portal.db.sessions, email) is None

    code, out, err = await run(PASSWORD)
    assert code == 0, err
    assert email in out
    user = await find_user(portal.db.sessions, email)
    assert user is not None and user.is_support and user.name == "Meera Support"
    assert await verify_password(user, PASSWORD)
    code, _, err = await run(PASSWORD)
    assert code == 1 and "already exists" in err


# ------------------------------------------------------------------ pure parts


def test_audit_details_read_as_words_and_targets_link_to_the_owners_pages() -> None:
    details = {"reference": "AWB1", "flow": "", "state": 0, "changed": ["rank_by", "allowed"], "deleted": False}
    assert service.details_text(details) == "changed: rank_by, allowed · reference: AWB1"
    record = str(uuid.uuid4())
    assert service.target_link(record) == f"/records/{record}"
    assert service.target_link("settings:books") == "/settings#books"
    assert service.target_link(f"connection:{record}") == f"/connections/{record}"
    assert service.target_link("records") is None and service.target_link("tenant:x") is None


async def test_bounded_calls_keep_the_order_and_never_exceed_the_limit() -> None:
    running, most = 0, 0

    async def call(i: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)
        running -= 1
        return i * 2

    assert await service.bounded(range(20), call, 3) == [i * 2 for i in range(20)]
    assert most == 3


def test_names_emails_phones_and_address_lines_are_masked_and_places_kept() -> None:
    assert masking.mask_name("Asha Mehta") == "A*** M****"
    assert masking.mask_email("asha.mehta@example.in") == "a***@example.in"
    assert masking.mask_phone("9876543210") == "******3210"
    assert masking.mask_phone(919876543210) == "********3210"
    shiprocket = {
        "billing_customer_name": "Asha", "billing_last_name": "Mehta", "billing_address": "12 MG Road",
        "billing_city": "Bengaluru", "billing_pincode": "560001", "billing_state": "Karnataka",
        "billing_email": "asha@example.in", "billing_phone": "9876543210", "shipping_is_billing": True,
        "order_items": [{"name": "Kurta", "sku": "K-1"}], "courier_name": "Delhivery",
    }  # fmt: skip
    assert masking.mask(shiprocket) == {
        **shiprocket, "billing_customer_name": "A***", "billing_last_name": "M****", "billing_address": "1* M* R***",
        "billing_email": "a***@example.in", "billing_phone": "******3210",
    }  # fmt: skip


def test_a_bare_name_is_masked_only_inside_a_person_or_an_address() -> None:
    ship_to = {
        "name": "Jo Smith",
        "street1": "1 Main St",
        "city": "Austin",
        "postalCode": "78701",
        "phone": "512-555-0199",
    }
    shipstation = {
        "customerEmail": "jo@example.com", "customerUsername": "jo@example.com", "shipTo": ship_to,
        "items": [{"name": "Mug", "sku": "MUG"}],
    }  # fmt: skip
    masked = masking.mask(shipstation)
    assert masked["shipTo"] == {**ship_to, "name": "J* S****", "street1": "1 M*** S*", "phone": "******0199"}
    assert masked["items"] == [{"name": "Mug", "sku": "MUG"}]
    assert masked["customerEmail"] == masked["customerUsername"] == "j***@example.com"
    amazon = {
        "ShippingAddress": {"Name": "Ravi K", "AddressLine1": "Flat 4", "City": "Pune", "PostalCode": "411001"},
        "BuyerInfo": {"BuyerEmail": "x@marketplace.amazon.in", "BuyerName": "Ravi K"},
    }
    assert masking.mask(amazon) == {
        "ShippingAddress": {"Name": "R*** K", "AddressLine1": "F*** 4", "City": "Pune", "PostalCode": "411001"},
        "BuyerInfo": {"BuyerEmail": "x***@marketplace.amazon.in", "BuyerName": "R*** K"},
    }
    address = {"firstname": "Neha", "lastname": "Rao", "street": ["221B Baker St", ""], "telephone": "2025550123"}
    assert masking.mask({"billing_address": {**address, "postcode": "10001"}})["billing_address"] == {
        "firstname": "N***", "lastname": "R**", "street": ["2*** B**** S*", ""], "telephone": "******0123",
        "postcode": "10001",
    }  # fmt: skip


def test_json_inside_a_string_links_and_error_text_are_masked_too() -> None:
    body = '{"customer_name": "Asha Mehta", "order_id": "SO-1"}'
    assert masking.mask({"raw": body}) == {"raw": '{"customer_name": "A*** M****", "order_id": "SO-1"}'}
    assert masking.mask({"note": "plain words", "contact": "asha@example.in"})["contact"] == "a***@example.in"
    assert masking.mask_links([("awb", "AWB1"), ("customer_email", "asha@example.in")]) == [
        ("awb", "AWB1"), ("customer_email", "a***@example.in"),
    ]  # fmt: skip
    assert (
        masking.mask_text("Zoho refused: contact asha@example.in exists")
        == "Zoho refused: contact a***@example.in exists"
    )
    assert (
        masking.mask_json_text('{"phone": 9876543210, "phone_verified": true}')
        == '{"phone": "******3210", "phone_verified": true}'
    )
    original = {"customer_name": "Asha"}
    masking.mask(original)
    assert original == {"customer_name": "Asha"}  # a new value; the input is left alone


# ------------------------------------------------------------------ in a real browser


async def test_in_a_browser_support_finds_a_record_sees_it_masked_and_unmasks_it_with_a_reason(
    portal: Portal,
    shops: dict[str, Any],
    browser: Browser,
    shots: Shots,
) -> None:
    email = f"agent-{uuid.uuid4().hex[:8]}@platform.test"
    await create_user(portal.db.sessions, email, "Kiran Support", PASSWORD, is_support=True)
    context = await browser.new_context(base_url=portal.url)
    try:
        page = await context.new_page()
        await page.goto("/login")
        await page.fill('input[name="email"]', email)
        await page.fill('input[name="password"]', PASSWORD)
        await page.click('button[type="submit"]')
        await expect(page).to_have_url(re.compile(r"/support$"))
        await page.fill('input[name="reference"]', shops["awb"])
        await page.fill('input[name="tenants"]', shops["token"])
        await shots.take(page, "console")
        await page.get_by_role("button", name="Search every tenant").click()
        await expect(page.locator("input[name=reason]:invalid")).to_have_count(1)  # the browser asks for it too

        await page.fill('input[name="reason"]', "Ticket 5130: where is the parcel?")
        await page.get_by_role("button", name="Search every tenant").click()
        await expect(page.locator("tbody tr")).to_have_count(2)
        await shots.take(page, "found-in-two-tenants")

        await page.get_by_role("link", name=f"zoho_salesorder:48150{shops['token']}").click()
        await expect(page.locator("pre").first).to_contain_text("A*** M****")
        assert "Asha Mehta" not in await page.content()
        await shots.take(page, "masked")

        await page.locator(".masked-note input[name=reason]").fill("Courier asks for the consignee's phone")
        await page.get_by_role("button", name="Show personal data").click()
        await expect(page.locator("pre").first).to_contain_text("Asha Mehta")
        await shots.take(page, "unmasked")
    finally:
        await context.close()

    _, me = shops["first"]
    context = await browser.new_context(base_url=portal.url)
    try:
        page = await context.new_page()
        await page.goto("/login?next=/audit")
        await page.fill('input[name="email"]', me["email"])
        await page.fill('input[name="password"]', PASSWORD)
        await page.click('button[type="submit"]')
        support_rows = page.locator("tr.by-support")
        await expect(support_rows.filter(has_text="Courier asks for the consignee")).to_have_count(1)
        await expect(support_rows.filter(has_text="personal data shown")).to_have_count(1)
        await shots.take(page, "owner-reads-the-audit-log")
    finally:
        await context.close()
