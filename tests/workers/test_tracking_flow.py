"""Tracking through the real parts: an order fulfilled by the fulfilment flow, its shipment moved in the Shiprocket
sandbox (``/_sandbox/shipments/{awb}/advance``), the pushes the sandbox sends caught by a small HTTP receiver
and stored as the ingress stores them, run by an arq worker through the core; the outcome read back from the
Zoho sandbox (sales order, stock per warehouse, Books), its request log, and PostgreSQL.

Every Zoho call the flows make takes the core's budget (about 97 a minute for the demo organisation), so each
test feeds the statuses its story needs. The sandbox's own per-minute limit is raised for the test's inspection
calls only, which the core does not count.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from arq.constants import in_progress_key_prefix
from arq.jobs import Job
from arq.worker import Worker
from sqlalchemy import func, select

from tenants.db import make_app_engine, make_sessions, tenant_session
from tenants.models import AlertRow, InboxEvent, Record, RecordEvent
from tests.conftest import Database
from tests.workers.conftest import Loop, store_event, wait_for_record
from tests.zoho_merchant import decimal_json
from workers.calls import CallFailed
from workers.engine import links
from workers.engine.outcomes import Outcome
from workers.flows import parcel, tracking
from workers.flows.context import FlowContext, Services
from workers.flows.settings import FlowSettings
from workers.flows.shipment_status import status_of
from workers.queue import INGEST_EVENT, QUEUE, ingest_job_id

DONE = ("succeeded", "skipped", "dead")


class Receiver:
    """The merchant's webhook endpoint as the Shiprocket sandbox sees it: answers 200, keeps every body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hooks"
        return self.url

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        self.bodies.append(json.loads(await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    def take_tracking(self, awb: str) -> list[dict[str, Any]]:
        """The Shiprocket tracking pushes received so far for one AWB (other bodies stay)."""
        taken = [b for b in self.bodies if b.get("awb") == awb]
        self.bodies = [b for b in self.bodies if b.get("awb") != awb]
        return taken

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@dataclass
class Shop:
    """The merchant's side of the loop: orders in the Zoho sandbox, parcels in the Shiprocket sandbox."""

    loop: Loop
    receiver: Receiver
    http: httpx.AsyncClient
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def shiprocket_admin(self) -> str:
        return str(self.loop.shiprocket_info["admin_url"])

    @property
    def zoho_admin(self) -> str:
        return str(self.loop.zoho_info["admin_url"])

    async def zoho(
        self, method: str, path: str, product: str = "inventory/v1", *, plain: bool = False, **kwargs: Any
    ) -> Any:
        """A Zoho call as the merchant makes it; amounts as Decimal unless ``plain`` (a webhook's JSON)."""
        answer = await self.loop.merchant.call(self.http, method, path, product=product, **kwargs)
        return answer.json() if plain else decimal_json(answer)

    async def books(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.zoho(method, path, product="books/v3", **kwargs)

    async def item(self, sku: str) -> dict[str, Any]:
        if not self.items:
            self.items = {i["sku"]: i for i in (await self.zoho("GET", "/items"))["items"]}
        return self.items[sku]

    async def location(self, name: str) -> str:
        found = (await self.zoho("GET", "/locations"))["locations"]
        return str(next(loc["location_id"] for loc in found if loc["location_name"] == name))

    async def order(
        self, *, cod: bool, warehouse: str = "Bengaluru Warehouse", customer: str = "Rohan Mehta", quantity: int = 2
    ) -> dict[str, Any]:
        """A confirmed sales order for two lines, COD or prepaid by its payment terms."""
        contacts = (await self.zoho("GET", "/contacts", params={"contact_type": "customer"}))["contacts"]
        who = next(c for c in contacts if c["contact_name"] == customer)
        mug, bottle = await self.item("MUG-CER-350"), await self.item("BOT-STL-1L")
        made = await self.zoho(
            "POST",
            "/salesorders",
            json={
                "customer_id": who["contact_id"],
                "location_id": await self.location(warehouse),
                "payment_terms_label": "Cash on Delivery" if cod else "Prepaid",
                "line_items": [
                    {"item_id": mug["item_id"], "quantity": quantity, "rate": "299.00"},
                    {"item_id": bottle["item_id"], "quantity": 1, "rate": "449.00"},
                ],
            },
        )
        so_id = made["salesorder"]["salesorder_id"]
        await self.zoho("POST", f"/salesorders/{so_id}/status/confirmed")
        return dict((await self.zoho("GET", f"/salesorders/{so_id}", plain=True))["salesorder"])

    async def fulfil(self, order: dict[str, Any]) -> str:
        """The fulfilment flow gives the order its Shiprocket order and AWB; returns the AWB."""
        await store_event(self.loop, {"salesorder": order})
        record = await wait_for_record(self.loop, f"zoho_salesorder:{order['salesorder_id']}", DONE)
        assert record.state == "succeeded", record.last_error
        return str(record.target_refs["awb"])

    async def advance(self, awb: str, **body: Any) -> list[dict[str, Any]]:
        """Move the parcel in the Shiprocket sandbox; the tracking pushes it sent, oldest first."""
        answer = await self.http.post(f"{self.shiprocket_admin}/shipments/{awb}/advance", json=body)
        assert answer.status_code == 200, answer.text
        applied = [a["status"] for a in answer.json()["applied"]]
        pushed = self.receiver.take_tracking(awb)[-len(applied) :]  # earlier pushes (a pickup request's) stay out
        assert [b["current_status"] for b in pushed] == applied
        return pushed

    async def push(self, body: dict[str, Any]) -> Record:
        """Store a push as the ingress does; the tracking record once it has run."""
        await store_event(self.loop, body, "shiprocket")
        status = status_of(body)
        assert status is not None
        return await wait_for_record(self.loop, tracking.source_ref(str(body["awb"]), status), DONE)

    async def fields(self, salesorder_id: str) -> dict[str, Any]:
        so = (await self.zoho("GET", f"/salesorders/{salesorder_id}"))["salesorder"]
        return {cf["api_name"]: cf["value"] for cf in so.get("custom_fields") or []}

    async def stock(self, sku: str) -> dict[str, Decimal]:
        """On-hand stock of an item per warehouse."""
        item = (await self.zoho("GET", f"/items/{(await self.item(sku))['item_id']}"))["item"]
        return {loc["location_name"]: Decimal(str(loc["location_stock_on_hand"])) for loc in item["locations"]}

    async def invoices(self, awb: str) -> list[dict[str, Any]]:
        return list((await self.books("GET", "/invoices", params={"cf_awb_number": awb}))["invoices"])

    async def requests(self, method: str, path: str) -> list[dict[str, Any]]:
        answer = await self.http.get(f"{self.zoho_admin}/requests", params={"method": method, "path": path})
        return [r for r in answer.json()["requests"] if r["path"] == path]


@pytest.fixture
async def shop(loop: Loop) -> AsyncIterator[Shop]:
    receiver = Receiver()
    url = await receiver.start()
    async with httpx.AsyncClient(timeout=15) as http:
        admin = loop.shiprocket_info["admin_url"]
        token = loop.shiprocket_info["demo"]["webhook_token"]
        hook = {"account": "demo", "url": url, "token": token, "enabled": True}
        (await http.post(f"{admin}/webhook-config", json=hook)).raise_for_status()
        (await http.post(f"{loop.zoho_info['admin_url']}/zoho/settings", json={"per_minute": 5000})).raise_for_status()
        yield Shop(loop, receiver, http)
        await settle(loop)
        (await http.post(f"{admin}/webhook-config", json={"account": "demo", "url": None})).raise_for_status()
    await receiver.stop()


async def settle(loop: Loop, seconds: float = 10) -> None:
    """Wait until the worker has none of this tenant's jobs due or running (alerts, late pushes), so stopping it
    cuts nothing off. Other tenants' jobs (earlier tests' leftovers the sweeper keeps re-queueing) are not
    waited for."""
    for _ in range(int(seconds / 0.1)):
        due = await loop.arq.zrangebyscore(QUEUE, 0, time.time() * 1000)
        running = [  # a cron job's key outlives its run (arq keeps it against double runs)
            key[len(in_progress_key_prefix) :]
            async for key in loop.arq.scan_iter(match=f"{in_progress_key_prefix}*")
            if b"cron:" not in key
        ]
        if not await _tenants_among(loop, [*due, *running]):
            return
        await asyncio.sleep(0.1)


async def _tenants_among(loop: Loop, job_ids: list[bytes]) -> bool:
    """Whether any of these jobs works for the loop's tenant (a job's first argument is its tenant)."""
    for job_id in job_ids:
        info = await Job(job_id.decode(), loop.arq, _queue_name=QUEUE).info()
        if info is None or (info.args and info.args[0] == loop.tenant):
            return True
    return False


async def store_many(loop: Loop, body: dict[str, Any], times: int) -> list[uuid.UUID]:
    """The same push received ``times`` times (Shiprocket retries, a replayed delivery), each its own inbox row."""
    engine = make_app_engine(loop.settings)
    ids = [uuid.uuid4() for _ in range(times)]
    async with tenant_session(make_sessions(engine), uuid.UUID(loop.tenant)) as session:
        for inbox_id in ids:
            session.add(
                InboxEvent(
                    id=inbox_id,
                    tenant_id=uuid.UUID(loop.tenant),
                    connection_id=uuid.UUID(loop.shiprocket),
                    provider="shiprocket",
                    dedup_key=f"test:{inbox_id}",
                    headers={},
                    body=json.dumps(body),
                )
            )
    await engine.dispose()
    for inbox_id in ids:
        await loop.arq.enqueue_job(
            INGEST_EVENT, loop.tenant, str(inbox_id), _job_id=ingest_job_id(str(inbox_id)), _queue_name=QUEUE
        )
    return ids


async def query(loop: Loop, statement: Any) -> list[Any]:
    engine = make_app_engine(loop.settings)
    try:
        async with tenant_session(make_sessions(engine), uuid.UUID(loop.tenant)) as session:
            return list((await session.execute(statement)).all())
    finally:
        await engine.dispose()


async def journal_of(loop: Loop, record: Record) -> dict[str, Any]:
    """The last entry of the record's audit log."""
    rows = await query(
        loop,
        select(RecordEvent.data).where(RecordEvent.record_id == record.id).order_by(RecordEvent.seq.desc()).limit(1),
    )
    return dict(rows[0][0])


async def alerts_of(loop: Loop, record: Record) -> list[AlertRow]:
    return [row[0] for row in await query(loop, select(AlertRow).where(AlertRow.record_id == record.id))]


async def test_every_status_moves_a_cod_order_forward_and_never_back(loop: Loop, worker: Worker, shop: Shop) -> None:
    order = await shop.order(cod=True)
    so_id, total = order["salesorder_id"], Decimal(str(order["total"]))
    before = await shop.stock("MUG-CER-350")
    awb = await shop.fulfil(order)
    pushed = await shop.advance(awb, path="delivered")
    names = [b["current_status"] for b in pushed]
    assert names == [
        "PICKUP SCHEDULED",
        "OUT FOR PICKUP",
        "PICKED UP",
        "SHIPPED",
        "IN TRANSIT",
        "REACHED AT DESTINATION HUB",
        "OUT FOR DELIVERY",
        "DELIVERED",
    ]
    late = pushed.pop(names.index("IN TRANSIT"))  # Shiprocket delivers this one after the parcel is delivered
    expected = {
        "PICKUP SCHEDULED": "Pickup Scheduled",
        "OUT FOR PICKUP": "Out for Pickup",
        "PICKED UP": "Picked Up",
        "SHIPPED": "Shipped",
        "REACHED AT DESTINATION HUB": "Reached Destination Hub",
        "OUT FOR DELIVERY": "Out for Delivery",
        "DELIVERED": "Delivered - Awaiting Remittance",
    }
    for body in pushed:
        record = await shop.push(body)
        assert record.state == "succeeded", (body["current_status"], record.state, record.last_error)
        assert (await shop.fields(so_id))["cf_shipment_status"] == expected[body["current_status"]]

    stale = await shop.push(late)
    assert stale.state == "skipped"
    assert (await shop.fields(so_id))["cf_shipment_status"] == "Delivered - Awaiting Remittance"
    assert await journal_of(loop, stale) == {
        "state": "skipped",
        "why": "stale: In Transit after Delivered - Awaiting Remittance",
    }

    # Stock left the order's warehouse when the parcel was picked up; the COD invoice stays open.
    after = await shop.stock("MUG-CER-350")
    assert after["Bengaluru Warehouse"] == before["Bengaluru Warehouse"] - 2
    assert after["Mumbai Warehouse"] == before["Mumbai Warehouse"]
    [invoice] = await shop.invoices(awb)
    assert invoice["reference_number"] == order["salesorder_number"]
    assert invoice["status"] == "sent" and Decimal(str(invoice["balance"])) == total == Decimal(str(invoice["total"]))
    so = (await shop.zoho("GET", f"/salesorders/{so_id}"))["salesorder"]
    assert [p["status"] for p in so["packages"]] == ["delivered"]

    # The same DELIVERED push 100 times: one record, one invoice, no payment.
    delivered = next(b for b in pushed if b["current_status"] == "DELIVERED")
    ids = await store_many(loop, delivered, 100)
    for _ in range(300):
        waiting = await query(
            loop, select(func.count()).select_from(InboxEvent).where(InboxEvent.id.in_(ids), InboxEvent.state == "new")
        )
        if waiting[0][0] == 0:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the 100 pushes were not ingested")
    await asyncio.sleep(0.5)
    source = tracking.source_ref(awb, "DELIVERED")
    count = await query(loop, select(func.count()).select_from(Record).where(Record.source_ref == source))
    assert count[0][0] == 1
    assert len(await shop.invoices(awb)) == 1
    assert len(await shop.requests("POST", "/books/v3/invoices")) == 1
    assert await shop.requests("POST", "/books/v3/customerpayments") == []

    # The COD-remittance flow finds the invoice from the AWB in one hop.
    engine = make_app_engine(loop.settings)
    async with tenant_session(make_sessions(engine), uuid.UUID(loop.tenant)) as session:
        linked = await links.connected(session, ("awb", awb), max_hops=1)
    await engine.dispose()
    assert linked["books_invoice"] == {invoice["invoice_id"]}


async def test_the_rto_story_ends_with_stock_back_in_its_warehouse_and_a_credit_note(
    loop: Loop, worker: Worker, shop: Shop
) -> None:
    order = await shop.order(cod=True, warehouse="Mumbai Warehouse", customer="Ananya Iyer")
    so_id = order["salesorder_id"]
    skus = ("MUG-CER-350", "BOT-STL-1L")
    before = {sku: await shop.stock(sku) for sku in skus}
    awb = await shop.fulfil(order)
    pushed = {b["current_status"]: b for b in await shop.advance(awb, path="rto")}

    # Picked up: the stock leaves the Mumbai warehouse and the COD invoice is raised, open.
    assert (await shop.push(pushed["PICKED UP"])).state == "succeeded"
    out = {sku: await shop.stock(sku) for sku in skus}
    assert out["MUG-CER-350"]["Mumbai Warehouse"] == before["MUG-CER-350"]["Mumbai Warehouse"] - 2
    assert out["BOT-STL-1L"]["Mumbai Warehouse"] == before["BOT-STL-1L"]["Mumbai Warehouse"] - 1
    [invoice] = await shop.invoices(awb)
    total = Decimal(str(invoice["total"]))
    assert invoice["status"] == "sent" and Decimal(str(invoice["balance"])) == total == Decimal(str(order["total"]))

    rto = await shop.push(pushed["RTO INITIATED"])
    assert rto.state == "succeeded"
    [alert] = await alerts_of(loop, rto)
    assert alert.kind == "rto_initiated" and awb in alert.summary and alert.details["awb"] == awb
    assert (await shop.fields(so_id))["cf_shipment_status"] == "RTO Initiated"

    back = await shop.push(pushed["RTO DELIVERED"])
    assert back.state == "succeeded", back.last_error
    assert (await shop.fields(so_id))["cf_shipment_status"] == "Returned"
    assert {sku: await shop.stock(sku) for sku in skus} == before  # back in Mumbai, Bengaluru untouched
    [adjustment] = (await shop.zoho("GET", "/inventoryadjustments", params={"reference_number": f"RTO {awb}"}))[
        "inventory_adjustments"
    ]
    assert adjustment["reason"] == "RTO" and adjustment["location_id"] == order["location_id"]
    [note] = (await shop.books("GET", "/creditnotes", params={"reference_number": f"RTO {awb}"}))["creditnotes"]
    assert Decimal(str(note["total"])) == total and back.target_refs["creditnote_id"] == note["creditnote_id"]
    settled = (await shop.books("GET", f"/invoices/{invoice['invoice_id']}"))["invoice"]
    assert Decimal(str(settled["balance"])) == 0 and Decimal(str(settled["credits_applied"])) == total
    assert len(await shop.requests("POST", "/books/v3/creditnotes")) == 1
    assert len(await shop.requests("POST", "/inventory/v1/inventoryadjustments")) == 1


async def test_a_lost_parcel_opens_a_claim_and_an_unknown_awb_is_kept_dead_with_its_reason(
    loop: Loop, worker: Worker, shop: Shop
) -> None:
    order = await shop.order(cod=False, customer="Vikram Singh")
    awb = await shop.fulfil(order)
    *_, lost_push = await shop.advance(awb, path="lost")
    assert lost_push["current_status"] == "LOST"
    lost = await shop.push(lost_push)
    assert lost.state == "succeeded", lost.last_error
    assert lost.target_refs["claim"] == f"courier_claim:{awb}"
    [alert] = await alerts_of(loop, lost)
    assert alert.kind == "shipment_lost" and "courier claim" in alert.summary
    assert alert.details["claim"] == f"courier_claim:{awb}" and alert.details["courier"]
    assert Decimal(alert.details["declared_value"]) == Decimal(str(order["total"]))
    assert (await shop.fields(order["salesorder_id"]))["cf_shipment_status"] == "Lost in Transit"

    # A push for an AWB no order carries: kept dead, saying so, and nothing written to Zoho.
    writes = len(await shop.requests("PUT", f"/inventory/v1/salesorders/{order['salesorder_id']}"))
    answer = await shop.http.post(
        f"{shop.shiprocket_admin}/webhooks/emit",
        json={"awb": awb, "status": "IN TRANSIT", "overrides": {"awb": "NOSUCH0001"}},
    )
    stranger = await shop.push(answer.json()["body"])
    assert stranger.state == "dead" and stranger.reason == "invalid_source_data"
    assert stranger.last_error is not None and "no sales order carries AWB NOSUCH0001" in stranger.last_error
    assert len(await shop.requests("PUT", f"/inventory/v1/salesorders/{order['salesorder_id']}")) == writes

    # A push without an AWB starts no tracking record; the event is kept as a dead "unrouted" one.
    inbox = await store_event(loop, {**lost_push, "awb": ""}, "shiprocket")
    unrouted = await wait_for_record(loop, f"inbox:{inbox}", DONE)
    assert unrouted.flow == "unrouted" and unrouted.state == "dead" and unrouted.reason == "invalid_source_data"


async def test_statuses_of_one_parcel_take_turns_and_other_parcels_do_not_wait(db: Database) -> None:
    tenant = await db.new_tenant()
    nothing: Any = None

    def attempt() -> FlowContext:
        services = Services(db.sessions, core=nothing, connections=nothing, http=nothing, enqueue=nothing)
        record = Record(id=uuid.uuid4(), tenant_id=tenant, flow="tracking", source_ref="-", step="start")
        return FlowContext(services, record, FlowSettings())

    seen: list[str] = []
    first_in, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with parcel.parcel_lock(attempt(), "AWB1"):
            seen.append("first in")
            first_in.set()
            await release.wait()
            seen.append("first out")

    async def second(awb: str) -> None:
        await first_in.wait()
        async with parcel.parcel_lock(attempt(), awb):
            seen.append(f"{awb} in")

    holder, same, other = (asyncio.create_task(c) for c in (first(), second("AWB1"), second("AWB2")))
    await asyncio.wait_for(other, 5)  # another parcel does not wait
    await asyncio.sleep(0.3)
    assert seen == ["first in", "AWB2 in"]  # the same parcel does
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, same), 5)
    assert seen == ["first in", "AWB2 in", "first out", "AWB1 in"]

    # A parcel busy for longer than an attempt waits: the record is given back for a retry.
    async with parcel.parcel_lock(attempt(), "AWB1"):
        with pytest.raises(CallFailed) as busy:
            async with parcel.parcel_lock(attempt(), "AWB1", wait=0.2):
                pass
    assert busy.value.verdict.outcome is Outcome.RETRY and "AWB1" in str(busy.value)
