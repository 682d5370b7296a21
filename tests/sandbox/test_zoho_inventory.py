"""Zoho Inventory v1 over real HTTP: organisations, items and stock, sales orders with custom fields,
packages, shipments, adjustments, purchase receives, pagination and the confirm webhook."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from test_zoho_support import Receiver, Zoho, expected_signature, first, fixtures, new_sales_order

zoho, inventory, books, receiver = fixtures()

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0530$")


def customer(api: httpx.Client, name: str = "Aarav Sharma") -> dict[str, Any]:
    return first(api, "/contacts", "contacts", contact_name=name)


def item(api: httpx.Client, sku: str = "KUR-IND-M") -> dict[str, Any]:
    row = first(api, "/items", "items", sku=sku)
    r = api.get(f"/items/{row['item_id']}")
    found: dict[str, Any] = r.json()["item"]
    return found


def stock_at(item_record: dict[str, Any], location_name: str) -> float:
    loc = next(x for x in item_record["locations"] if x["location_name"] == location_name)
    value: float = loc["location_stock_on_hand"]
    return value


def test_missing_or_unknown_organization_is_refused_in_zoho_envelope(zoho: Zoho) -> None:
    token = zoho.access_token()
    url = zoho.dc("in")["inventory_url"] + "/salesorders"
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    missing = httpx.get(url, headers=headers)
    assert missing.status_code == 400 and missing.json()["code"] == 2 and "organization_id" in missing.json()["message"]
    unknown = httpx.get(url, headers=headers, params={"organization_id": "99999"})
    assert unknown.status_code == 400 and unknown.json()["code"] == 6041
    orgs = httpx.get(zoho.dc("in")["inventory_url"] + "/organizations", headers=headers)
    assert orgs.status_code == 200 and orgs.json()["code"] == 0


def test_unknown_path_and_method_get_zoho_errors(inventory: httpx.Client) -> None:
    r = inventory.get("/nosuchthing")
    assert r.status_code == 404 and r.json()["code"] == 5
    r = inventory.patch("/salesorders")
    assert r.status_code == 405 and r.json()["code"] == 37
    r = inventory.get("/salesorders/4600000000000000000")
    assert r.status_code == 404 and r.json() == {"code": 1002, "message": "Sales Order does not exist."}


def test_items_carry_stock_per_location_and_locations_are_listed(inventory: httpx.Client) -> None:
    locations = inventory.get("/locations").json()["locations"]
    assert [loc["location_name"] for loc in sorted(locations, key=lambda x: not x["is_primary"])] == [
        "Bengaluru Warehouse",
        "Mumbai Warehouse",
    ]
    warehouses = inventory.get("/settings/warehouses").json()["warehouses"]
    assert {w["warehouse_name"] for w in warehouses} == {"Bengaluru Warehouse", "Mumbai Warehouse"}
    kurta = item(inventory)
    assert kurta["stock_on_hand"] == 180
    assert kurta["available_stock"] == kurta["stock_on_hand"] - kurta["committed_stock"]
    assert stock_at(kurta, "Bengaluru Warehouse") == 120 and stock_at(kurta, "Mumbai Warehouse") == 60
    assert isinstance(kurta["item_id"], str) and int(kurta["item_id"]) > 2**53
    assert TS.match(kurta["created_time"])


def test_item_create_with_opening_stock_answers_200(inventory: httpx.Client) -> None:
    loc = inventory.get("/locations").json()["locations"][0]
    r = inventory.post(
        "/items",
        json={
            "name": "Jute Tote Bag",
            "sku": "BAG-JUT",
            "rate": 199,
            "locations": [{"location_id": loc["location_id"], "initial_stock": 12}],
        },
    )
    assert r.status_code == 200 and r.json()["item"]["stock_on_hand"] == 12
    dup = inventory.post("/items", json={"name": "Other", "sku": "BAG-JUT", "rate": 1})
    assert dup.status_code == 400 and dup.json()["code"] == 1001
    # Stock cannot be written directly.
    put = inventory.put(f"/items/{r.json()['item']['item_id']}", json={"stock_on_hand": 999, "rate": 210})
    assert put.json()["item"]["stock_on_hand"] == 12 and put.json()["item"]["rate"] == 210


def test_sales_order_create_get_update_delete_with_custom_fields(inventory: httpx.Client) -> None:
    cust, kurta = customer(inventory), item(inventory)
    so = new_sales_order(
        inventory,
        cust["contact_id"],
        kurta["item_id"],
        quantity=2,
        custom_fields=[
            {"api_name": "cf_awb_number", "value": "AWB123456789"},
            {"label": "Courier Partner", "value": "Delhivery"},
        ],
    )
    assert re.fullmatch(r"SO-\d{5}", so["salesorder_number"]) and so["status"] == "draft"
    assert so["total"] == 1789.76 and so["sub_total"] == 1598 and so["tax_total"] == 191.76
    assert so["customer_name"] == "Aarav Sharma" and TS.match(so["created_time"])
    fields = {cf["api_name"]: cf for cf in so["custom_fields"]}
    assert fields["cf_awb_number"]["value"] == "AWB123456789" and fields["cf_awb_number"]["label"] == "AWB Number"
    assert fields["cf_awb_number"]["customfield_id"] and fields["cf_courier_partner"]["value"] == "Delhivery"
    line_id = so["line_items"][0]["line_item_id"]
    r = inventory.put(
        f"/salesorders/{so['salesorder_id']}",
        json={
            "line_items": [{"line_item_id": line_id, "item_id": kurta["item_id"], "quantity": 3}],
            "custom_fields": [{"customfield_id": fields["cf_awb_number"]["customfield_id"], "value": "AWB999"}],
        },
    )
    assert r.status_code == 200 and r.json()["message"] == "Sales Order has been updated."
    updated = r.json()["salesorder"]
    assert updated["line_items"][0]["line_item_id"] == line_id and updated["line_items"][0]["quantity"] == 3
    assert {cf["api_name"]: cf["value"] for cf in updated["custom_fields"]} == {
        "cf_awb_number": "AWB999",
        "cf_courier_partner": "Delhivery",
    }
    got = inventory.get(f"/salesorders/{so['salesorder_id']}").json()
    assert got["code"] == 0 and got["salesorder"]["total"] == updated["total"]
    assert inventory.delete(f"/salesorders/{so['salesorder_id']}").json()["code"] == 0
    assert inventory.get(f"/salesorders/{so['salesorder_id']}").status_code == 404


def test_ids_are_accepted_as_json_numbers(inventory: httpx.Client) -> None:
    cust, kurta = customer(inventory), item(inventory)
    body = f'{{"customer_id": {cust["contact_id"]}, "line_items": [{{"item_id": {kurta["item_id"]}, "quantity": 1}}]}}'
    r = inventory.post("/salesorders", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 201 and r.json()["salesorder"]["customer_id"] == cust["contact_id"]


def test_legacy_jsonstring_form_body_is_accepted(inventory: httpx.Client) -> None:
    cust, kurta = customer(inventory), item(inventory)
    payload = json.dumps({"customer_id": cust["contact_id"], "line_items": [{"item_id": kurta["item_id"]}]})
    r = inventory.post("/salesorders", data={"JSONString": payload})
    assert r.status_code == 201
    bad = inventory.post("/salesorders", data={"JSONString": "{nope"})
    assert bad.status_code == 400 and bad.json()["code"] == 4


def test_unknown_custom_field_api_name_is_refused(inventory: httpx.Client) -> None:
    cust, kurta = customer(inventory), item(inventory)
    r = inventory.post(
        "/salesorders",
        json={
            "customer_id": cust["contact_id"],
            "line_items": [{"item_id": kurta["item_id"]}],
            "custom_fields": [{"api_name": "cf_nope", "value": "x"}],
        },
    )
    assert r.status_code == 400 and "cf_nope" in r.json()["message"]


def test_validation_errors_use_zoho_envelope(inventory: httpx.Client) -> None:
    r = inventory.post("/salesorders", json={"line_items": [{"name": "x"}]})
    assert r.status_code == 400 and r.json()["code"] == 2 and "customer_id" in r.json()["message"]
    cust = customer(inventory)
    r = inventory.post("/salesorders", json={"customer_id": cust["contact_id"], "line_items": [{"item_id": "12"}]})
    assert r.status_code == 400 and "item_id" in r.json()["message"]
    r = inventory.post(
        "/salesorders",
        json={
            "customer_id": cust["contact_id"],
            "date": "23/11/2026",
            "line_items": [{"name": "Gift wrap", "rate": 50}],
        },
    )
    assert r.status_code == 400 and "date" in r.json()["message"]


def test_ignore_auto_number_generation_requires_a_unique_number(inventory: httpx.Client) -> None:
    cust, kurta = customer(inventory), item(inventory)
    body = {"customer_id": cust["contact_id"], "line_items": [{"item_id": kurta["item_id"]}]}
    params = {"ignore_auto_number_generation": "true"}
    r = inventory.post("/salesorders", params=params, json=body)
    assert r.status_code == 400 and "salesorder_number" in r.json()["message"]
    r = inventory.post("/salesorders", params=params, json={**body, "salesorder_number": "AMZ-402-1234"})
    assert r.status_code == 201 and r.json()["salesorder"]["salesorder_number"] == "AMZ-402-1234"
    again = inventory.post("/salesorders", params=params, json={**body, "salesorder_number": "AMZ-402-1234"})
    assert again.status_code == 400 and again.json()["code"] == 1001


def test_search_by_custom_field_and_search_text(inventory: httpx.Client) -> None:
    cust, kurta = customer(inventory), item(inventory)
    so = new_sales_order(
        inventory,
        cust["contact_id"],
        kurta["item_id"],
        custom_fields=[{"api_name": "cf_awb_number", "value": "SR77001234"}],
        reference_number="WEB-5551",
    )
    hits = inventory.get("/salesorders", params={"cf_awb_number": "SR77001234"}).json()["salesorders"]
    assert [h["salesorder_id"] for h in hits] == [so["salesorder_id"]]
    assert hits[0]["cf_awb_number"] == "SR77001234" and "line_items" not in hits[0]
    assert [
        h["salesorder_id"]
        for h in inventory.get("/salesorders", params={"custom_field": "SR7700"}).json()["salesorders"]
    ] == []
    contains = inventory.get("/salesorders", params={"custom_field_contains": "7700"}).json()["salesorders"]
    assert [h["salesorder_id"] for h in contains] == [so["salesorder_id"]]
    text = inventory.get("/salesorders", params={"search_text": "web-5551"}).json()["salesorders"]
    assert [h["salesorder_id"] for h in text] == [so["salesorder_id"]]
    assert inventory.get("/salesorders", params={"cf_awb_number": "NOPE"}).json()["salesorders"] == []


def test_pagination_walks_all_seeded_orders(zoho: Zoho, inventory: httpx.Client) -> None:
    seeded = zoho.admin_post(
        "/seed", {"orders": 250, "from": "2026-01-01T00:00:00+05:30", "to": "2026-01-31T00:00:00+05:30"}
    )
    assert seeded["count"] == 250
    seen: list[str] = []
    page = 1
    while True:
        body = inventory.get("/salesorders", params={"page": page, "per_page": 200}).json()
        seen += [so["salesorder_id"] for so in body["salesorders"]]
        assert body["page_context"]["page"] == page and body["page_context"]["per_page"] == 200
        if not body["page_context"]["has_more_page"]:
            break
        page += 1
    assert page == 2 and len(seen) == len(set(seen)) == 254
    capped = inventory.get("/salesorders", params={"per_page": 1000}).json()
    assert capped["page_context"]["per_page"] == 200 and len(capped["salesorders"]) == 200
    window = inventory.get(
        "/salesorders",
        params={"date_start": "2026-01-10", "date_end": "2026-01-12", "sort_column": "date", "sort_order": "A"},
    ).json()["salesorders"]
    assert window and all("2026-01-10" <= so["date"] <= "2026-01-12" for so in window)
    assert [so["date"] for so in window] == sorted(so["date"] for so in window)
    assert inventory.get("/salesorders", params={"page": "x"}).json()["code"] == 2


def test_confirm_fires_signed_webhook_then_package_and_shipment_update_quantities(
    zoho: Zoho, inventory: httpx.Client, receiver: Receiver
) -> None:
    secret = zoho.demo["webhook_secret"]
    with zoho.api("books") as books:
        hook = books.post(
            "/settings/webhooks",
            json={
                "webhook_name": "SO confirmed",
                "entity": "salesorder",
                "url": receiver.url,
                "method": "POST",
                "secret": secret,
                "events": ["confirmed"],
                "query_parameters": [{"param_name": "tenant", "param_value": "demo"}],
            },
        )
    assert hook.status_code == 201, hook.text
    cust, kurta = customer(inventory), item(inventory)
    before = stock_at(kurta, "Bengaluru Warehouse")
    so = new_sales_order(inventory, cust["contact_id"], kurta["item_id"], quantity=3)
    r = inventory.post(f"/salesorders/{so['salesorder_id']}/status/confirmed")
    assert r.json() == {"code": 0, "message": "Sales order status has been changed to 'Confirmed'."}
    (delivery,) = receiver.wait_for(lambda got: len(got) >= 1)
    assert delivery.query == [("tenant", "demo")]
    assert delivery.headers["x-zoho-webhook-signature"] == expected_signature(secret, delivery.query, delivery.body)
    assert delivery.json()["salesorder"]["salesorder_id"] == so["salesorder_id"]
    assert delivery.json()["salesorder"]["status"] == "confirmed"
    assert item(inventory)["available_stock"] == kurta["available_stock"] - 3

    line = so["line_items"][0]
    too_many = inventory.post(
        "/packages",
        params={"salesorder_id": so["salesorder_id"]},
        json={"line_items": [{"so_line_item_id": line["line_item_id"], "quantity": 4}]},
    )
    assert too_many.status_code == 400
    pkg = inventory.post(
        "/packages",
        params={"salesorder_id": so["salesorder_id"]},
        json={"date": "2026-11-23", "line_items": [{"so_line_item_id": line["line_item_id"], "quantity": 2}]},
    )
    assert pkg.status_code == 201, pkg.text
    package = pkg.json()["package"]
    assert re.fullmatch(r"PKG-\d{5}", package["package_number"]) and package["status"] == "not_shipped"
    after_pack = inventory.get(f"/salesorders/{so['salesorder_id']}").json()["salesorder"]
    assert after_pack["line_items"][0]["quantity_packed"] == 2 and after_pack["packed_status"] == "partially_packed"

    missing = inventory.post("/shipmentorders", params={"salesorder_id": so["salesorder_id"]}, json={})
    assert missing.status_code == 400 and "package_ids" in missing.json()["message"]
    sh = inventory.post(
        "/shipmentorders",
        params={"package_ids": package["package_id"], "salesorder_id": so["salesorder_id"]},
        json={"date": "2026-11-23", "delivery_method": "Delhivery", "tracking_number": "DL123"},
    )
    assert sh.status_code == 201, sh.text
    shipment = sh.json()["shipmentorder"]
    assert shipment["status"] == "shipped" and shipment["tracking_number"] == "DL123"
    shipped = inventory.get(f"/salesorders/{so['salesorder_id']}").json()["salesorder"]
    assert shipped["line_items"][0]["quantity_shipped"] == 2 and shipped["shipped_status"] == "partially_shipped"
    assert stock_at(item(inventory), "Bengaluru Warehouse") == before - 2
    assert inventory.get(f"/packages/{package['package_id']}").json()["package"]["status"] == "shipped"
    assert inventory.delete(f"/packages/{package['package_id']}").status_code == 400

    delivered = inventory.post(f"/shipmentorders/{shipment['shipment_id']}/status/delivered")
    assert delivered.json()["code"] == 0
    assert inventory.get(f"/shipmentorders/{shipment['shipment_id']}").json()["shipmentorder"]["status"] == "delivered"
    assert inventory.get(f"/packages/{package['package_id']}").json()["package"]["status"] == "delivered"
    deliveries = httpx.get(zoho.admin + "/webhooks/deliveries").json()["deliveries"]
    assert deliveries[0]["event"] == "salesorder.confirmed" and deliveries[0]["attempts"][0]["status"] == 200


def test_failed_webhook_delivery_is_retried(zoho: Zoho, inventory: httpx.Client, receiver: Receiver) -> None:
    zoho.admin_post("/zoho/webhooks", {"url": receiver.url, "secret": zoho.demo["webhook_secret"]})
    receiver.status = 500
    zoho.admin_post("/clock", {"speed": 60})
    so = new_sales_order(inventory, customer(inventory)["contact_id"], item(inventory)["item_id"])
    inventory.post("/salesorders/status/confirmed", params={"salesorder_ids": so["salesorder_id"]})
    receiver.wait_for(lambda got: len(got) >= 1)
    receiver.status = 200
    got = receiver.wait_for(lambda got: len(got) >= 2)
    assert got[0].body == got[1].body


def test_bulk_confirm_and_void_rules(inventory: httpx.Client) -> None:
    cust, kurta = customer(inventory), item(inventory)
    a = new_sales_order(inventory, cust["contact_id"], kurta["item_id"])
    b = new_sales_order(inventory, cust["contact_id"], kurta["item_id"])
    r = inventory.post(
        "/salesorders/status/confirmed", params={"salesorder_ids": f"{a['salesorder_id']},{b['salesorder_id']}"}
    )
    assert r.status_code == 200
    statuses = {
        so["salesorder_id"]: so["status"]
        for so in inventory.get("/salesorders", params={"filter_by": "Status.Confirmed"}).json()["salesorders"]
    }
    assert statuses[a["salesorder_id"]] == statuses[b["salesorder_id"]] == "confirmed"
    again = inventory.post(f"/salesorders/{a['salesorder_id']}/status/confirmed")
    assert again.status_code == 400 and again.json()["code"] == 1014
    assert inventory.post(f"/salesorders/{a['salesorder_id']}/status/void").json()["code"] == 0
    assert inventory.get(f"/salesorders/{a['salesorder_id']}").json()["salesorder"]["status"] == "void"


def test_inventory_adjustment_moves_location_stock(inventory: httpx.Client) -> None:
    kurta = item(inventory)
    mumbai = next(x for x in kurta["locations"] if x["location_name"] == "Mumbai Warehouse")
    r = inventory.post(
        "/inventoryadjustments",
        json={
            "date": "2026-11-23",
            "reason": "Damaged in transit",
            "adjustment_type": "quantity",
            "line_items": [
                {"item_id": kurta["item_id"], "quantity_adjusted": -5, "location_id": mumbai["location_id"]}
            ],
        },
    )
    assert r.status_code == 200, r.text
    adjustment = r.json()["inventory_adjustment"]
    assert stock_at(item(inventory), "Mumbai Warehouse") == 55
    too_much = inventory.post(
        "/inventoryadjustments",
        json={
            "date": "2026-11-23",
            "reason": "Count",
            "line_items": [
                {"item_id": kurta["item_id"], "quantity_adjusted": -1000, "location_id": mumbai["location_id"]}
            ],
        },
    )
    assert too_much.status_code == 400
    no_reason = inventory.post(
        "/inventoryadjustments",
        json={"date": "2026-11-23", "line_items": [{"item_id": kurta["item_id"], "quantity_adjusted": 1}]},
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["message"]
    inventory.delete(f"/inventoryadjustments/{adjustment['inventory_adjustment_id']}")
    assert stock_at(item(inventory), "Mumbai Warehouse") == 60


def test_purchase_receive_increases_stock(inventory: httpx.Client) -> None:
    vendor = first(inventory, "/contacts", "contacts", contact_type="vendor")
    mug = item(inventory, "MUG-CER-350")
    po = inventory.post(
        "/purchaseorders",
        json={
            "vendor_id": vendor["contact_id"],
            "line_items": [{"item_id": mug["item_id"], "quantity": 50, "rate": 120}],
        },
    )
    assert po.status_code == 201, po.text
    purchase = po.json()["purchaseorder"]
    r = inventory.post(
        "/purchasereceives",
        params={"purchaseorder_id": purchase["purchaseorder_id"]},
        json={
            "date": "2026-11-23",
            "line_items": [
                {"line_item_id": purchase["line_items"][0]["line_item_id"], "item_id": mug["item_id"], "quantity": 30}
            ],
        },
    )
    assert r.status_code == 201, r.text
    assert item(inventory, "MUG-CER-350")["stock_on_hand"] == mug["stock_on_hand"] + 30
    after = inventory.get(f"/purchaseorders/{purchase['purchaseorder_id']}").json()["purchaseorder"]
    assert after["status"] == "partially_received" and after["line_items"][0]["quantity_received"] == 30
    over = inventory.post(
        "/purchasereceives",
        params={"purchaseorder_id": purchase["purchaseorder_id"]},
        json={"line_items": [{"line_item_id": purchase["line_items"][0]["line_item_id"], "quantity": 21}]},
    )
    assert over.status_code == 400


def test_admin_emit_sends_a_signed_sales_order_to_any_url(
    zoho: Zoho, inventory: httpx.Client, receiver: Receiver
) -> None:
    so = inventory.get("/salesorders", params={"filter_by": "Status.Confirmed"}).json()["salesorders"][0]
    sent = zoho.admin_post(
        "/webhooks/emit", {"url": receiver.url, "secret": "EmitSecret12345", "salesorder_id": so["salesorder_id"]}
    )
    assert sent["sent"][0]["delivered"] is True
    (got,) = receiver.wait_for(lambda r: len(r) == 1)
    assert got.json()["salesorder"]["salesorder_number"] == so["salesorder_number"]
    assert got.headers["x-zoho-webhook-signature"] == expected_signature("EmitSecret12345", [], got.body)


def test_last_modified_time_filter_and_bulk_delete(zoho: Zoho, inventory: httpx.Client) -> None:
    cust, kurta = customer(inventory), item(inventory)
    zoho.advance(3000)
    with zoho.api() as api:
        later = new_sales_order(api, cust["contact_id"], kurta["item_id"])
        since = later["last_modified_time"]
        recent = api.get("/salesorders", params={"last_modified_time": since}).json()["salesorders"]
        assert [so["salesorder_id"] for so in recent] == [later["salesorder_id"]]
        other = new_sales_order(api, cust["contact_id"], kurta["item_id"])
        ids = f"{later['salesorder_id']},{other['salesorder_id']}"
        assert api.delete("/salesorders", params={"salesorder_ids": ids}).json()["code"] == 0
        assert api.get(f"/salesorders/{other['salesorder_id']}").status_code == 404


def test_item_active_inactive_toggle(inventory: httpx.Client) -> None:
    mug = item(inventory, "MUG-CER-350")
    assert inventory.post(f"/items/{mug['item_id']}/inactive").json()["code"] == 0
    inactive = inventory.get("/items", params={"filter_by": "Status.Inactive"}).json()["items"]
    assert [i["item_id"] for i in inactive] == [mug["item_id"]]
    assert inventory.post(f"/items/{mug['item_id']}/active").json()["code"] == 0


def test_sales_order_with_packages_cannot_be_deleted_or_voided(inventory: httpx.Client) -> None:
    so = new_sales_order(inventory, customer(inventory)["contact_id"], item(inventory)["item_id"])
    pkg = inventory.post(
        "/packages",
        params={"salesorder_id": so["salesorder_id"]},
        json={"line_items": [{"so_line_item_id": so["line_items"][0]["line_item_id"], "quantity": 1}]},
    )
    assert pkg.status_code == 201
    # Packing a draft order confirmed it.
    assert inventory.get(f"/salesorders/{so['salesorder_id']}").json()["salesorder"]["status"] == "confirmed"
    assert inventory.delete(f"/salesorders/{so['salesorder_id']}").status_code == 400
    assert inventory.post(f"/salesorders/{so['salesorder_id']}/status/void").status_code == 400
    assert inventory.delete(f"/packages/{pkg.json()['package']['package_id']}").json()["code"] == 0
    assert (
        inventory.get(f"/salesorders/{so['salesorder_id']}").json()["salesorder"]["line_items"][0]["quantity_packed"]
        == 0
    )


def test_itemdetails_reads_several_items_with_stock(inventory: httpx.Client) -> None:
    kurta, mug = item(inventory), item(inventory, "MUG-CER-350")
    r = inventory.get("/itemdetails", params={"item_ids": f"{kurta['item_id']},{mug['item_id']}"})
    assert r.status_code == 200
    assert {i["sku"]: i["stock_on_hand"] for i in r.json()["items"]} == {"KUR-IND-M": 180, "MUG-CER-350": 350}
    assert all(i["locations"] for i in r.json()["items"])
    assert inventory.get("/itemdetails").status_code == 400
