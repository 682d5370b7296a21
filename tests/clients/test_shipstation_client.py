"""Third-party ShipStation clients driven against the ShipStation sandbox, configured only with its base URL and
the demo merchant's API key and secret:

- ``AsyncShipStation`` (sudoDeVinci): ``ConnectionConfig(v1_endpoint=...)``, httpx under the hood;
- ``shipstation-api-wrapper`` (Vick Mu): ``ShipStationClient(api_key=base64(key:secret), base_url=...)``, requests.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from AsyncShipStation import OrderPortal, ShipStationClient, StorePortal, V1WebhookPortal
from AsyncShipStation.common.base import ConnectionConfig, ShipStationConnection
from shipstation_api_wrapper.api import ShipStationClient as WrapperClient
from shipstation_api_wrapper.filter import ShipStationOrderFilter

pytestmark = [
    pytest.mark.clients,
]

Info = dict[str, Any]


@pytest.fixture
def info(sandboxes: Any) -> Info:
    info: Info = sandboxes.fresh("shipstation")
    return info


@pytest.fixture
async def conn(info: Info) -> AsyncIterator[ShipStationConnection]:
    demo = info["demo"]
    config = ConnectionConfig(version="v1", v1_endpoint=info["base_url"], retries=0)
    connection = await ShipStationClient.start(
        v1_key=demo["api_key"], v1_secret=demo["api_secret"], config=config, version="v1"
    )
    yield connection
    await ShipStationClient.close(connection=connection, version="v1", force=True)


def address(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "company": None,
        "street1": "742 Evergreen Terrace",
        "street2": None,
        "street3": None,
        "city": "Springfield",
        "state": "OR",
        "postalCode": "97477",
        "country": "US",
        "phone": "555-0100",
        "residential": True,
    }


def pacific(moment: datetime) -> str:
    """A UTC instant as the ``yyyy-mm-dd hh:mm:ss`` Pacific filter value ShipStation expects."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%d %H:%M:%S")


async def test_async_client_pulls_a_modify_window_across_pages_and_pushes_orders(
    info: Info, conn: ShipStationConnection
) -> None:
    end = datetime.now(UTC)
    start = end - timedelta(days=10)
    async with httpx.AsyncClient() as admin:
        window = {"from": start.isoformat(), "to": (end - timedelta(hours=1)).isoformat()}
        seeded = (await admin.post(info["admin_url"] + "/seed", json={"orders": 27, **window, "edits": 0.3})).json()

    # stores → the storeId to push into
    status, stores = await StorePortal.all(conn)
    assert status == 200 and isinstance(stores, list)
    store_id = stores[1]["storeId"]

    # incremental pull: a modifyDate window in Pacific time, sorted, 10 a page
    pulled: list[dict[str, Any]] = []
    page = 1
    while True:
        status, body = await OrderPortal.where(
            conn,
            modifyDateStart=pacific(start),
            modifyDateEnd=pacific(end),
            sortBy="ModifyDate",
            sortDir="ASC",
            page=page,
            pageSize=10,
        )
        assert status == 200, body
        assert isinstance(body, dict)
        pulled += body["orders"]
        if page >= body["pages"]:
            break
        page += 1
    seeded_ids = set(seeded["order_ids"])
    assert seeded_ids <= {o["orderId"] for o in pulled}
    stamps = [o["modifyDate"] for o in pulled]
    assert stamps == sorted(stamps)

    # push a new order, then update it by orderKey (whole-order replace)
    status, created = await OrderPortal.create_order(
        conn,
        orderNumber="POS-5001",
        orderKey="pos-5001",
        orderStatus="awaiting_shipment",
        orderDate="2026-03-01T09:15:00.0000000",
        billTo=address("Homer Simpson"),  # type: ignore[arg-type]
        shipTo=address("Homer Simpson"),  # type: ignore[arg-type]
        customerEmail="homer@example.com",
        items=[{"lineItemKey": "1", "sku": "DONUT-12", "name": "Donuts (12)", "quantity": 2, "unitPrice": 9.5}],  # type: ignore[list-item]
        amountPaid=19.0,
        advancedOptions={"storeId": store_id},  # type: ignore[typeddict-item]
    )
    assert status == 200 and isinstance(created, dict), created
    assert created["orderTotal"] == 19.0 and created["advancedOptions"]["storeId"] == store_id
    status, updated = await OrderPortal.update_order(
        conn,
        orderNumber="POS-5001",
        orderKey="pos-5001",
        orderStatus="awaiting_shipment",
        orderDate="2026-03-01T09:15:00.0000000",
        billTo=address("Homer Simpson"),  # type: ignore[arg-type]
        shipTo=address("Homer J. Simpson"),  # type: ignore[arg-type]
        items=[{"lineItemKey": "1", "sku": "DONUT-12", "name": "Donuts (12)", "quantity": 3, "unitPrice": 9.5}],  # type: ignore[list-item]
        internalNotes="customer called: one more box",
        advancedOptions={"storeId": store_id},  # type: ignore[typeddict-item]
    )
    assert status == 200 and isinstance(updated, dict)
    assert updated["orderId"] == created["orderId"] and updated["shipTo"]["name"] == "Homer J. Simpson"
    assert updated["customerEmail"] is None  # omitted on update, so cleared
    assert updated["orderTotal"] == 28.5

    # bulk upsert: one new, one update, one invalid
    status, bulk = await OrderPortal.create_or_update_orders(
        conn,
        [
            {
                "orderNumber": "POS-5002",
                "orderDate": "2026-03-01 10:00:00",
                "orderStatus": "awaiting_payment",
                "billTo": address("Marge"),
                "shipTo": address("Marge"),
            },
            {
                "orderNumber": "POS-5001",
                "orderKey": "pos-5001",
                "orderDate": "2026-03-01 09:15:00",
                "orderStatus": "on_hold",
                "billTo": address("Homer"),
                "shipTo": address("Homer"),
            },
            {"orderNumber": "POS-5003", "orderStatus": "awaiting_payment", "billTo": address("Bart")},
        ],  # type: ignore[list-item]
    )
    assert status == 200 and isinstance(bulk, dict)
    assert bulk["hasErrors"] is True and [r["success"] for r in bulk["results"]] == [True, True, False]

    # a label for the new order ships it
    status, label = await OrderPortal.create_label(
        conn,
        orderId=bulk["results"][0]["orderId"],
        carrierCode="stamps_com",
        serviceCode="usps_priority_mail",
        confirmation="none",
        shipDate="2026-03-02",
    )
    assert status == 200 and isinstance(label, dict)
    assert label["shipmentCost"] > 0 and label["trackingNumber"] and label["labelData"]


async def test_async_client_marks_shipped_lists_shipments_and_manages_webhooks(
    info: Info, conn: ShipStationConnection
) -> None:
    status, body = await OrderPortal.where(conn, orderStatus="awaiting_shipment", pageSize=1)
    assert status == 200 and isinstance(body, dict)
    order = body["orders"][0]

    # The client has no wrapper for markasshipped, V1 /shipments or webhook subscribe (its subscribe goes out
    # on the V2 connection with an API-Key header), so those go through its own V1 transport.
    r = await conn.request(
        "POST",
        f"{conn.v1_endpoint}/orders/markasshipped",
        "v1",
        json={
            "orderId": order["orderId"],
            "carrierCode": "usps",
            "shipDate": "2026-03-02",  # type: ignore[dict-item]
            "trackingNumber": "9400111899223344556677",
            "notifyCustomer": False,
            "notifySalesChannel": True,
        },
    )
    assert isinstance(r, httpx.Response) and r.status_code == 200
    assert r.json() == {"orderId": order["orderId"], "orderNumber": order["orderNumber"]}
    r = await conn.request(
        "GET",
        f"{conn.v1_endpoint}/shipments",
        "v1",
        params={"orderId": order["orderId"], "includeShipmentItems": "true"},  # type: ignore[dict-item]
    )
    assert isinstance(r, httpx.Response)
    shipments = r.json()["shipments"]
    assert [s["trackingNumber"] for s in shipments] == ["9400111899223344556677"]
    assert shipments[0]["shipmentItems"] and shipments[0]["marketplaceNotified"] is True

    r = await conn.request(
        "POST",
        f"{conn.v1_endpoint}/webhooks/subscribe",
        "v1",
        json={
            "target_url": "https://hooks.example.com/ss",
            "event": "SHIP_NOTIFY",
            "store_id": None,  # type: ignore[dict-item]
            "friendly_name": "ops",
        },
    )
    assert isinstance(r, httpx.Response) and r.status_code in (200, 201)
    hook_id = r.json()["id"]
    status, hooks = await V1WebhookPortal.all(conn)
    assert status == 200 and isinstance(hooks, dict)
    assert [(h["WebHookID"], h["HookType"], h["Url"]) for h in hooks["webhooks"]] == [
        (hook_id, "SHIP_NOTIFY", "https://hooks.example.com/ss")
    ]
    await V1WebhookPortal.unsubscribe(conn, hook_id)
    status, hooks = await V1WebhookPortal.all(conn)
    assert status == 200 and isinstance(hooks, dict) and hooks["webhooks"] == []


async def test_async_client_sees_401_for_wrong_secret(info: Info) -> None:
    config = ConnectionConfig(version="v1", v1_endpoint=info["base_url"], retries=0, user_agent="wrong-secret")
    connection = await ShipStationClient.start(
        v1_key=info["demo"]["api_key"], v1_secret="not-the-secret", config=config, version="v1"
    )
    try:
        status, body = await OrderPortal.where(connection)
    finally:
        await ShipStationClient.close(connection=connection, version="v1", force=True)
    assert status == 500 and "401" in str(body)  # the client folds unexpected statuses into its own 500


def test_wrapper_client_filters_edits_holds_and_reads_customers(info: Info) -> None:
    demo = info["demo"]
    token = base64.b64encode(f"{demo['api_key']}:{demo['api_secret']}".encode()).decode()
    client = WrapperClient(api_key=token, base_url=info["base_url"])

    listed = client.orders.list()
    assert listed.status_code == 200 and listed.headers["X-Rate-Limit-Limit"] == "40"
    order = next(o for o in listed.json()["orders"] if o["orderStatus"] == "awaiting_shipment")

    since = datetime.now(UTC) - timedelta(days=30)
    window = ShipStationOrderFilter()
    window.add_date_filter(pacific(since), pacific(datetime.now(UTC)), date_type="modify")
    window.add_order_status_filter("awaiting_shipment")
    filtered = client.orders.list_with_filter(window).json()
    assert order["orderId"] in [o["orderId"] for o in filtered["orders"]]
    assert client.orders.get_by_number(order["orderNumber"]).json()["orders"][0]["orderId"] == order["orderId"]

    # add_note re-posts the whole order as fetched: the sandbox must accept its own rendering back
    fetched = client.orders.get_by_id(order["orderId"]).json()
    noted = client.orders.add_note("Called customer.", fetched)
    assert noted.status_code == 200, noted.text
    after = noted.json()
    assert after["orderId"] == order["orderId"] and after["internalNotes"].startswith(" Called customer.")
    assert after["orderDate"] == fetched["orderDate"] and after["items"] == [
        {**i, "modifyDate": after["items"][n]["modifyDate"]} for n, i in enumerate(fetched["items"])
    ]
    assert after["modifyDate"] > fetched["modifyDate"]

    held = client.orders.hold(order["orderId"], "2030-01-01")
    assert held.json()["success"] is True
    assert client.orders.get_by_id(order["orderId"]).json()["orderStatus"] == "on_hold"

    customers = client.customers.list(countryCode="US", sortBy="Name", pageSize=5).json()
    assert customers["total"] > 0 and len(customers["customers"]) <= 5
    one = client.customers.get_by_id(fetched["customerId"]).json()
    assert one["customerId"] == fetched["customerId"] and one["marketplaceUsernames"]

    assert client.orders.get_by_id(1).status_code == 404
    tags = client.tags.list()
    assert tags.status_code == 200 and [t["name"] for t in tags.json()] == ["Priority", "Gift"]
