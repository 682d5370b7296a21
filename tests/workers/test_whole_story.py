"""The whole story through every real part, COD and prepaid: the merchant's webhooks wired to the portal as
`make up` wires them; an order confirmed in the Zoho sandbox reaches the portal as Zoho's signed webhook and
gets its AWB; the parcel is moved to delivered in the Shiprocket sandbox, whose status webhooks reach the
portal; a COD remittance batch is picked up by a sync run triggered over gRPC; Books ends with the invoices,
the prepaid one paid at delivery and the COD one paid by the remittance, with the deductions as an expense."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from arq.worker import Worker
from google.protobuf.timestamp_pb2 import Timestamp

from connector.v1 import record_pb2, sync_pb2, sync_pb2_grpc
from connectors.core_client import CoreClient
from connectors.demo import wire_webhooks
from tenants.db import make_app_engine, make_sessions, tenant_session
from tests.conftest import eventually
from tests.core.conftest import CoreHandle
from tests.portal.conftest import portal_settings, serving
from tests.workers.conftest import Loop, wait_for_record
from tests.workers.test_tracking_flow import Receiver, Shop
from workers.engine import links
from workers.flows.shipment_status import COD_DELIVERED_WORDS


def stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


async def test_cod_and_prepaid_orders_from_confirmation_to_money_in_the_books(
    loop: Loop, worker: Worker, core: CoreHandle
) -> None:
    async with serving(portal_settings(core)) as portal, httpx.AsyncClient(timeout=15) as http:
        client = CoreClient(loop.settings)
        wired = await wire_webhooks(client, loop.tenant, portal, {"shiprocket": loop.shiprocket_info})
        assert len(wired) == 2, wired
        shop = Shop(loop, Receiver(), http)
        # The test's own polling of Zoho must not eat the worker's 100 calls a minute.
        await http.post(f"{shop.zoho_admin}/zoho/settings", json={"per_minute": 5000})
        started = datetime.now(UTC) - timedelta(minutes=1)

        cod, prepaid = await shop.order(cod=True), await shop.order(cod=False, customer="Vikram Singh")
        awbs = {}
        for order in (cod, prepaid):  # Zoho's signed webhook → portal → inbox → worker
            record = await wait_for_record(loop, f"zoho_salesorder:{order['salesorder_id']}", ("succeeded", "dead"))
            assert record.state == "succeeded", record.last_error
            awbs[order["salesorder_id"]] = awb = record.target_refs["awb"]
            assert (await shop.fields(order["salesorder_id"]))["cf_awb_number"] == awb

        for order in (cod, prepaid):  # every status, pushed by Shiprocket to the portal
            moved = await http.post(
                f"{shop.shiprocket_admin}/shipments/{awbs[order['salesorder_id']]}/advance", json={"path": "delivered"}
            )
            assert moved.status_code == 200, moved.text
        cod_words = await eventually(
            lambda: _status_is(shop, cod["salesorder_id"], COD_DELIVERED_WORDS), "the COD order's delivery"
        )
        assert cod_words
        await eventually(lambda: _status_is(shop, prepaid["salesorder_id"], "Delivered"), "the prepaid delivery")

        async def prepaid_paid() -> Any:
            [invoice] = await shop.invoices(awbs[prepaid["salesorder_id"]])
            return invoice if invoice["status"] == "paid" else None

        prepaid_invoice = await eventually(prepaid_paid, "the prepaid invoice's payment")
        assert Decimal(str(prepaid_invoice["balance"])) == 0
        [cod_invoice] = await shop.invoices(awbs[cod["salesorder_id"]])
        assert cod_invoice["status"] != "paid"  # awaiting the remittance

        # Shiprocket remits the COD collection; a sync run over the window picks the batch up.
        cod_awb = awbs[cod["salesorder_id"]]
        batch = await http.post(f"{shop.shiprocket_admin}/remittances", json={"account": "demo", "awbs": [cod_awb]})
        assert batch.status_code == 201, batch.text
        runs = client.stub(sync_pb2_grpc.SyncServiceStub)
        run = (
            await runs.TriggerRun(
                sync_pb2.TriggerRunRequest(
                    tenant_id=loop.tenant,
                    flow="cod-remittance",
                    window_start=stamp(started),
                    window_end=stamp(datetime.now(UTC) + timedelta(minutes=1)),
                    actor=record_pb2.Actor(id="test", role=record_pb2.ACTOR_ROLE_MERCHANT),
                )
            )
        ).run

        async def finished() -> Any:
            got = (await runs.GetRun(sync_pb2.GetRunRequest(tenant_id=loop.tenant, run_id=run.run_id))).run
            return got if got.finish_time.seconds else None

        done = await eventually(finished, "the remittance run")
        assert (done.received, done.succeeded, done.failed) == (1, 1, 0), done
        await client.close()

        [paid] = await shop.invoices(cod_awb)
        assert paid["status"] == "paid" and Decimal(str(paid["balance"])) == 0
        payments = (await shop.books("GET", f"/invoices/{paid['invoice_id']}/payments"))["payments"]
        assert len(payments) == 1 and Decimal(str(payments[0]["amount"])) == Decimal(str(paid["total"]))
        lines = batch.json()
        crf = str(lines["remittance"]["crf_id"])
        expenses = (await shop.books("GET", "/expenses", params={"reference_number": crf}))["expenses"]
        assert len(expenses) == 1
        assert (await shop.fields(cod["salesorder_id"]))["cf_cod_remittance_id"] == crf

        # One order's every identity, found from its AWB.
        engine = make_app_engine(loop.settings)
        async with tenant_session(make_sessions(engine), uuid.UUID(loop.tenant)) as session:
            found = await links.connected(session, ("awb", cod_awb))
        await engine.dispose()
        for kind in ("zoho_salesorder", "shiprocket_order", "shiprocket_shipment", "books_invoice", "remittance"):
            assert found.get(kind), (kind, found)


async def _status_is(shop: Shop, salesorder_id: str, words: str) -> bool:
    return (await shop.fields(salesorder_id)).get("cf_shipment_status") == words
