"""ShipStation → Zoho Books as it runs day to day: the poll catches new orders, edits, cancellations, shipments
and voided labels; webhook pointers arrive through the portal, in storms; customers flow both ways; Pacific
daylight-saving changes; the CLI's backfill."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
from arq.worker import Worker

from connector.v1 import record_pb2, record_pb2_grpc
from connectors.demo import wire_webhooks
from tests.core.conftest import CoreHandle
from tests.portal.conftest import serving
from tests.workers.shipstation import fixtures as fx
from tests.workers.shipstation.test_month_of_orders import backfill

ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, seconds: float = 60) -> T:
    for _ in range(int(seconds / 0.25)):
        found = await check()
        if found:
            return found
        fx.workers_alive()
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what}: not within {seconds} s")


def new_order(number: str, email: str, name: str = "Ada Lovelace", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "orderNumber": number,
        "orderKey": f"key-{number}",
        "orderDate": "2026-11-20 10:30:00",
        "orderStatus": "awaiting_shipment",
        "customerEmail": email,
        "billTo": {"name": name},
        "shipTo": {"name": name, "street1": "1 Main St", "city": "Austin", "state": "TX", "postalCode": "78701"},
        "items": [
            {"lineItemKey": "L1", "sku": "MUG", "name": "Mug ☕", "quantity": 2, "unitPrice": 14.5},
            {"lineItemKey": "L2", "sku": "CAP", "name": "Cap", "quantity": 1, "unitPrice": 24.0},
        ],
        "taxAmount": 2.5,
        "shippingAmount": 4.5,
    }
    body.update(extra)
    return body


async def invoice_of(m: fx.Merchant, order_key: str) -> dict[str, Any] | None:
    rows = (await m.books("GET", "/invoices", params={"cf_channel_order_id": f"shipstation:{order_key}"}))["invoices"]
    return rows[0] if rows else None


async def test_the_poll_catches_new_orders_edits_cancellations_shipments_and_voids(
    m: fx.Merchant, worker: Worker
) -> None:
    await m.setting("shipstation_books", {"poll_seconds": 1, "overlap_seconds": 120})
    order = m.ss("POST", "/orders/createorder", json=new_order("P-1", "grace@example.com", "Grace Hopper"))
    other = m.ss("POST", "/orders/createorder", json=new_order("P-2", "alan@example.com", "Alan Turing"))

    async def booked(key: str, total: str) -> dict[str, Any] | None:
        found = await invoice_of(m, key)
        return found if found and Decimal(str(found["total"])) == Decimal(total) else None

    first = await eventually(lambda: booked("key-P-1", "60.00"), "P-1 invoiced at 60.00")
    assert first["status"] == "sent" and first["reference_number"] == "P-1"
    await eventually(lambda: booked("key-P-2", "60.00"), "P-2 invoiced")
    # an edit (ShipStation sends no webhook for it) is caught by the poll: same invoice, new total
    edited = new_order("P-1", "grace@example.com", "Grace Hopper", orderId=order["orderId"])
    edited["items"][0]["quantity"] = 3
    m.ss("POST", "/orders/createorder", json=edited)
    again = await eventually(lambda: booked("key-P-1", "74.50"), "the edit reaches the invoice")
    assert again["invoice_id"] == first["invoice_id"]
    # a cancellation voids the invoice
    httpx.post(
        f"{m.ss_admin}/orders/{other['orderId']}/edit", json={"fields": {}, "status": "cancelled"}
    ).raise_for_status()

    async def voided() -> dict[str, Any] | None:
        found = await invoice_of(m, "key-P-2")
        return found if found and found["status"] == "void" else None

    await eventually(voided, "P-2's invoice voided")
    # a label: its cost a journal entry, carrier and tracking on the invoice; voided: reversed and cleared
    shipped = httpx.post(
        f"{m.ss_admin}/orders/{order['orderId']}/ship",
        json={
            "label": True,
            "carrierCode": "ups",
            "serviceCode": "ups_ground",
            "trackingNumber": "1Z999",
            "shipmentCost": 8.45,
        },
    ).json()["shipment"]

    async def tracked() -> dict[str, Any] | None:
        found = await invoice_of(m, "key-P-1")
        return found if found and found.get("cf_awb_number") == "1Z999" else None

    await eventually(tracked, "tracking on the invoice")
    journals = await m.books("GET", "/journals", params={"reference_number": f"SS-SHIP-{shipped['shipmentId']}"})
    assert [Decimal(str(j["total"])) for j in journals["journals"]] == [Decimal("8.45")]
    httpx.post(f"{m.ss_admin}/orders/{order['orderId']}/void", json={}).raise_for_status()

    async def reversed_() -> list[dict[str, Any]] | None:
        rows = await m.books("GET", "/journals", params={"reference_number": f"SS-VOID-{shipped['shipmentId']}"})
        return rows["journals"] or None

    reversal = await eventually(reversed_, "the voided label's cost reversed")
    assert Decimal(str(reversal[0]["total"])) == Decimal("8.45")

    async def cleared() -> bool:
        return not (await invoice_of(m, "key-P-1") or {}).get("cf_awb_number")

    await eventually(cleared, "the voided label's tracking number off the invoice")
    # every Books contact made once, by email
    contacts = (await m.books("GET", "/contacts"))["contacts"]
    assert sorted(c["email"] for c in contacts) == ["alan@example.com", "grace@example.com"]


async def test_a_storm_of_duplicate_pointers_through_the_portal_makes_one_invoice_per_order(
    core: CoreHandle, m: fx.Merchant, worker: Worker
) -> None:
    await m.setting("shipstation_books", {"poll_seconds": 0})
    settings = dataclasses.replace(core.settings, core_addr=f"127.0.0.1:{m.core.port}")
    async with serving(settings) as portal:
        wired = await wire_webhooks(m, m.tenant, portal, {})
        assert any(line.startswith("shipstation") for line in wired), wired
        hooks = m.ss("GET", "/webhooks")["webhooks"]
        assert {h["HookType"] for h in hooks} == {"ORDER_NOTIFY", "SHIP_NOTIFY"}
        url = next(h["Url"] for h in hooks if h["HookType"] == "ORDER_NOTIFY")
        made = [m.ss("POST", "/orders/createorder", json=new_order(f"S-{n}", f"s{n}@example.com")) for n in range(5)]
        storm = httpx.post(
            f"{m.ss_admin}/webhooks/emit",
            json={
                "account": m.ss_account,
                "event": "ORDER_NOTIFY",
                "url": url,
                "order_ids": [o["orderId"] for o in made],
                "repeat": 40,
            },
            timeout=60,
        )
        storm.raise_for_status()
        assert len(storm.json()["deliveries"]) == 40  # those the portal was too busy for are sent again later
        foreign = httpx.post(
            f"{m.ss_admin}/webhooks/emit",
            json={"account": m.ss_account, "url": url, "resource_url": "https://attacker.example/orders?importBatch=x"},
            timeout=60,
        )
        assert len(foreign.json()["deliveries"]) == 1

        async def all_booked() -> list[dict[str, Any]] | None:
            rows = [await invoice_of(m, f"key-S-{n}") for n in range(5)]
            return [r for r in rows if r] if all(rows) else None

        await eventually(all_booked, "five invoices")
        invoices = await m.books_all("/invoices", "invoices")
        assert len(invoices) == 5
        pointers = await eventually(lambda: _finished(m, "shipstation_resource:"), "the pointers' records finished")
    stormy = storm.json()["resource_url"]
    assert len([r for r in pointers if r.source_ref.endswith(stormy)]) == 1  # forty deliveries, one record
    assert len(pointers) == 5 + 1 + 1  # each createorder's own ORDER_NOTIFY, the storm, the forged one
    refused = next(r for r in pointers if "attacker" in r.source_ref)
    assert refused.state == "dead" and "only the connection's own host" in str(refused.last_error)
    fetched = httpx.get(f"{m.ss_admin}/requests", params={"path": "/orders", "limit": 1000}).json()["requests"]
    assert not [r for r in fetched if "attacker" in r.get("query", "")]


async def _finished(m: fx.Merchant, prefix: str) -> list[Any] | None:
    rows = await m.records(prefix)
    return rows if rows and all(r.state in ("succeeded", "dead", "skipped") for r in rows) and len(rows) >= 2 else None


async def test_customers_flow_both_ways_without_ping_pong(core: CoreHandle, m: fx.Merchant, worker: Worker) -> None:
    await m.setting("shipstation_books", {"poll_seconds": 0})
    settings = dataclasses.replace(core.settings, core_addr=f"127.0.0.1:{m.core.port}")
    async with serving(settings) as portal:
        await wire_webhooks(m, m.tenant, portal, {})
        # a contact the accountant makes in Books: linked by email, so the customer's orders are booked to it
        mine = await m.books(
            "POST", "/contacts", json={"contact_name": "Katherine Johnson (wholesale)", "email": "kj@example.com"}
        )
        contact_id = mine["contact"]["contact_id"]
        await eventually(lambda: _finished_one(m, f"books_contact:{contact_id}"), "the Books contact linked")
        m.ss("POST", "/orders/createorder", json=new_order("C-1", "KJ@example.com", "Katherine Johnson"))
        now = datetime.now(UTC)
        await backfill(m, now - timedelta(hours=1), now + timedelta(minutes=1))
        invoice = await invoice_of(m, "key-C-1")
        assert invoice is not None and invoice["customer_id"] == contact_id
        # a customer ShipStation made implicitly becomes a Books contact, whose own "created" webhook goes nowhere
        m.ss("POST", "/orders/createorder", json=new_order("C-2", "dorothy@example.com", "Dorothy Vaughan"))
        await backfill(m, now - timedelta(hours=1), datetime.now(UTC) + timedelta(minutes=1))
        made = [c for c in (await m.books("GET", "/contacts"))["contacts"] if c["email"] == "dorothy@example.com"]
        assert len(made) == 1
        echo = await eventually(
            lambda: _finished_one(m, f"books_contact:{made[0]['contact_id']}"), "the echo of our own contact"
        )
    assert echo.state == "skipped"
    contacts = (await m.books("GET", "/contacts"))["contacts"]
    assert sorted(c["email"] for c in contacts) == ["dorothy@example.com", "kj@example.com"]


async def _finished_one(m: fx.Merchant, source: str) -> Any:
    rows = [r for r in await m.records(source) if r.source_ref == source]
    return rows[0] if rows and rows[0].state in ("succeeded", "dead", "skipped") else None


DST = [  # (the instant ShipStation records the order at, its Pacific wall time)
    (datetime(2026, 3, 8, 9, 59, tzinfo=UTC), "2026-03-08T01:59:00"),  # the last PST minute
    (datetime(2026, 3, 8, 10, 1, tzinfo=UTC), "2026-03-08T03:01:00"),  # PDT: 02:00-02:59 never happened
    (datetime(2026, 11, 1, 8, 10, tzinfo=UTC), "2026-11-01T01:10:00"),  # 01:10 PDT
    (datetime(2026, 11, 1, 8, 40, tzinfo=UTC), "2026-11-01T01:40:00"),  # 01:40 PDT
    (datetime(2026, 11, 1, 9, 20, tzinfo=UTC), "2026-11-01T01:20:00"),  # 01:20 PST: the hour again
    (datetime(2026, 11, 1, 10, 5, tzinfo=UTC), "2026-11-01T02:05:00"),  # PST
]


async def test_orders_around_pacific_daylight_saving_changes_land_on_the_right_utc_instant(
    m: fx.Merchant, worker: Worker
) -> None:
    await m.setting("shipstation_books", {"poll_seconds": 0})
    made = []
    try:
        for n, (instant, wall) in enumerate(DST):
            m.ss_clock(set=instant.isoformat())
            order = m.ss("POST", "/orders/createorder", json=new_order(f"D-{n}", f"d{n}@example.com"))
            assert order["modifyDate"].startswith(wall), (order["modifyDate"], wall)
            made.append(order)
    finally:
        m.ss_clock(reset=True)
    for start, end in (
        (datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)),
        (datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)),
    ):
        await backfill(m, start, end)
    records = {r.source_ref.partition(":")[2].partition("@")[0]: r for r in await m.records("shipstation_order:")}
    for order, (instant, _) in zip(made, DST, strict=True):
        record = records[str(order["orderId"])]
        settled = datetime.fromisoformat(record.source_ref.partition("@")[2])
        assert abs(settled - instant) < timedelta(seconds=1), (record.source_ref, instant)
        assert record.state == "succeeded", record.last_error


async def test_connectors_sync_estimates_the_calls_then_backfills_with_a_progress_bar(
    m: fx.Merchant, worker: Worker
) -> None:
    await m.setting("shipstation_books", {"poll_seconds": 0})
    now = datetime.now(UTC)
    m.seed(60, now - timedelta(days=5), now - timedelta(minutes=1), shipped=0.3, seed=3)
    env = {
        **os.environ,
        "CONNECTORS_CORE_ADDR": f"127.0.0.1:{m.core.port}",
        "CONNECTORS_SERVICE_TOKENS": m.settings.service_tokens,
    }
    argv = [sys.executable, "-m", "connectors.cli", "sync", "--tenant", m.tenant, "--flow", "shipstation-books"]
    window = ["--from", (now - timedelta(days=6)).date().isoformat(), "--to", now.date().isoformat()]
    proc = await asyncio.create_subprocess_exec(
        *argv, *window, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode()
    assert proc.returncode == 0, text
    assert "found 60 order versions" in text and "shipstation: about" in text and "zoho: about" in text, text
    assert " completed in " in text and " 0 failed" in text, text
    invoices = await m.books_all("/invoices", "invoices")
    assert len(invoices) == 60
    bad = await asyncio.create_subprocess_exec(
        *argv,
        "--from",
        "yesterday",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    said, _ = await bad.communicate()
    assert bad.returncode == 2 and b"--from 'yesterday'" in said


async def test_an_order_in_a_currency_without_a_rate_is_dead_lettered_then_replayed_once_the_rate_is_set(
    m: fx.Merchant, worker: Worker
) -> None:
    await m.setting("shipstation_books", {"poll_seconds": 0})
    body = new_order("F-1", "eve@example.co.uk", "Eve Smith", advancedOptions={"customField1": "currency:GBP"})
    m.ss("POST", "/orders/createorder", json=body)
    now = datetime.now(UTC)
    run = await backfill(m, now - timedelta(hours=1), now + timedelta(minutes=1))
    assert run.failed == 1, run
    (dead,) = [r for r in await m.records("shipstation_order:") if r.state == "dead"]
    assert dead.reason == "invalid_source_data"
    assert "F-1 is in GBP and the books are in USD; no exchange rate for GBP" in str(dead.last_error)
    # the merchant documents the rate; support replays the record over gRPC, giving a reason
    await m.setting("shipstation_books", {"poll_seconds": 0, "exchange_rates": {"GBP": "1.2500"}})
    records = m.stub(record_pb2_grpc.RecordServiceStub)
    dry = await records.ReplayRecords(
        record_pb2.ReplayRecordsRequest(
            tenant_id=m.tenant,
            record_ids=[str(dead.id)],
            dry_run=True,
            actor=record_pb2.Actor(role=record_pb2.ACTOR_ROLE_SUPPORT, id="support:sam"),
            reason="GBP rate documented",
        )
    )
    assert dry.results[0].preview.would_send.path.endswith("/contacts"), dry.results[0].preview
    await records.ReplayRecords(
        record_pb2.ReplayRecordsRequest(
            tenant_id=m.tenant,
            record_ids=[str(dead.id)],
            actor=record_pb2.Actor(role=record_pb2.ACTOR_ROLE_SUPPORT, id="support:sam"),
            reason="GBP rate documented",
        )
    )

    async def booked() -> dict[str, Any] | None:
        return await invoice_of(m, "key-F-1")

    invoice = await eventually(booked, "the replayed order's invoice")
    assert Decimal(str(invoice["total"])) == Decimal("75.00")  # 60.00 GBP at 1.25
    assert (
        "Converted from GBP 60.00 at 1.2500 USD per GBP"
        in (await m.books("GET", f"/invoices/{invoice['invoice_id']}"))["invoice"]["notes"]
    )
