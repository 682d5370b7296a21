"""ShipStation V1 simulator: webhook subscriptions and thin, unsigned deliveries whose resource_url resolves."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import SandboxProcesses

Info = dict[str, Any]
# A connection per call: kept-alive connections to the sandbox pay ~40 ms of Nagle delay per answer (the kit's
# listening sockets lack TCP_NODELAY), which would make the suite slow and pace clients slower than meant.
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)

# The shared sandbox fixture leaves its log file to the garbage collector; that warning is not ours.


@pytest.fixture
def ss(sandboxes: SandboxProcesses) -> Info:
    return sandboxes.fresh("shipstation")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    url: str
    hits: list[Received] = field(default_factory=list)
    status: int = 200
    fail_first: int = 0
    """Answer 500 to this many deliveries before answering ``status``."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, hit: Received) -> None:
        self.hits.append(hit)
        self.arrived.set()

    async def wait_for(self, predicate: Callable[[list[Received]], bool], seconds: float = 5.0) -> list[Received]:
        """Wait until the deliveries received so far satisfy ``predicate``."""
        async with asyncio.timeout(seconds):
            while not predicate(self.hits):
                self.arrived.clear()
                await self.arrived.wait()
        return self.hits


class _QuietServer(uvicorn.Server):
    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    rx = Receiver(f"http://127.0.0.1:{port}")

    async def hook(request: Request) -> Response:
        rx.add(Received(request.url.path, dict(request.headers), json.loads(await request.body())))
        return Response(status_code=500 if len(rx.hits) <= rx.fail_first else rx.status)

    app = Starlette(routes=[Route("/{name:path}", hook, methods=["POST"])])
    server = _QuietServer(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for "listening"
        await asyncio.sleep(0.01)
    yield rx
    server.should_exit = True
    await task
    sock.close()


def client(info: Info, key: str | None = None, secret: str | None = None) -> httpx.AsyncClient:
    demo = info["demo"]
    return httpx.AsyncClient(
        base_url=info["base_url"],
        auth=(key or demo["api_key"], secret or demo["api_secret"]),
        timeout=10,
        limits=NO_KEEPALIVE,
    )


def order(number: str, store_id: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "orderNumber": number,
        "orderDate": "2026-02-01 09:00:00",
        "orderStatus": "awaiting_shipment",
        "customerEmail": f"{number.lower()}@example.com",
        "billTo": {"name": "Kim"},
        "shipTo": {
            "name": "Kim",
            "street1": "5 Elm St",
            "city": "Denver",
            "state": "CO",
            "postalCode": "80202",
            "country": "US",
        },
        "items": [{"lineItemKey": "1", "sku": "TOTE", "name": "Tote", "quantity": 1, "unitPrice": 18.75}],
    }
    if store_id is not None:
        body["advancedOptions"] = {"storeId": store_id}
    return body


async def subscribe(api: httpx.AsyncClient, url: str, event: str, store_id: int | None = None) -> int:
    r = await api.post(
        "/webhooks/subscribe",
        json={"target_url": url, "event": event, "store_id": store_id, "friendly_name": f"{event} hook"},
    )
    assert r.status_code == 200, r.text
    hook_id: int = r.json()["id"]
    assert r.json()["WebHookID"] == hook_id and r.json()["HookType"] == event
    return hook_id


async def deliveries(api: httpx.AsyncClient, info: Info) -> list[dict[str, Any]]:
    """The simulator's delivery log; a delivery is logged as soon as it is scheduled, so once a later API call
    has been answered every delivery owed for earlier calls is in it."""
    found: list[dict[str, Any]] = (await api.get(info["admin_url"] + "/webhooks/deliveries")).json()["deliveries"]
    return found


# ------------------------------------------------------------------------------------------ subscriptions
async def test_subscribe_list_and_unsubscribe(ss: Info) -> None:
    async with client(ss) as api:
        hook_id = await subscribe(api, "https://hooks.example.com/ss?token=abc", "ORDER_NOTIFY", ss["demo"]["store_id"])
        listed = (await api.get("/webhooks")).json()["webhooks"]
        deleted = await api.delete(f"/webhooks/{hook_id}")
        after = (await api.get("/webhooks")).json()["webhooks"]
        again = await api.delete(f"/webhooks/{hook_id}")
    assert isinstance(hook_id, int)
    assert listed == [
        {
            "IsLabelAPIHook": False,
            "WebHookID": hook_id,
            "SellerID": listed[0]["SellerID"],
            "StoreID": ss["demo"]["store_id"],
            "HookType": "ORDER_NOTIFY",
            "MessageFormat": "Json",
            "Url": "https://hooks.example.com/ss?token=abc",
            "Name": "ORDER_NOTIFY hook",
            "BulkCopyBatchID": None,
            "BulkCopyRecordID": None,
            "Active": True,
            "WebhookLogs": [],
            "Seller": None,
            "Store": None,
        }
    ]
    assert deleted.status_code == 200 and after == [] and again.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "ORDER_NOTIFY"}, "target_url"),
        ({"target_url": "https://x.example/h", "event": "ORDER_SHIPPED"}, "event"),
        ({"target_url": "https://x.example/h", "event": "SHIP_NOTIFY", "store_id": 1}, "store_id"),
        ({"target_url": "ftp://x.example/h", "event": "SHIP_NOTIFY"}, "target_url"),
    ],
)
async def test_subscribe_refuses_bad_subscriptions(ss: Info, body: dict[str, Any], field: str) -> None:
    async with client(ss) as api:
        r = await api.post("/webhooks/subscribe", json=body)
    assert r.status_code == 400 and field in r.json()["ModelState"]


# ------------------------------------------------------------------------------------------- deliveries
async def test_new_order_sends_a_thin_unsigned_order_notify_whose_url_resolves(ss: Info, receiver: Receiver) -> None:
    async with client(ss) as api:
        await subscribe(api, receiver.url + "/ss?token=secret", "ORDER_NOTIFY")
        created = (await api.post("/orders/createorder", json=order("WH-1"))).json()
        hits = await receiver.wait_for(lambda h: len(h) >= 1)
        hit = hits[0]
        assert hit.path == "/ss" and set(hit.body) == {"resource_url", "resource_type"}
        assert hit.body["resource_type"] == "ORDER_NOTIFY"
        assert hit.body["resource_url"].startswith(ss["base_url"] + "/orders?importBatch=")
        assert "authorization" not in hit.headers and not any("signature" in h for h in hit.headers)
        async with httpx.AsyncClient() as bare:
            anonymous = await bare.get(hit.body["resource_url"])
        before = await api.get("/stores")
        fetched = await api.get(hit.body["resource_url"])
    assert anonymous.status_code == 401
    assert [o["orderId"] for o in fetched.json()["orders"]] == [created["orderId"]]
    # fetching the resource_url counts against the same 40/min budget
    assert int(fetched.headers["x-rate-limit-remaining"]) == int(before.headers["x-rate-limit-remaining"]) - 1


async def test_bulk_create_announces_one_import_batch_per_store(ss: Info, receiver: Receiver) -> None:
    manual, shopify = ss["demo"]["store_ids"]
    async with client(ss) as api:
        await subscribe(api, receiver.url + "/all", "ORDER_NOTIFY")
        r = await api.post("/orders/createorders", json=[order("BK-1"), order("BK-2"), order("BK-3", shopify)])
        assert r.json()["hasErrors"] is False
        hits = await receiver.wait_for(lambda h: len(h) >= 2)
        assert len(await deliveries(api, ss)) == 2
        batches = [(await api.get(h.body["resource_url"])).json()["orders"] for h in receiver.hits]
    assert len(hits) == 2
    assert sorted(sorted(o["orderNumber"] for o in b) for b in batches) == [["BK-1", "BK-2"], ["BK-3"]]
    assert {o["advancedOptions"]["storeId"] for b in batches for o in b} == {manual, shopify}


async def test_store_scoped_subscription_only_hears_its_store(ss: Info, receiver: Receiver) -> None:
    manual, shopify = ss["demo"]["store_ids"]
    async with client(ss) as api:
        await subscribe(api, receiver.url + "/shopify", "ORDER_NOTIFY", shopify)
        await api.post("/orders/createorder", json=order("SC-1", manual))
        await api.post("/orders/createorder", json=order("SC-2", shopify))
        hits = await receiver.wait_for(lambda h: len(h) >= 1)
        assert len(await deliveries(api, ss)) == 1
        orders = (await api.get(hits[0].body["resource_url"])).json()["orders"]
    assert len(receiver.hits) == 1 and [o["orderNumber"] for o in orders] == ["SC-2"]


async def test_shipping_sends_ship_notify_pointing_at_the_batch(ss: Info, receiver: Receiver) -> None:
    async with client(ss) as api:
        await subscribe(api, receiver.url + "/ship", "SHIP_NOTIFY")
        await subscribe(api, receiver.url + "/items", "ITEM_SHIP_NOTIFY")
        created = (await api.post("/orders/createorder", json=order("SH-1"))).json()
        await api.post(
            "/orders/markasshipped",
            json={"orderId": created["orderId"], "carrierCode": "ups", "trackingNumber": "1Z999"},
        )
        hits = await receiver.wait_for(lambda h: len(h) >= 2)
        by_path = {h.path: h.body for h in hits}
        ship = by_path["/ship"]
        assert ship["resource_type"] == "SHIP_NOTIFY"
        assert ship["resource_url"].startswith(ss["base_url"] + "/shipments?batchId=")
        assert ship["resource_url"].endswith("&includeShipmentItems=False")
        plain = (await api.get(ship["resource_url"])).json()["shipments"]
        detailed = (await api.get(by_path["/items"]["resource_url"])).json()["shipments"]
    assert [s["trackingNumber"] for s in plain] == ["1Z999"] and plain[0]["shipmentItems"] is None
    assert detailed[0]["shipmentItems"][0]["sku"] == "TOTE"


async def test_labels_send_ship_notify_too(ss: Info, receiver: Receiver) -> None:
    async with client(ss) as api:
        await subscribe(api, receiver.url + "/ship", "SHIP_NOTIFY")
        created = (await api.post("/orders/createorder", json=order("LB-1"))).json()
        label = (
            await api.post(
                "/orders/createlabelfororder",
                json={"orderId": created["orderId"], "carrierCode": "fedex", "serviceCode": "fedex_ground"},
            )
        ).json()
        hits = await receiver.wait_for(lambda h: len(h) >= 1)
        shipments = (await api.get(hits[0].body["resource_url"])).json()["shipments"]
    assert [s["shipmentId"] for s in shipments] == [label["shipmentId"]]


async def test_seeding_announces_its_import_batches(ss: Info, receiver: Receiver) -> None:
    async with client(ss) as api:
        await subscribe(api, receiver.url + "/seed", "ORDER_NOTIFY")
        seeded = (await api.post(ss["admin_url"] + "/seed", json={"orders": 30})).json()
        hits = await receiver.wait_for(lambda h: len(h) >= len(seeded["import_batches"]))
        total = 0
        for hit in hits:
            total += (await api.get(hit.body["resource_url"])).json()["total"]
    assert total == 30


async def test_other_merchants_deliveries_stay_separate(ss: Info, receiver: Receiver) -> None:
    async with httpx.AsyncClient() as bare:
        other = (await bare.post(ss["admin_url"] + "/accounts", json={})).json()
    async with client(ss) as ours, client(ss, other["api_key"], other["api_secret"]) as theirs:
        await subscribe(theirs, receiver.url + "/theirs", "ORDER_NOTIFY")
        await ours.post("/orders/createorder", json=order("MINE-1"))
        await theirs.post("/orders/createorder", json=order("THEIRS-1", other["store_id"]))
        hits = await receiver.wait_for(lambda h: len(h) >= 1)
        assert len(await deliveries(ours, ss)) == 1
        mine = await ours.get(hits[0].body["resource_url"])
        theirs_view = await theirs.get(hits[0].body["resource_url"])
    assert len(receiver.hits) == 1
    assert mine.json()["orders"] == [] and [o["orderNumber"] for o in theirs_view.json()["orders"]] == ["THEIRS-1"]


async def test_a_failed_delivery_is_retried_with_the_same_body(ss: Info, receiver: Receiver) -> None:
    receiver.fail_first = 1
    async with client(ss) as api:
        await api.post(ss["admin_url"] + "/clock", json={"speed": 60})  # the kit retries after 1 sandbox second
        await subscribe(api, receiver.url + "/flaky", "ORDER_NOTIFY")
        await api.post("/orders/createorder", json=order("RT-1"))
        hits = await receiver.wait_for(lambda h: len(h) >= 2)
        log = await deliveries(api, ss)
    assert hits[0].body == hits[1].body
    assert [a["status"] for a in log[0]["attempts"]] == [500, 200] and log[0]["delivered"] is True


# ---------------------------------------------------------------------------------------------- emitting
async def test_emit_sends_duplicate_deliveries_for_chosen_orders(ss: Info, receiver: Receiver) -> None:
    async with client(ss) as api:
        a = (await api.post("/orders/createorder", json=order("EM-1"))).json()
        b = (await api.post("/orders/createorder", json=order("EM-2"))).json()
        emitted = (
            await api.post(
                ss["admin_url"] + "/webhooks/emit",
                json={
                    "url": receiver.url + "/dup",
                    "event": "ORDER_NOTIFY",
                    "order_ids": [a["orderId"], b["orderId"]],
                    "repeat": 3,
                },
            )
        ).json()
        hits = await receiver.wait_for(lambda h: len(h) >= 3)
        orders = (await api.get(hits[0].body["resource_url"])).json()["orders"]
    assert len(emitted["deliveries"]) == 3 and all(d["delivered"] for d in emitted["deliveries"])
    assert len({json.dumps(h.body) for h in hits}) == 1
    assert sorted(o["orderNumber"] for o in orders) == ["EM-1", "EM-2"]


async def test_emit_ship_notify_and_failed_deliveries_are_logged(ss: Info, receiver: Receiver) -> None:
    receiver.status = 500
    async with client(ss) as api:
        created = (await api.post("/orders/createorder", json=order("EF-1"))).json()
        await api.post("/orders/markasshipped", json={"orderId": created["orderId"], "carrierCode": "usps"})
        shipment = (await api.get("/shipments", params={"orderId": created["orderId"]})).json()["shipments"][0]
        emitted = (
            await api.post(
                ss["admin_url"] + "/webhooks/emit",
                json={"url": receiver.url + "/fail", "event": "SHIP_NOTIFY", "shipment_ids": [shipment["shipmentId"]]},
            )
        ).json()
        log = (await api.get(ss["admin_url"] + "/webhooks/deliveries")).json()["deliveries"]
        resolved = (await api.get(emitted["resource_url"])).json()["shipments"]
        bad = await api.post(ss["admin_url"] + "/webhooks/emit", json={"event": "NOPE"})
    assert emitted["deliveries"][0]["delivered"] is False
    assert emitted["deliveries"][0]["attempts"][0]["status"] == 500
    assert any(d["url"] == receiver.url + "/fail" and not d["delivered"] for d in log)
    assert [s["shipmentId"] for s in resolved] == [shipment["shipmentId"]]
    assert bad.status_code == 400


async def test_emit_to_subscriptions_when_no_url_is_given(ss: Info, receiver: Receiver) -> None:
    async with client(ss) as api:
        await subscribe(api, receiver.url + "/sub", "ORDER_NOTIFY")
        await api.post("/orders/createorder", json=order("ES-1"))
        await receiver.wait_for(lambda h: len(h) >= 1)
        emitted = (
            await api.post(ss["admin_url"] + "/webhooks/emit", json={"event": "ORDER_NOTIFY", "repeat": 2})
        ).json()
        hits = await receiver.wait_for(lambda h: len(h) >= 3)
    assert len(emitted["deliveries"]) == 2 and all(h.path == "/sub" for h in hits)
