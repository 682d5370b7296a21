"""Magento sandbox over real HTTP: order search and pagination, order actions, invoices, shipments, refunds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_magento_support import ALL, NO_ENTITY, Api, search


@pytest.fixture
def api(sandboxes: Any) -> Iterator[Api]:
    with httpx.Client(timeout=10) as http:
        yield Api(sandboxes.fresh("magento"), http)


def test_demo_orders_cover_cod_prepaid_and_every_common_state(api: Api) -> None:
    body = api.get("/orders", ALL).json()
    assert body["total_count"] == 8 and body["search_criteria"] == {"filter_groups": []}
    states = {(o["state"], o["status"]) for o in body["items"]}
    assert {
        ("new", "pending"),
        ("processing", "processing"),
        ("complete", "complete"),
        ("canceled", "canceled"),
        ("holded", "holded"),
        ("closed", "closed"),
        ("pending_payment", "pending_payment"),
    } <= states
    methods = {o["payment"]["method"] for o in body["items"]}
    assert methods == {"cashondelivery", "checkmo", "razorpay"}
    first = body["items"][0]
    assert first["order_currency_code"] == "INR" and first["base_currency_code"] == "INR"
    assert first["increment_id"] != str(first["entity_id"]) and len(first["increment_id"]) == 9
    ship = first["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]
    assert ship["country_id"] == "IN" and ship["postcode"] and "shipping_address" not in first


def test_list_without_search_criteria_is_a_required_field_error(api: Api) -> None:
    r = api.get("/orders")
    assert r.status_code == 400
    assert r.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "searchCriteria"},
    }


def test_polling_by_updated_at_across_pages_stops_on_total_count(api: Api) -> None:
    api.http.post(
        f"{api.admin}/seed", json={"orders": 45, "from": "2024-03-01 00:00:00", "to": "2024-03-31 23:59:59"}
    ).raise_for_status()
    params = search(
        (0, "updated_at", "2024-03-01 00:00:00", "gteq"), (1, "updated_at", "2024-04-30 00:00:00", "lt"), pageSize=20
    ) | {"searchCriteria[sortOrders][0][field]": "updated_at", "searchCriteria[sortOrders][0][direction]": "ASC"}
    seen: list[dict[str, Any]] = []
    page = 1
    while True:
        body = api.get("/orders", params | {"searchCriteria[currentPage]": page}).json()
        assert body["search_criteria"]["current_page"] == page and body["search_criteria"]["page_size"] == 20
        seen += body["items"]
        if len(seen) >= body["total_count"]:
            break
        page += 1
    assert len(seen) == 45 and page == 3
    stamps = [o["updated_at"] for o in seen]
    assert stamps == sorted(stamps) and len({o["entity_id"] for o in seen}) == 45
    # Magento answers a page past the end with the last page again
    again = api.get("/orders", params | {"searchCriteria[currentPage]": 4}).json()
    assert [o["entity_id"] for o in again["items"]] == [o["entity_id"] for o in seen[40:]]


def test_past_the_end_can_be_configured_to_answer_empty(api: Api) -> None:
    api.http.post(f"{api.admin}/settings", json={"repeat_last_page": False}).raise_for_status()
    body = api.get("/orders", {"searchCriteria[pageSize]": 5, "searchCriteria[currentPage]": 3}).json()
    assert body["items"] == [] and body["total_count"] == 8


def test_input_limit_mode_refuses_page_size_over_300(api: Api) -> None:
    api.http.post(f"{api.admin}/settings", json={"input_limits": True}).raise_for_status()
    r = api.get("/orders", {"searchCriteria[pageSize]": 301})
    assert r.status_code == 400
    assert r.json() == {"message": "Maximum SearchCriteria pageSize is %max", "parameters": {"max": 300}}
    assert api.get("/orders", ALL).json()["search_criteria"]["page_size"] == 20


def test_or_within_group_and_across_groups_on_real_orders(api: Api) -> None:
    params = search((0, "status", "pending", "eq"), (0, "status", "holded", "eq"), (1, "grand_total", "1000", "lt"))
    body = api.get("/orders", params).json()
    assert body["total_count"] >= 1
    assert all(o["status"] in ("pending", "holded") and o["grand_total"] < 1000 for o in body["items"])
    by_increment = api.get("/orders", search((0, "increment_id", "000000103,000000105", "in"))).json()
    assert sorted(o["increment_id"] for o in by_increment["items"]) == ["000000103", "000000105"]


def test_unknown_filter_column_is_an_internal_error_without_trace(api: Api) -> None:
    r = api.get("/orders", search((0, "no_such_column", "1", "eq")))
    assert r.status_code == 500 and r.json()["message"].startswith("Internal Error. Details are available")
    assert "trace" not in r.json()


def test_get_order_takes_entity_id_only(api: Api) -> None:
    order = api.order(1)
    assert order["entity_id"] == 1 and order["increment_id"] == "000000101"
    r = api.get("/orders/101")
    assert r.status_code == 404 and r.json() == {"message": NO_ENTITY}
    r = api.get("/orders/abc")
    assert r.status_code == 400 and r.json()["parameters"] == {"value": "abc", "type": "int"}


def test_configurable_line_is_a_parent_plus_a_child(api: Api) -> None:
    items = api.order(1)["items"]
    parent = next(i for i in items if i["product_type"] == "configurable")
    child = next(i for i in items if i.get("parent_item_id") == parent["item_id"])
    assert parent["sku"] == child["sku"] == "DT-KURTA-BLU-M" and child["product_type"] == "simple"
    assert child["parent_item"]["item_id"] == parent["item_id"] and child["price"] == 0


def test_status_endpoint_and_comment_that_acknowledges(api: Api) -> None:
    assert api.get("/orders/1/statuses").json() == "pending"
    before = api.order(1)["updated_at"]
    api.advance(90)
    r = api.post(
        "/orders/1/comments",
        {
            "statusHistory": {
                "comment": "Received by OMS",
                "status": "processing",
                "is_customer_notified": 0,
                "is_visible_on_front": 0,
            }
        },
    )
    assert r.status_code == 200 and r.json() is True
    order = api.order(1)
    assert order["status"] == "processing" and order["state"] == "new" and order["updated_at"] > before
    comments = api.get("/orders/1/comments").json()
    assert comments["total_count"] == 1 and comments["items"][0]["comment"] == "Received by OMS"
    r = api.post("/orders/1/comments", {"comment": "unwrapped"})
    assert r.status_code == 400 and r.json()["parameters"] == {"fieldName": "statusHistory"}


def test_cancel_returns_true_then_false_and_not_after_invoice(api: Api) -> None:
    r = api.post("/orders/2/cancel")
    assert r.status_code == 200 and r.json() is True
    order = api.order(2)
    assert (order["state"], order["status"]) == ("canceled", "canceled")
    assert all(i["qty_canceled"] == i["qty_ordered"] for i in order["items"])
    assert api.post("/orders/2/cancel").json() is False
    assert api.post("/orders/3/cancel").json() is False  # prepaid, already invoiced
    assert api.post("/orders/999/cancel").status_code == 404


def test_hold_and_unhold_restore_the_previous_state(api: Api) -> None:
    assert api.post("/orders/1/hold").json() is True
    assert api.order(1)["state"] == "holded"
    r = api.post("/orders/1/hold")
    assert r.status_code == 400 and r.json() == {"message": "A hold action is not available."}
    assert api.post("/orders/1/unhold").json() is True
    assert (api.order(1)["state"], api.order(1)["status"]) == ("new", "pending")
    r = api.post("/orders/1/unhold")
    assert r.status_code == 400 and r.json() == {"message": "You cannot remove the hold."}


def test_invoice_returns_bare_id_and_moves_cod_to_processing(api: Api) -> None:
    order = api.order(1)
    parent = next(i for i in order["items"] if i["product_type"] == "configurable")
    r = api.post("/order/1/invoice", {"capture": True, "items": [{"order_item_id": parent["item_id"], "qty": 1}]})
    assert r.status_code == 200 and r.json().isdigit()
    after = api.order(1)
    assert (after["state"], after["status"]) == ("processing", "processing")
    assert next(i for i in after["items"] if i["item_id"] == parent["item_id"])["qty_invoiced"] == 1
    invoice = api.get(f"/invoices/{r.json()}").json()
    assert invoice["order_id"] == 1 and invoice["items"][0]["qty"] == 1 and invoice["state"] == 2
    over = api.post("/order/1/invoice", {"items": [{"order_item_id": parent["item_id"], "qty": 5}]})
    assert over.status_code == 400
    assert over.json()["message"].startswith(
        "Invoice Document Validation Error(s):\nThe quantity to invoice must not be "
        'greater than the uninvoiced quantity for product SKU "DT-KURTA-BLU-M".'
    )
    assert api.post("/order/1/invoice", {}).status_code == 200  # the rest
    full = api.post("/order/1/invoice", {})
    assert full.status_code == 400
    assert (
        full.json()["message"]
        == "Invoice Document Validation Error(s):\nThe order does not allow an invoice to be created."
    )
    listed = api.get("/invoices", search((0, "order_id", "1", "eq"))).json()
    assert listed["total_count"] == 2


def test_invoice_refused_for_canceled_order_names_status(api: Api) -> None:
    r = api.post("/order/6/invoice", {})
    assert r.status_code == 400
    assert r.json()["message"].endswith("An invoice cannot be created when an order has a status of canceled")


def test_ship_with_track_completes_an_invoiced_order(api: Api) -> None:
    before = api.order(3)
    api.advance(60)
    r = api.post(
        "/order/3/ship",
        {
            "notify": False,
            "tracks": [{"track_number": "DL123456789IN", "title": "Delhivery", "carrier_code": "custom"}],
        },
    )
    assert r.status_code == 200 and r.json().isdigit()
    after = api.order(3)
    assert (after["state"], after["status"]) == ("complete", "complete") and after["updated_at"] > before["updated_at"]
    assert all(i["qty_shipped"] == i["qty_ordered"] for i in after["items"])
    shipment = api.get(f"/shipment/{r.json()}").json()
    assert (
        shipment["tracks"][0]["track_number"] == "DL123456789IN" and shipment["tracks"][0]["carrier_code"] == "custom"
    )
    assert shipment["extension_attributes"]["source_code"] == "default"
    again = api.post("/order/3/ship", {})
    assert (
        again.status_code == 400
        and "A shipment cannot be created when an order has a status of complete" in again.json()["message"]
    )


def test_ship_cod_before_invoice_keeps_processing_and_over_quantity_is_refused(api: Api) -> None:
    order = api.order(1)
    tea = next(i for i in order["items"] if i["sku"] == "DT-TEA-ASSAM-500G")
    r = api.post("/order/1/ship", {"items": [{"order_item_id": tea["item_id"], "qty": 3}]})
    assert r.status_code == 400 and r.json()["message"].startswith(
        "Shipment Document Validation Error(s):\nThe quantity to ship must not be greater than the unshipped "
        'quantity for product SKU "DT-TEA-ASSAM-500G".'
    )
    assert api.post("/order/1/ship", {}).status_code == 200
    after = api.order(1)
    assert (after["state"], after["status"]) == ("processing", "processing")
    api.post("/order/1/invoice", {}).raise_for_status()
    assert api.order(1)["state"] == "complete"


def test_add_and_delete_track_on_existing_shipment(api: Api) -> None:
    shipments = api.get("/shipments", search((0, "order_id", "5", "eq"))).json()
    shipment_id = shipments["items"][0]["entity_id"]
    r = api.post(
        "/shipment/track",
        {
            "entity": {
                "order_id": 5,
                "parent_id": shipment_id,
                "track_number": "EK99",
                "title": "Ekart",
                "carrier_code": "custom",
            }
        },
    )
    assert r.status_code == 200 and r.json()["track_number"] == "EK99" and r.json()["entity_id"]
    tracks = api.get(f"/shipment/{shipment_id}").json()["tracks"]
    assert [t["track_number"] for t in tracks] == ["1490810012345", "EK99"]
    delete = api.http.delete(f"{api.rest}/shipment/track/{r.json()['entity_id']}", headers=api.headers)
    assert delete.status_code == 200 and delete.json() is True
    missing = api.post("/shipment/track", {"entity": {"order_id": 5, "parent_id": shipment_id, "carrier_code": "x"}})
    assert missing.status_code == 400 and missing.json()["parameters"] == {"fieldName": "track_number"}


def test_refund_creates_creditmemo_and_closes_order(api: Api) -> None:
    r = api.post("/order/3/refund", {"notify": False})
    assert r.status_code == 200 and r.json().isdigit()
    assert api.order(3)["state"] == "closed"
    memo = api.get(f"/creditmemo/{r.json()}").json()
    assert memo["order_id"] == 3 and memo["grand_total"] == api.order(3)["total_refunded"]
    assert api.get("/creditmemos", ALL).json()["total_count"] == 2
    again = api.post("/order/3/refund", {})
    assert again.status_code == 400 and again.json()["message"].startswith("Creditmemo Document Validation Error(s):")


def test_order_items_search_finds_simple_lines_by_sku(api: Api) -> None:
    body = api.get("/orders/items", search((0, "sku", "DT-KURTA%", "like"), (1, "product_type", "simple", "eq"))).json()
    assert body["total_count"] == 2 and all(i["product_type"] == "simple" for i in body["items"])
    one = api.get(f"/orders/items/{body['items'][0]['item_id']}").json()
    assert one["sku"].startswith("DT-KURTA")


def test_admin_routes_create_and_advance_orders(api: Api) -> None:
    created = api.new_order(
        items=[{"sku": "DT-MUG-BRASS", "qty": 2}], payment_method="cashondelivery", created_at="2024-05-01 09:30:00"
    )
    assert created["created_at"] == "2024-05-01 09:30:00" and created["status"] == "pending"
    assert created["payment"]["method"] == "cashondelivery"
    r = api.http.post(f"{api.admin}/orders/{created['entity_id']}", json={"action": "acknowledge"})
    assert r.status_code == 200 and r.json()["status"] == "processing"
    assert r.json()["updated_at"] > created["updated_at"]
    bad = api.http.post(f"{api.admin}/orders", json={"items": [{"sku": "NOPE", "qty": 1}]})
    assert bad.status_code == 400


def test_malformed_json_and_content_type_are_400(api: Api) -> None:
    url = f"{api.rest}/order/1/invoice"
    r = api.http.post(url, content=b"{nope", headers=api.headers | {"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"message": "Decoding error."}
    r = api.http.post(url, content=b"a=b", headers=api.headers | {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and r.json()["parameters"] == ["application/x-www-form-urlencoded"]
    r = api.post("/order/1/invoice", {"items": [{"order_item_id": 1, "qty": "lots"}]})
    assert r.status_code == 400 and r.json()["parameters"] == {"value": "lots", "type": "float"}


def test_unknown_routes_methods_and_store_codes(api: Api) -> None:
    assert api.get("/nope").json() == {"message": "Request does not match any route."}
    r = api.http.delete(f"{api.rest}/orders/1", headers=api.headers)
    assert r.status_code == 404 and r.json()["message"] == "Request does not match any route."
    r = api.http.patch(f"{api.rest}/orders/1", headers=api.headers)
    assert r.status_code == 400 and r.json() == {"message": "Request method is invalid."}
    assert api.http.get(f"{api.base}/rest/klingon/V1/orders/1", headers=api.headers).status_code == 404
    for store in ("all", "default"):
        assert api.http.get(f"{api.base}/rest/{store}/V1/orders/1", headers=api.headers).status_code == 200
    assert api.http.get(f"{api.base}/rest/V1/orders/1", headers=api.headers).status_code == 200


def test_partial_response_fields_param(api: Api) -> None:
    body = api.get("/orders", {"searchCriteria[pageSize]": 2, "fields": "items[entity_id,increment_id],total_count"})
    assert body.json() == {
        "items": [{"entity_id": 1, "increment_id": "000000101"}, {"entity_id": 2, "increment_id": "000000102"}],
        "total_count": 8,
    }


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_injected_status_faults_use_magentos_error_body(api: Api, status: int) -> None:
    api.fault(kind="status", status=status, count=1, path_prefix="/rest/default/V1/orders", retry_after=3)
    r = api.get("/orders", ALL)
    assert r.status_code == status and isinstance(r.json()["message"], str)
    assert r.headers["retry-after"] == "3"
    assert api.get("/orders", ALL).status_code == 200


def test_drop_after_commit_still_invoices(api: Api) -> None:
    api.fault(kind="drop_after_commit", count=1, path_prefix="/rest/default/V1/order/1/invoice")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/order/1/invoice", {})
    assert api.order(1)["state"] == "processing"


def test_timeout_and_latency_faults(api: Api) -> None:
    api.fault(kind="latency", latency_ms=50, count=1)
    assert api.get("/orders/1").status_code == 200
    api.fault(kind="timeout", count=1, hang_seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        api.http.get(f"{api.rest}/orders/1", headers=api.headers, timeout=0.3)


def test_document_ids_can_be_configured_as_json_numbers(api: Api) -> None:
    api.http.post(f"{api.admin}/settings", json={"document_ids_as_strings": False}).raise_for_status()
    r = api.post("/order/1/invoice", {})
    assert r.status_code == 200 and isinstance(r.json(), int)
    bad = api.http.post(f"{api.admin}/settings", json={"no_such_setting": 1})
    assert bad.status_code == 400


def test_order_save_updates_status_and_regenerates_a_missing_increment_id(api: Api) -> None:
    r = api.post(
        "/orders",
        {"entity": {"entity_id": 1, "status": "processing", "increment_id": "000000101", "ext_order_id": "OMS-1"}},
    )
    assert r.status_code == 200 and r.json()["status"] == "processing" and r.json()["ext_order_id"] == "OMS-1"
    r = api.post("/orders", {"entity": {"entity_id": 1, "status": "pending"}})
    assert r.json()["increment_id"] != "000000101"
    assert api.post("/orders", {"entity": {"entity_id": 999}}).status_code == 404


def test_account_scoped_fault_hits_only_that_merchant(api: Api) -> None:
    creds = api.http.post(f"{api.admin}/accounts", json={"account": "acme"}).json()
    api.fault(kind="status", status=503, account="acme")
    acme = api.http.get(
        f"{creds['rest_url']}/orders", params=ALL, headers={"Authorization": f"Bearer {creds['integration_token']}"}
    )
    assert acme.status_code == 503
    assert api.get("/orders", ALL).status_code == 200


def test_json_is_written_the_way_php_encodes_it(api: Api) -> None:
    r = api.get("/products/DT-SAREE%2FSILK-RED")
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert '"sku":"DT-SAREE\\/SILK-RED"' in r.text
    history = api.get("/orders/3/comments").json()["items"][0]["comment"]
    assert history.startswith("Captured amount of \u20b9")


@pytest.mark.parametrize(
    "path",
    [
        "/orders/999",
        "/orders/999/statuses",
        "/orders/999/comments",
        "/orders/items/9999",
        "/invoices/999",
        "/shipment/999",
        "/creditmemo/999",
    ],
)
def test_unknown_sales_entities_are_404_with_magentos_text(api: Api, path: str) -> None:
    r = api.get(path)
    assert r.status_code == 404 and r.json() == {"message": NO_ENTITY}


def test_unknown_merchant_prefix_is_no_route_and_revoked_tokens_stop_working(api: Api) -> None:
    r = api.http.get(f"{api.base}/store/nobody/rest/V1/orders/1", headers=api.headers)
    assert r.status_code == 404 and r.json()["message"] == "Request does not match any route."
    demo = api.info["demo"]
    token = api.http.post(
        f"{api.base}/rest/V1/integration/admin/token", json={"username": demo["username"], "password": demo["password"]}
    ).json()
    api.http.post(f"{api.admin}/tokens/revoke", json={"account": "demo"}).raise_for_status()
    assert api.http.get(f"{api.rest}/orders/1", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_shipment_repository_save_stores_the_document_without_registering_it(api: Api) -> None:
    """The seed OMS's "Create Shipment" (POST /V1/shipment/) then "Handover" (POST /V1/order/{id}/ship)."""
    order = api.order(3)
    line = order["items"][0]
    before = order["updated_at"]
    r = api.post(
        "/shipment/",
        {
            "entity": {
                "order_id": 3,
                "items": [{"sku": line["sku"], "order_item_id": line["item_id"], "qty": 1}],
                "tracks": [
                    {
                        "order_id": 3,
                        "parent_id": 3,
                        "weight": 1,
                        "qty": 1,
                        "description": "",
                        "track_number": "11704910415542",
                        "title": "Delhivery",
                        "carrier_code": "11704910415542",
                    }
                ],
                "comments": [
                    {"is_customer_notified": 0, "parent_id": 0, "comment": "comment", "is_visible_on_front": 0}
                ],
            }
        },
    )
    assert r.status_code == 200
    shipment = r.json()
    assert shipment["order_id"] == 3 and shipment["entity_id"] and shipment["increment_id"]
    assert shipment["tracks"][0]["track_number"] == "11704910415542"
    after = api.order(3)
    assert after["items"][0]["qty_shipped"] == 0 and after["state"] == "processing" and after["updated_at"] == before
    assert api.post("/order/3/ship", {}).status_code == 200
    assert api.order(3)["state"] == "complete"
    assert api.post("/shipment", {"entity": {"order_id": 999}}).status_code == 400
