"""COD remittance through the real parts: a batch made in the Shiprocket sandbox, found by the flow's discover,
run by an arq worker through the core's tokens and budgets, posted to the Zoho sandbox's Books; records, links
and alerts in PostgreSQL. Money is checked to the paisa on what Books holds."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from arq.worker import Worker
from sqlalchemy import select

from tenants.db import tenant_session
from tenants.models import AlertRow, Record
from tests.workers.conftest import Loop
from tests.zoho_merchant import decimal_json
from workers.engine import links, records
from workers.engine.links import Kind
from workers.flows import remittance
from workers.flows.context import Services, TenantContext
from workers.flows.settings import FlowSettings
from workers.queue import QUEUE, RUN_RECORD
from workers.runner import enqueue_record

PAYMENTS = "/books/v3/customerpayments"
EXPENSES = "/books/v3/expenses"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(records, "RETRY_SCALE", 0.25, raising=False)  # 2 s, 4 s... become 0.5 s, 1 s...
    yield


@dataclass
class Zoho:
    """Zoho Books and Inventory as the test sees them (paths name the product), amounts as Decimal."""

    loop: Loop

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with httpx.AsyncClient(timeout=10) as http:
            return decimal_json(await self.loop.merchant.call(http, method, path, product="", **kwargs))


@dataclass
class Batch:
    """A Shiprocket remittance batch and, per AWB, the Books invoice and Zoho sales order it pays."""

    remittance: dict[str, Any]
    lines: list[dict[str, Any]]
    invoices: dict[str, str] = field(default_factory=dict)
    salesorders: dict[str, str] = field(default_factory=dict)

    @property
    def rid(self) -> str:
        return str(self.remittance["crf_id"])


def shiprocket_admin(loop: Loop, method: str, path: str, **kwargs: Any) -> Any:
    answer = httpx.request(method, f"{loop.shiprocket_info['admin_url']}{path}", timeout=10, **kwargs)
    answer.raise_for_status()
    return json.loads(answer.text, parse_float=Decimal)


def posted(info: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The creates the sandbox received (answered or not)."""
    found = httpx.get(f"{info['admin_url']}/requests", params={"path": path, "method": "POST"}, timeout=10).json()
    return list(found["requests"])


async def services_of(worker: Worker) -> Services:
    for _ in range(200):
        if "services" in worker.ctx:
            return worker.ctx["services"]  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError("the worker did not start")


async def invoice_awb(zoho: Zoho, batch: Batch, awb: str, gross: Decimal) -> None:
    """What the tracking flow does on delivery: an invoice carrying the AWB, for the order's COD amount."""
    salesorder = (await zoho.call("GET", f"/inventory/v1/salesorders/{batch.salesorders[awb]}"))["salesorder"]
    created = await zoho.call(
        "POST",
        "/books/v3/invoices",
        json={
            "customer_id": salesorder["customer_id"],
            "reference_number": salesorder["salesorder_number"],
            "line_items": [{"name": f"Order {salesorder['salesorder_number']}", "rate": str(gross), "quantity": 1}],
            "custom_fields": [{"api_name": "cf_awb_number", "value": awb}],
        },
    )
    invoice_id = created["invoice"]["invoice_id"]
    await zoho.call("POST", f"/books/v3/invoices/{invoice_id}/status/sent")
    batch.invoices[awb] = invoice_id


async def make_batch(
    loop: Loop, zoho: Zoho, services: Services, *, invoiced: int | None = None, **options: Any
) -> Batch:
    """Shiprocket's delivered COD AWBs paid out in one batch; each AWB on a confirmed Zoho sales order with a
    Books invoice. The first AWB is linked as fulfilment and tracking link it; the others are found by search."""
    made = shiprocket_admin(loop, "POST", "/remittances", json={"account": "demo", **options})
    batch = Batch(made["remittance"], made["data"])
    orders = await zoho.call("GET", "/inventory/v1/salesorders", params={"filter_by": "Status.Confirmed"})
    confirmed = orders["salesorders"]
    assert len(confirmed) >= len(batch.lines)
    for line, order in zip(batch.lines, confirmed, strict=False):
        awb, salesorder_id = line["awb"], order["salesorder_id"]
        await zoho.call(
            "PUT",
            f"/inventory/v1/salesorders/{salesorder_id}",
            json={"custom_fields": [{"api_name": "cf_awb_number", "value": awb}]},
        )
        batch.salesorders[awb] = salesorder_id
    for line in batch.lines[:invoiced]:
        await invoice_awb(zoho, batch, line["awb"], Decimal(line["cod_amount"]))
    first = batch.lines[0]["awb"]
    async with tenant_session(services.sessions, uuid.UUID(loop.tenant)) as session:
        tenant = uuid.UUID(loop.tenant)
        await links.link(session, tenant, (Kind.AWB, first), (Kind.ZOHO_SALESORDER, batch.salesorders[first]))
        if first in batch.invoices:
            await links.link(session, tenant, (Kind.AWB, first), (Kind.BOOKS_INVOICE, batch.invoices[first]))
    return batch


async def discover_and_run(loop: Loop, services: Services) -> list[Record]:
    """A sync run's part: the batches created in the last hour become records, each run by the worker."""
    now = datetime.now(UTC)
    context = TenantContext(services, uuid.UUID(loop.tenant), FlowSettings())
    found = [
        routed async for routed in remittance.discover(context, now - timedelta(hours=1), now + timedelta(minutes=1))
    ]
    started = []
    async with tenant_session(services.sessions, uuid.UUID(loop.tenant)) as session:
        for source, payload in found:
            record, new = await records.receive(session, uuid.UUID(loop.tenant), remittance.FLOW, source, payload)
            if new:
                started.append(record)
    for record in started:
        await enqueue_record(services, uuid.UUID(loop.tenant), record)
    return started


async def settled(loop: Loop, services: Services, source: str, seconds: float = 60) -> Record:
    """The record once succeeded or dead. A record due for a while is triggered again: test sessions that share
    the Redis queue may take its job (and a duplicate trigger is harmless by design)."""
    tenant, due_since = uuid.UUID(loop.tenant), None
    for _ in range(int(seconds / 0.1)):
        async with tenant_session(services.sessions, tenant) as session:
            record = (await session.execute(select(Record).where(Record.source_ref == source))).scalar_one()
        if record.state in ("succeeded", "dead"):
            return record
        now = datetime.now(UTC)
        due = record.state == "pending" and (record.next_attempt_at is None or record.next_attempt_at <= now)
        due_since = (due_since or now) if due else None
        if due_since and now - due_since > timedelta(seconds=2):
            await loop.arq.enqueue_job(
                RUN_RECORD, loop.tenant, str(record.id), _job_id=f"nudge:{uuid.uuid4()}", _queue_name=QUEUE
            )
            due_since = None
        await asyncio.sleep(0.1)
    raise AssertionError(f"{source} did not settle: {(record.state, record.step, record.last_error)}")


async def payments_of(zoho: Zoho, rid: str) -> list[dict[str, Any]]:
    rows = (await zoho.call("GET", PAYMENTS, params={"cf_cod_remittance_id": rid}))["customerpayments"]
    return [(await zoho.call("GET", f"{PAYMENTS}/{row['payment_id']}"))["payment"] for row in rows]


async def expenses_of(zoho: Zoho, rid: str) -> list[dict[str, Any]]:
    rows = (await zoho.call("GET", EXPENSES, params={"reference_number": rid}))["expenses"]
    return [(await zoho.call("GET", f"{EXPENSES}/{row['expense_id']}"))["expense"] for row in rows]


async def account_id(zoho: Zoho, name: str) -> str:
    chart = (await zoho.call("GET", "/books/v3/chartofaccounts"))["chartofaccounts"]
    return next(str(a["account_id"]) for a in chart if a["account_name"] == name)


async def assert_posted_once(zoho: Zoho, batch: Batch) -> None:
    """Books holds, per AWB, one payment of its gross COD on its invoice, and one expense of the charges; the
    clearing account is left with exactly the bank transfer."""
    rid, clearing = batch.rid, await account_id(zoho, "Shiprocket COD Receivable")
    payments = await payments_of(zoho, rid)
    assert len(payments) == len(batch.lines)
    for line in batch.lines:
        invoice = (await zoho.call("GET", f"/books/v3/invoices/{batch.invoices[line['awb']]}"))["invoice"]
        assert [(p["amount"], p["reference_number"]) for p in invoice["payments"]] == [
            (Decimal(line["cod_amount"]), rid)
        ]
        assert invoice["balance"] == 0 and invoice["status"] == "paid"
    for payment in payments:
        assert payment["reference_number"] == rid and payment["account_id"] == clearing
        assert {cf["api_name"]: cf["value"] for cf in payment["custom_fields"]}["cf_cod_remittance_id"] == rid
    [expense] = await expenses_of(zoho, rid)
    assert expense["paid_through_account_id"] == clearing
    assert expense["amount"] == Decimal(batch.remittance["deduction_value"])
    by_account: dict[str, Decimal] = {}
    for item in expense["line_items"]:
        by_account[item["account_name"]] = by_account.get(item["account_name"], Decimal(0)) + item["amount"]
    freight = sum((Decimal(line["freight_charges"]) for line in batch.lines), Decimal(0))
    cod_charges = sum((Decimal(line["cod_charges"]) for line in batch.lines), Decimal(0))
    adjustment = Decimal(str(batch.remittance["adjustment_data"]["adjusted_amount"]))
    assert by_account == {"Courier Charges": freight, "COD Charges": cod_charges + adjustment}
    into_clearing = sum((p["amount"] for p in payments), Decimal(0)) - expense["amount"]
    assert into_clearing == Decimal(batch.remittance["remitted_value"])
    for salesorder_id in batch.salesorders.values():
        order = (await zoho.call("GET", f"/inventory/v1/salesorders/{salesorder_id}"))["salesorder"]
        assert {cf["api_name"]: cf["value"] for cf in order["custom_fields"]}["cf_cod_remittance_id"] == rid


async def test_a_batch_posts_one_payment_per_awb_and_one_expense_and_never_twice(loop: Loop, worker: Worker) -> None:
    services, zoho = await services_of(worker), Zoho(loop)
    batch = await make_batch(loop, zoho, services, adjustment="25.00", adjustment_reason="Early COD charges")
    assert len(batch.lines) == 2
    [started] = await discover_and_run(loop, services)
    source = f"remittance:{batch.rid}"
    assert started.source_ref == source
    record = await settled(loop, services, source)
    assert record.state == "succeeded", record.last_error
    await assert_posted_once(zoho, batch)
    assert len(posted(loop.zoho_info, PAYMENTS)) == 2 and len(posted(loop.zoho_info, EXPENSES)) == 1
    async with tenant_session(services.sessions, uuid.UUID(loop.tenant)) as session:
        lineage = await links.connected(session, ("remittance", batch.rid), max_hops=1)
        awb = batch.lines[1]["awb"]
        of_awb = await links.connected(session, ("awb", awb), max_hops=1)
    assert lineage["awb"] == {line["awb"] for line in batch.lines}
    assert lineage["books_payment"] == {record.target_refs[f"payment:{line['awb']}"] for line in batch.lines}
    assert lineage["books_expense"] == {record.target_refs["expense_id"]}
    assert of_awb["books_payment"] == {record.target_refs[f"payment:{awb}"]}
    assert of_awb["books_invoice"] == {batch.invoices[awb]}  # found by cf_awb_number, then linked

    # Rediscovered, and triggered a hundred times more: the same record, nothing posted again.
    assert await discover_and_run(loop, services) == []
    for attempt in range(100):
        await loop.arq.enqueue_job(
            RUN_RECORD, loop.tenant, str(record.id), _job_id=f"dup:{record.id}:{attempt}", _queue_name=QUEUE
        )
    # And run again from the start as if it had never run: the effect ledger knows every payment and the expense.
    async with tenant_session(services.sessions, uuid.UUID(loop.tenant)) as session:
        again = (await session.execute(select(Record).where(Record.id == record.id))).scalar_one()
        again.state, again.step, again.target_refs = "pending", "start", {}
    await enqueue_record(services, uuid.UUID(loop.tenant), again)
    record = await settled(loop, services, source)
    assert record.state == "succeeded" and record.step == "written_back", record.last_error
    await assert_posted_once(zoho, batch)
    assert len(posted(loop.zoho_info, PAYMENTS)) == 2 and len(posted(loop.zoho_info, EXPENSES)) == 1


async def test_a_remittance_short_by_one_rupee_fifty_is_flagged_and_nothing_is_posted(
    loop: Loop, worker: Worker
) -> None:
    services, zoho = await services_of(worker), Zoho(loop)
    batch = await make_batch(loop, zoho, services, mismatch="-1.50")
    await discover_and_run(loop, services)
    record = await settled(loop, services, f"remittance:{batch.rid}")
    assert record.state == "dead" and record.reason == "invalid_source_data"
    assert record.last_error is not None and "short by ₹1.50" in record.last_error
    assert all(line["awb"] in record.last_error for line in batch.lines), record.last_error
    assert record.target_refs["difference"] == "-1.50"
    assert Decimal(record.target_refs["bank_transfer"]) == Decimal(batch.remittance["remitted_value"])
    assert posted(loop.zoho_info, PAYMENTS) == [] and posted(loop.zoho_info, EXPENSES) == []
    assert await payments_of(zoho, batch.rid) == []
    async with tenant_session(services.sessions, uuid.UUID(loop.tenant)) as session:
        alerts = (await session.execute(select(AlertRow).where(AlertRow.record_id == record.id))).scalars().all()
    [mismatch] = [a for a in alerts if a.kind == "remittance_mismatch"]
    assert "short by ₹1.50" in mismatch.summary and mismatch.details["difference"] == "-1.50"
    assert set(mismatch.details["awbs"]) == {line["awb"] for line in batch.lines}


async def test_a_payment_whose_answer_was_lost_and_an_expense_refused_by_a_5xx_are_posted_once(
    loop: Loop, worker: Worker
) -> None:
    services, zoho = await services_of(worker), Zoho(loop)
    batch = await make_batch(loop, zoho, services)
    admin = loop.zoho_info["admin_url"]
    for rule in (
        {"kind": "drop_after_commit", "method": "POST", "path_prefix": PAYMENTS, "count": 1},
        {"kind": "status", "status": 503, "method": "POST", "path_prefix": EXPENSES, "count": 1},
    ):
        httpx.post(f"{admin}/faults", json=rule, timeout=5).raise_for_status()
    await discover_and_run(loop, services)
    record = await settled(loop, services, f"remittance:{batch.rid}")
    assert record.state == "succeeded", record.last_error
    assert record.attempts >= 3  # the lost answer, then the 503, then done
    assert [r["fault"] for r in posted(loop.zoho_info, PAYMENTS)] == ["drop_after_commit", None]
    assert [r["status"] for r in posted(loop.zoho_info, EXPENSES)] == [503, 201]
    await assert_posted_once(zoho, batch)


async def test_an_awb_not_yet_invoiced_is_retried_and_then_posted(loop: Loop, worker: Worker) -> None:
    services, zoho = await services_of(worker), Zoho(loop)
    batch = await make_batch(loop, zoho, services, invoiced=1)
    late = batch.lines[1]
    [record] = await discover_and_run(loop, services)
    for _ in range(100):
        async with tenant_session(services.sessions, uuid.UUID(loop.tenant)) as session:
            record = (await session.execute(select(Record).where(Record.id == record.id))).scalar_one()
        if record.attempts >= 1 and record.state == "pending":
            break
        await asyncio.sleep(0.05)
    assert record.state == "pending" and record.last_error is not None, (record.state, record.last_error)
    assert f"no Zoho Books invoice (cf_awb_number) yet for AWB {late['awb']}" in record.last_error
    assert posted(loop.zoho_info, PAYMENTS) == []  # nothing of the batch is posted before every AWB is invoiced
    await invoice_awb(zoho, batch, late["awb"], Decimal(late["cod_amount"]))
    record = await settled(loop, services, f"remittance:{batch.rid}")
    assert record.state == "succeeded", record.last_error
    await assert_posted_once(zoho, batch)
