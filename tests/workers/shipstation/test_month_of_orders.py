"""ShipStation → Zoho Books end to end: the ShipStation and Zoho sandboxes over HTTP, a core over gRPC, an arq
worker on Redis, records in PostgreSQL. Each test reads the result where the merchant would: invoices,
contacts and journals in Books."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from arq.worker import Worker
from google.protobuf.timestamp_pb2 import Timestamp

from connector.v1 import record_pb2, sync_pb2, sync_pb2_grpc
from tests.workers.shipstation import fixtures as fx

CENT = Decimal("0.01")
GBP = Decimal("1.2500")


def stamp(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment)
    return out


async def backfill(m: fx.Merchant, start: datetime, end: datetime, seconds: float = 600) -> sync_pb2.SyncRun:
    stub = m.stub(sync_pb2_grpc.SyncServiceStub)
    run = (
        await stub.TriggerRun(
            sync_pb2.TriggerRunRequest(
                tenant_id=m.tenant,
                flow="shipstation-books",
                window_start=stamp(start),
                window_end=stamp(end),
                actor=record_pb2.Actor(role=record_pb2.ACTOR_ROLE_SYSTEM, id="tests"),
            )
        )
    ).run
    return await fx.wait_run(m, run.run_id, seconds)


def expected_total(order: dict[str, Any]) -> Decimal | None:
    """What the order's invoice must total in USD; None for a currency without a documented rate."""
    mark = str((order.get("advancedOptions") or {}).get("customField1") or "")
    total = Decimal(str(order["orderTotal"]))
    if mark == "currency:GBP":
        return (total * GBP).quantize(CENT, rounding=ROUND_HALF_UP)
    if mark.startswith("currency:"):
        return None
    return total


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "orders", [int(os.environ.get("SHIPSTATION_BOOKS_ORDERS", "300")), pytest.param(2000, marks=pytest.mark.slow)]
)
async def test_a_month_of_orders_becomes_invoices_that_total_what_shipstation_says(
    m: fx.Merchant, worker: Worker, orders: int
) -> None:
    now = datetime.now(UTC)
    mix = {"GBP": 0.05, "CAD": 0.05}
    plan = {"edits": 0.2, "cancellations": 0.1, "shipped": 0.3, "unicode": True, "multi_line": True, "seed": 7}
    m.seed(orders, now - timedelta(days=30), now - timedelta(minutes=1), currency_mix=mix, **plan)
    await m.setting("shipstation_books", {"exchange_rates": {"GBP": str(GBP)}, "poll_seconds": 0})
    run = await backfill(m, now - timedelta(days=31), now)
    listed = m.ss_orders()
    foreign = [o for o in listed if expected_total(o) is None]
    assert foreign, "the seed made no order in a currency without a rate"
    assert run.state == sync_pb2.RUN_STATE_COMPLETED_WITH_FAILURES, run
    invoices = fx.by_key(
        [i for i in await m.books_all("/invoices", "invoices") if i.get("cf_channel_order_id")], "cf_channel_order_id"
    )
    assert len(invoices) == len(await m.books_all("/invoices", "invoices")), "an invoice without its order key"
    latest = {}  # order id → the record of its latest version
    for r in sorted(await m.records("shipstation_order:"), key=lambda r: r.source_ref):
        latest[r.source_ref.partition(":")[2].partition("@")[0]] = r
    for order in listed:
        key = f"shipstation:{order['orderKey']}"
        want = expected_total(order)
        if want is None and order["orderStatus"] != "cancelled":
            record = latest[str(order["orderId"])]
            assert record.state == "dead" and record.reason == "invalid_source_data", record.last_error
            assert "CAD" in str(record.last_error) and "exchange_rates" in str(record.last_error)
            assert key not in invoices
            continue
        if order["orderStatus"] == "cancelled" or want is None:
            assert key not in invoices or invoices[key]["status"] == "void", (order, invoices.get(key))
            continue
        invoice = invoices[key]
        assert Decimal(str(invoice["total"])) == want, (order["orderNumber"], invoice["total"], want)
        assert invoice["status"] != "void"
        assert invoice["reference_number"] == order["orderNumber"]
    # one contact per customer email, made once
    contacts = await m.books_all("/contacts", "contacts")
    emails = [c["email"] for c in contacts if c.get("email")]
    assert len(emails) == len(set(emails))
    booked = [o for o in listed if expected_total(o) is not None and o["orderStatus"] != "cancelled"]
    assert {o["customerEmail"].lower() for o in booked} <= set(emails)
    # each shipped order's label cost is a journal entry and its tracking number is on the invoice
    journals = fx.by_key(await m.books_all("/journals", "journals"), "reference_number")
    for shipment in m.ss_shipments():
        order = next(o for o in listed if o["orderId"] == shipment["orderId"])
        if expected_total(order) is None:
            continue
        if Decimal(str(shipment["shipmentCost"] or 0)) + Decimal(str(shipment.get("insuranceCost") or 0)):
            entry = journals[f"SS-SHIP-{shipment['shipmentId']}"]
            want = Decimal(str(shipment["shipmentCost"] or 0)) + Decimal(str(shipment.get("insuranceCost") or 0))
            assert Decimal(str(entry["total"])) == want
        if not shipment["voided"] and order["orderStatus"] != "cancelled":
            invoice = invoices[f"shipstation:{order['orderKey']}"]
            assert invoice.get("cf_awb_number") == shipment["trackingNumber"], (shipment, invoice)
