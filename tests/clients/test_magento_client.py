"""PyMagento (Bixoto's ``pymagento`` package) driven against the Magento sandbox, configured only with the
sandbox's base URL and the demo merchant's credentials: an OMS's day with one store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from magento import Magento, MagentoException
from magento.dates import format_datetime, parse_datetime
from magento.queries import make_field_value_query, make_search_query

pytestmark = [
    pytest.mark.clients,
]


@pytest.fixture
def info(sandboxes: Any) -> dict[str, Any]:
    info: dict[str, Any] = sandboxes.fresh("magento")
    return info


@pytest.fixture
def client(info: dict[str, Any]) -> Iterator[Magento]:
    # PyMagento's default scope is "all" (/rest/all/V1/...); the integration token works as a Bearer
    # token because the sandbox's "standalone bearer" setting is on.
    m = Magento(token=info["demo"]["integration_token"], base_url=info["base_url"], batch_page_size=7)
    yield m
    m.close()


def test_poll_new_orders_by_updated_at_across_pages(info: dict[str, Any], client: Magento) -> None:
    httpx.post(
        f"{info['admin_url']}/seed", json={"orders": 30, "from": "2024-02-01 00:00:00", "to": "2024-02-29 00:00:00"}
    ).raise_for_status()
    since = parse_datetime("2024-02-01 00:00:00")
    query = make_search_query(
        [[("updated_at", format_datetime(since), "gteq")], [("created_at", "2024-03-01 00:00:00", "lt")]],
        sort_orders=[("updated_at", "ASC")],
    )
    orders = list(client.get_orders(query=query))  # pages of 7, stops on total_count
    assert len(orders) == 30 and len({o["entity_id"] for o in orders}) == 30
    stamps = [parse_datetime(o["updated_at"]) for o in orders]
    assert stamps == sorted(stamps)
    assert client.get_total_orders_count() == 38
    new_cod = list(client.get_orders(status="pending"))
    assert new_cod and all(o["status"] == "pending" for o in new_cod)


def test_oms_day_get_acknowledge_invoice_ship_and_update_stock(client: Magento) -> None:
    order = client.get_order_by_increment_id("000000101")
    assert order is not None and order["payment"]["method"] == "cashondelivery"
    entity_id = order["entity_id"]
    assert client.get_order(entity_id)["increment_id"] == "000000101"

    # acknowledge: a status-history comment moves the status to processing
    ok = client.post_json_api(
        f"/V1/orders/{entity_id}/comments",
        json={"statusHistory": {"comment": "Acknowledged by OMS", "status": "processing", "is_customer_notified": 0}},
    )
    assert ok is True
    assert client.get_order(entity_id)["status"] == "processing"

    simple_lines = [i for i in order["items"] if i["product_type"] == "simple"]
    assert {i["sku"] for i in simple_lines} == {"DT-KURTA-BLU-M", "DT-TEA-ASSAM-500G"}

    invoice_id = client.create_order_invoice(entity_id, {"capture": False}, notify=False)
    invoices = list(client.get_order_invoices(entity_id))
    assert [str(i["entity_id"]) for i in invoices] == [str(invoice_id)]

    shipment_id = client.ship_order(
        entity_id,
        {
            "notify": False,
            "tracks": [{"track_number": "14908100999", "title": "Delhivery", "carrier_code": "custom"}],
        },
    )
    shipment = client.get_shipment(shipment_id)
    assert shipment is not None and shipment["tracks"][0]["track_number"] == "14908100999"
    assert [s["entity_id"] for s in client.get_order_shipments(entity_id)] == [int(shipment_id)]
    done = client.get_order(entity_id)
    assert (done["state"], done["status"]) == ("complete", "complete")

    stock = client.get_product_stock_item("DT-TEA-ASSAM-500G")
    assert client.update_product_stock_item_quantity("DT-TEA-ASSAM-500G", stock["item_id"], 77) == stock["item_id"]
    assert client.get_product_stock_item("DT-TEA-ASSAM-500G")["qty"] == 77
    sources = {s["source_code"]: s["quantity"] for s in client.get_source_items(sku="DT-TEA-ASSAM-500G")}
    assert sources["default"] == 77


def test_msi_source_items_and_url_encoded_skus(client: Magento) -> None:
    client.save_source_items([{"sku": "DT-SAREE/SILK-RED", "source_code": "blr_wh", "quantity": 3, "status": 1}])
    items = {s["source_code"]: s["quantity"] for s in client.get_source_items(sku="DT-SAREE/SILK-RED")}
    assert items == {"default": 7, "blr_wh": 3}
    product = client.get_product("DT-SAREE/SILK-RED")
    assert product is not None and product["type_id"] == "simple"
    assert client.get_product("NO-SUCH-SKU") is None  # PyMagento maps 404 to None
    assert {p["sku"] for p in client.get_products(query=make_field_value_query("type_id", "configurable"))} == {
        "DT-KURTA-BLU"
    }
    assert {s["source_code"] for s in client.get_sources()} == {"default", "blr_wh"}


def test_magento_errors_surface_with_parameters_filled_by_the_client(info: dict[str, Any], client: Magento) -> None:
    with pytest.raises(MagentoException) as exc:
        client.create_order_invoice(6, {})  # canceled demo order
    assert "An invoice cannot be created when an order has a status of canceled" in str(exc.value)
    assert exc.value.response is not None and exc.value.response.status_code == 400

    stranger = Magento(token="not-a-token", base_url=info["base_url"])
    with pytest.raises(MagentoException) as denied:
        stranger.get_order(1, none_on_404=False, throw=True)
    assert str(denied.value) == "The consumer isn't authorized to access Magento_Sales::actions_view."
    stranger.close()


def test_admin_token_login_then_client_in_default_scope(info: dict[str, Any]) -> None:
    demo = info["demo"]
    token = httpx.post(
        f"{info['base_url']}/rest/V1/integration/admin/token",
        json={"username": demo["username"], "password": demo["password"]},
    ).json()
    client = Magento(token=token, base_url=info["base_url"], scope="default")
    assert client.hold_order(1) is True and client.unhold_order(1) is True
    saved = client.set_order_status(client.get_order(2), "processing", external_order_id="OMS-2")
    assert (saved["status"], saved["increment_id"], saved["ext_order_id"]) == ("processing", "000000102", "OMS-2")
    assert [o["increment_id"] for o in client.get_last_orders(limit=3)] == ["000000108", "000000107", "000000106"]
    client.close()
