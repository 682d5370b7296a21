"""Magento sandbox over real HTTP: products, legacy stock items, MSI sources and source items, store config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_magento_support import Api, search


@pytest.fixture
def api(sandboxes: Any) -> Iterator[Api]:
    with httpx.Client(timeout=10) as http:
        yield Api(sandboxes.fresh("magento"), http)


def test_products_search_has_simple_and_configurable_types(api: Api) -> None:
    body = api.get("/products", search((0, "type_id", "configurable", "eq"))).json()
    assert body["total_count"] == 1
    parent = body["items"][0]
    assert parent["sku"] == "DT-KURTA-BLU"
    links = parent["extension_attributes"]["configurable_product_links"]
    assert len(links) == 3
    simple = api.get("/products", search((0, "type_id", "simple", "eq"), pageSize=100)).json()
    assert simple["total_count"] == 8 and all(p["type_id"] == "simple" for p in simple["items"])


def test_product_by_url_encoded_sku_and_unknown_sku(api: Api) -> None:
    r = api.get("/products/DT-SAREE%2FSILK-RED")
    assert r.status_code == 200 and r.json()["sku"] == "DT-SAREE/SILK-RED"
    assert r.json()["extension_attributes"]["stock_item"]["qty"] == 7
    r = api.get("/products/NOPE")
    assert r.status_code == 404
    assert r.json() == {"message": "The product that was requested doesn't exist. Verify the product and try again."}


def test_unknown_product_attribute_in_filter_is_400(api: Api) -> None:
    r = api.get("/products", search((0, "no_such_attribute", "x", "eq")))
    assert r.status_code == 400 and r.json() == {
        "message": "Invalid attribute name: %1",
        "parameters": ["no_such_attribute"],
    }


def test_stock_item_get_and_put_with_stock_item_wrapper(api: Api) -> None:
    item = api.get("/stockItems/DT-MUG-BRASS").json()
    assert item["qty"] == 59 and item["is_in_stock"] is True and item["stock_id"] == 1
    before = api.get("/products/DT-MUG-BRASS").json()["updated_at"]
    api.advance(5)
    r = api.put(f"/products/DT-MUG-BRASS/stockItems/{item['item_id']}", {"stockItem": {"qty": 0, "is_in_stock": True}})
    assert r.status_code == 200 and r.json() == item["item_id"]
    after = api.get("/stockItems/DT-MUG-BRASS").json()
    assert after["qty"] == 0 and after["is_in_stock"] is False  # no backorders: zero qty is out of stock
    assert api.get("/products/DT-MUG-BRASS").json()["updated_at"] > before
    # MSI default source follows the legacy stock item
    sources = api.get(
        "/inventory/source-items", search((0, "sku", "DT-MUG-BRASS", "eq"), (1, "source_code", "default", "eq"))
    ).json()
    assert sources["items"] == [{"sku": "DT-MUG-BRASS", "source_code": "default", "quantity": 0.0, "status": 0}]


def test_stock_item_errors(api: Api) -> None:
    r = api.get("/stockItems/NOPE")
    assert r.status_code == 404 and r.json() == {
        "message": 'The Product with the "%1" SKU doesn\'t exist.',
        "parameters": ["NOPE"],
    }
    r = api.put("/products/DT-MUG-BRASS/stockItems/5", {"qty": 3})
    assert r.status_code == 400 and r.json()["parameters"] == {"fieldName": "stockItem"}
    r = api.put("/products/DT-MUG-BRASS/stockItems/5", {"stockItem": {"qty": "many"}})
    assert r.status_code == 400 and r.json()["parameters"] == {"value": "many", "type": "float"}


def test_msi_sources_and_source_items_save(api: Api) -> None:
    sources = api.get("/inventory/sources").json()
    assert {s["source_code"] for s in sources["items"]} == {"default", "blr_wh"}
    r = api.post(
        "/inventory/source-items",
        {
            "sourceItems": [
                {"sku": "DT-BAG-JUTE", "source_code": "default", "quantity": 42, "status": 1},
                {"sku": "DT-BAG-JUTE", "source_code": "blr_wh", "quantity": 5, "status": 1},
            ]
        },
    )
    assert r.status_code == 200 and r.json() == []
    assert api.get("/stockItems/DT-BAG-JUTE").json()["qty"] == 42
    items = api.get("/inventory/source-items", search((0, "sku", "DT-BAG-JUTE", "eq"))).json()
    assert {i["source_code"]: i["quantity"] for i in items["items"]} == {"default": 42, "blr_wh": 5}
    bad = api.post("/inventory/source-items", {"sourceItems": [{"sku": "", "source_code": "default", "quantity": 1}]})
    assert bad.status_code == 400 and bad.json()["message"] == "Validation Failed"
    assert bad.json()["errors"][0]["parameters"] == {"field": "sku"}
    unknown = api.post("/inventory/source-items", {"sourceItems": [{"sku": "X", "source_code": "nowhere"}]})
    assert unknown.status_code == 400


def test_ordering_reserves_stock_and_cancel_returns_it(api: Api) -> None:
    start = api.get("/stockItems/DT-LAMP-DIYA-6").json()["qty"]
    order = api.new_order(items=[{"sku": "DT-LAMP-DIYA-6", "qty": 2}])
    assert api.get("/stockItems/DT-LAMP-DIYA-6").json()["qty"] == start - 2
    assert api.post(f"/orders/{order['entity_id']}/cancel").json() is True
    assert api.get("/stockItems/DT-LAMP-DIYA-6").json()["qty"] == start


def test_store_config_is_inr_and_default_store_code(api: Api) -> None:
    config = api.get("/store/storeConfigs").json()[0]
    assert config["code"] == "default" and config["base_currency_code"] == "INR"
    views = {v["code"] for v in api.get("/store/storeViews").json()}
    assert views == {"admin", "default"}


def test_seed_spreads_orders_over_the_range_and_reports_them(api: Api) -> None:
    r = api.http.post(
        f"{api.admin}/seed", json={"orders": 30, "from": "2024-06-01T00:00:00+05:30", "to": "2024-06-10T00:00:00+05:30"}
    )
    assert r.status_code == 200
    seeded = r.json()
    assert seeded["created"] == 30 and seeded["from"] == "2024-05-31 18:30:00"
    body = api.get(
        "/orders",
        search(
            (0, "created_at", "2024-05-31 18:30:00", "from"),
            (1, "created_at", "2024-06-09 18:30:00", "to"),
            pageSize=100,
        ),
    ).json()
    assert body["total_count"] == 30
    assert {o["entity_id"] for o in body["items"]} == set(seeded["entity_ids"])
    assert len({o["status"] for o in body["items"]}) >= 3
    bad = api.http.post(f"{api.admin}/seed", json={"orders": 1, "from": "2024-06-10", "to": "2024-06-01"})
    assert bad.status_code == 400


def test_admin_state_and_accounts_views(api: Api) -> None:
    accounts = api.http.get(f"{api.admin}/accounts").json()["accounts"]
    assert [a["account"] for a in accounts] == ["demo"]
    assert accounts[0]["rest_url"] == f"{api.base}/rest/default/V1" and accounts[0]["username"] == "demo-admin"
    state = api.http.get(f"{api.admin}/state", params={"account": "demo"}).json()
    assert len(state["orders"]) == 8 and state["settings"]["standalone_bearer"] is True
    overview = api.http.get(f"{api.admin}/state").json()
    assert overview["accounts"]["demo"]["orders"] == 8
    assert api.http.get(f"{api.admin}/state", params={"account": "nobody"}).status_code == 404
    assert api.http.post(f"{api.admin}/accounts", json={"account": "Bad Name"}).status_code == 400
