"""ShipStation V1 simulator over real HTTP: auth, orders, shipments, customers, stores, errors, isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import SandboxProcesses

Info = dict[str, Any]
# A connection per call: kept-alive connections to the sandbox pay ~40 ms of Nagle delay per answer (the kit's
# listening sockets lack TCP_NODELAY), which would make the suite slow and pace clients slower than meant.
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)

# The shared sandbox fixture leaves its log file to the garbage collector; that warning is not ours.


@pytest.fixture
def ss(sandboxes: SandboxProcesses) -> Info:
    return sandboxes.fresh("shipstation")


def api(info: Info, key: str | None = None, secret: str | None = None) -> httpx.Client:
    demo = info["demo"]
    return httpx.Client(
        base_url=info["base_url"],
        auth=(key or demo["api_key"], secret or demo["api_secret"]),
        timeout=10,
        limits=NO_KEEPALIVE,
    )


def new_order(number: str = "T-1001", **extra: Any) -> dict[str, Any]:
    address = {
        "name": "Ada Lovelace",
        "street1": "12 Analytical Way",
        "city": "Austin",
        "state": "TX",
        "postalCode": "78701",
        "country": "US",
        "phone": "555-010-2000",
        "residential": True,
    }
    body: dict[str, Any] = {
        "orderNumber": number,
        "orderDate": "2026-01-15 10:30:00",
        "orderStatus": "awaiting_shipment",
        "customerEmail": "ada@example.com",
        "customerUsername": "ada",
        "billTo": {"name": "Ada Lovelace"},
        "shipTo": address,
        "items": [
            {"lineItemKey": "L1", "sku": "MUG-11OZ", "name": "Mug", "quantity": 2, "unitPrice": 14.5},
            {"lineItemKey": "L2", "sku": "CAP", "name": "Cap", "quantity": 1, "unitPrice": "24.00"},
        ],
        "amountPaid": 60.0,
        "taxAmount": 2.5,
        "shippingAmount": 4.5,
        "weight": {"value": 30, "units": "ounces"},
    }
    body.update(extra)
    return body


# ------------------------------------------------------------------------------------------------ auth
def test_basic_auth_with_the_demo_key_pair_lists_orders(ss: Info) -> None:
    with api(ss) as client:
        r = client.get("/orders")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"orders", "total", "page", "pages"}
    assert body["total"] == len(body["orders"]) > 0 and body["page"] == 1 and body["pages"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic " + "ZGVtby1zcy1rZXk6d3Jvbmc="},  # demo-ss-key:wrong
        {"Authorization": "Bearer demo-ss-key"},
        {"Authorization": "Basic not-base64!"},
    ],
    ids=["missing", "wrong-secret", "wrong-scheme", "garbled"],
)
def test_missing_or_wrong_credentials_get_401(ss: Info, headers: dict[str, str]) -> None:
    r = httpx.get(ss["base_url"] + "/orders", headers=headers)
    assert r.status_code == 401
    assert r.json() == {"Message": "Authorization has been denied for this request."}
    assert "x-rate-limit-limit" not in r.headers


def test_unknown_path_and_wrong_method_get_aspnet_bodies_with_rate_headers(ss: Info) -> None:
    with api(ss) as client:
        missing = client.get("/nothing/here")
        wrong = client.put("/orders")
        bad_id = client.get("/orders/not-a-number")
    assert missing.status_code == 404 and missing.json()["Message"].startswith("No HTTP resource was found")
    assert missing.headers["x-rate-limit-limit"] == "40"
    assert wrong.status_code == 405 and "does not support http method 'PUT'" in wrong.json()["Message"]
    assert bad_id.status_code == 404


# --------------------------------------------------------------------------------------------- orders
def test_createorder_creates_with_generated_key_and_returns_the_full_order(ss: Info) -> None:
    with api(ss) as client:
        r = client.post("/orders/createorder", json=new_order())
        assert r.status_code == 200
        order = r.json()
        assert isinstance(order["orderId"], int) and isinstance(order["orderKey"], str) and order["orderKey"]
        assert order["orderTotal"] == 14.5 * 2 + 24 + 2.5 + 4.5
        assert order["amountPaid"] == 60.0 and isinstance(order["taxAmount"], float)
        assert order["orderDate"] == "2026-01-15T10:30:00.0000000"
        assert order["createDate"] == order["modifyDate"]
        assert order["advancedOptions"]["storeId"] == ss["demo"]["store_id"]
        assert [i["sku"] for i in order["items"]] == ["MUG-11OZ", "CAP"]
        assert all(isinstance(i["orderItemId"], int) for i in order["items"])
        fetched = client.get(f"/orders/{order['orderId']}").json()
    assert fetched == order


def test_createorder_with_same_key_replaces_the_whole_order(ss: Info) -> None:
    with api(ss) as client:
        first = client.post(
            "/orders/createorder", json=new_order(orderKey="shop-1", internalNotes="fragile", gift=True)
        ).json()
        ss_clock(ss, advance_seconds=5)
        body = new_order(orderKey="shop-1", orderNumber="T-1001")
        body["items"] = body["items"][:1]
        second = client.post("/orders/createorder", json=body).json()
        total = client.get("/orders", params={"orderNumber": "T-1001"}).json()["total"]
    assert second["orderId"] == first["orderId"]
    assert second["internalNotes"] is None and second["gift"] is False  # omitted fields are cleared
    assert len(second["items"]) == 1 and second["items"][0]["orderItemId"] == first["items"][0]["orderItemId"]
    assert second["createDate"] == first["createDate"] and second["modifyDate"] > first["modifyDate"]
    assert total == 1


def test_createorder_updates_by_order_id_when_no_key_matches(ss: Info) -> None:
    with api(ss) as client:
        first = client.post("/orders/createorder", json=new_order()).json()
        body = new_order(orderId=first["orderId"], customerNotes="ring twice")
        body.pop("orderKey", None)
        second = client.post("/orders/createorder", json=body).json()
        unknown = client.post("/orders/createorder", json=new_order(orderId=1))
    assert second["orderId"] == first["orderId"] and second["orderKey"] == first["orderKey"]
    assert second["customerNotes"] == "ring twice"
    assert unknown.status_code == 400 and unknown.json()["Message"] == "An error has occurred."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"orderNumber": None}, "apiOrder.orderNumber"),
        ({"orderStatus": "lost"}, "apiOrder.orderStatus"),
        ({"shipTo": None}, "apiOrder.shipTo"),
        ({"orderDate": "yesterday"}, "apiOrder.orderDate"),
        ({"advancedOptions": {"storeId": 1}}, "apiOrder.advancedOptions.storeId"),
    ],
)
def test_createorder_refuses_bad_bodies_with_model_state(ss: Info, change: dict[str, Any], field: str) -> None:
    with api(ss) as client:
        r = client.post("/orders/createorder", json=new_order(**change))
    assert r.status_code == 400
    assert r.json()["Message"] == "The request is invalid." and field in r.json()["ModelState"]


def test_createorder_refuses_to_update_a_shipped_order(ss: Info) -> None:
    with api(ss) as client:
        order = client.post("/orders/createorder", json=new_order(orderKey="k-ship")).json()
        client.post("/orders/markasshipped", json={"orderId": order["orderId"], "carrierCode": "ups"})
        r = client.post("/orders/createorder", json=new_order(orderKey="k-ship"))
    assert r.status_code == 400 and "only open orders" in r.json()["ExceptionMessage"]
    assert r.json()["StackTrace"] is None


def test_createorders_reports_each_order(ss: Info) -> None:
    with api(ss) as client:
        r = client.post(
            "/orders/createorders",
            json=[new_order("B-1"), new_order("B-2", orderStatus="nope"), new_order("B-3")],
        )
        too_many = client.post("/orders/createorders", json=[new_order(f"X-{n}") for n in range(101)])
    body = r.json()
    assert body["hasErrors"] is True
    assert [x["success"] for x in body["results"]] == [True, False, True]
    assert body["results"][1]["errorMessage"] and body["results"][0]["orderId"] > 0
    assert too_many.status_code == 400


def test_get_unknown_order_is_404(ss: Info) -> None:
    with api(ss) as client:
        r = client.get("/orders/12345")
    assert r.status_code == 404 and "Message" in r.json()


def test_orders_page_through_with_total_and_pages(ss: Info) -> None:
    httpx.post(ss["admin_url"] + "/seed", json={"orders": 23}).raise_for_status()
    with api(ss) as client:
        sort = {"pageSize": 10, "sortBy": "ModifyDate", "sortDir": "ASC"}
        first = client.get("/orders", params=sort).json()
        seen = [o["orderId"] for o in first["orders"]]
        for page in range(2, first["pages"] + 1):
            seen += [o["orderId"] for o in client.get("/orders", params={**sort, "page": page}).json()["orders"]]
        past = client.get("/orders", params={"pageSize": 10, "page": first["pages"] + 1}).json()
        big = client.get("/orders", params={"pageSize": 5000}).json()
        zero = client.get("/orders", params={"pageSize": 0})
    assert first["total"] == 35 and first["pages"] == 4 and len(set(seen)) == 35
    assert past["orders"] == [] and past["total"] == 35 and past["page"] == first["pages"] + 1
    assert len(big["orders"]) == 35 and big["pages"] == 1  # pageSize above 500 is clamped to 500
    assert zero.status_code == 400


def test_order_filters_number_prefix_status_store_and_customer(ss: Info) -> None:
    store_ids = ss["demo"]["store_ids"]
    with api(ss) as client:
        client.post("/orders/createorder", json=new_order("PFX-100", customerEmail="c@example.com"))
        client.post(
            "/orders/createorder",
            json=new_order("PFX-200", orderStatus="on_hold", advancedOptions={"storeId": store_ids[1]}),
        )
        client.post("/orders/createorder", json=new_order("OTHER-1", shipTo={**new_order()["shipTo"], "name": "Zed"}))

        def numbers(**params: Any) -> list[str]:
            r = client.get("/orders", params=params)
            assert r.status_code == 200, r.text
            return sorted(o["orderNumber"] for o in r.json()["orders"])

        assert numbers(orderNumber="pfx-") == ["PFX-100", "PFX-200"]
        assert numbers(orderNumber="PFX", orderStatus="on_hold") == ["PFX-200"]
        assert numbers(orderNumber="PFX", storeId=store_ids[1]) == ["PFX-200"]
        assert numbers(customerName="zed") == ["OTHER-1"]
        assert numbers(itemKeyword="mug", orderNumber="OTHER") == ["OTHER-1"]


def test_modify_date_window_is_inclusive_and_sorted(ss: Info) -> None:
    with api(ss) as client:
        client.post(ss["admin_url"] + "/clock", json={"set": "2026-01-20T18:00:00+00:00"})
        a = client.post("/orders/createorder", json=new_order("W-1")).json()
        ss_clock(ss, advance_seconds=600)
        b = client.post("/orders/createorder", json=new_order("W-2")).json()
        ss_clock(ss, advance_seconds=600)
        client.post("/orders/createorder", json=new_order("W-3"))
        window = {"modifyDateStart": a["modifyDate"], "modifyDateEnd": b["modifyDate"], "orderNumber": "W-"}
        asc = client.get("/orders", params={**window, "sortBy": "ModifyDate", "sortDir": "ASC"}).json()
        desc = client.get("/orders", params={**window, "sortBy": "ModifyDate", "sortDir": "DESC"}).json()
        spaced = client.get(
            "/orders",
            params={
                "modifyDateStart": "2026-01-20 10:05:00",
                "modifyDateEnd": "2026-01-20 10:15:00",
                "orderNumber": "W-",
            },
        ).json()
        bad = client.get("/orders", params={"modifyDateStart": "soon"})
    assert [o["orderNumber"] for o in asc["orders"]] == ["W-1", "W-2"]
    assert [o["orderNumber"] for o in desc["orders"]] == ["W-2", "W-1"]
    assert [o["orderNumber"] for o in spaced["orders"]] == ["W-2"]  # 18:10 UTC is 10:10 PST
    assert bad.status_code == 400 and "modifyDateStart" in bad.json()["ModelState"]


def test_delete_hold_and_restore(ss: Info) -> None:
    with api(ss) as client:
        order = client.post("/orders/createorder", json=new_order("H-1")).json()
        oid = order["orderId"]
        held = client.post("/orders/holduntil", json={"orderId": oid, "holdUntilDate": "2030-02-01"})
        on_hold = client.get(f"/orders/{oid}").json()
        client.post("/orders/restorefromhold", json={"orderId": oid})
        restored = client.get(f"/orders/{oid}").json()
        deleted = client.delete(f"/orders/{oid}")
        gone = client.get(f"/orders/{oid}")
        again = client.delete(f"/orders/{oid}")
    assert held.json()["success"] is True
    assert on_hold["orderStatus"] == "on_hold" and on_hold["holdUntilDate"] == "2030-02-01"
    assert restored["orderStatus"] == "awaiting_shipment" and restored["holdUntilDate"] is None
    assert restored["modifyDate"] >= on_hold["modifyDate"] >= order["modifyDate"]
    assert deleted.json() == {"success": True, "message": "The requested order has been deleted."}
    assert gone.status_code == 404 and again.status_code == 404


def test_tags_users_and_list_by_tag(ss: Info) -> None:
    with api(ss) as client:
        tags = client.get("/accounts/listtags").json()
        priority = next(t["tagId"] for t in tags if t["name"] == "Priority")
        order = client.post("/orders/createorder", json=new_order("TG-1")).json()
        oid = order["orderId"]
        client.post("/orders/addtag", json={"orderId": oid, "tagId": priority})
        tagged = client.get("/orders/listbytag", params={"tagId": priority, "orderStatus": "awaiting_shipment"}).json()
        assigned = client.post("/orders/assignuser", json={"orderIds": [oid], "userId": "0a1b2c3d-user"})
        after_assign = client.get(f"/orders/{oid}").json()
        client.post("/orders/unassignuser", json={"orderIds": [oid]})
        client.post("/orders/removetag", json={"orderId": oid, "tagId": priority})
        untagged = client.get(f"/orders/{oid}").json()
        missing_status = client.get("/orders/listbytag", params={"tagId": priority})
        unknown_order = client.post("/orders/addtag", json={"orderId": 1, "tagId": priority})
    assert [o["orderId"] for o in tagged["orders"]] == [oid] and tagged["total"] == 1
    assert assigned.json()["success"] is True and after_assign["userId"] == "0a1b2c3d-user"
    assert untagged["tagIds"] is None and untagged["userId"] is None
    assert missing_status.status_code == 400 and unknown_order.status_code == 404


def test_getrates_lists_the_carrier_services_with_costs(ss: Info) -> None:
    with api(ss) as client:
        rates = client.post(
            "/shipments/getrates",
            json={
                "carrierCode": "ups",
                "fromPostalCode": "78701",
                "toCountry": "US",
                "toPostalCode": "97205",
                "weight": {"value": 3, "units": "pounds"},
            },
        ).json()
        unknown = client.post("/shipments/getrates", json={"carrierCode": "pigeon"})
    assert {r["serviceCode"] for r in rates} == {"ups_ground", "ups_2nd_day_air", "ups_next_day_air"}
    assert all(isinstance(r["shipmentCost"], float) and r["shipmentCost"] > 0 for r in rates)
    assert unknown.status_code == 400


# ------------------------------------------------------------------------------------------ shipments
def test_markasshipped_adds_a_shipment_and_ships_the_order(ss: Info) -> None:
    with api(ss) as client:
        order = client.post("/orders/createorder", json=new_order("S-1")).json()
        r = client.post(
            "/orders/markasshipped",
            json={
                "orderId": order["orderId"],
                "carrierCode": "usps",
                "shipDate": "2026-01-16",
                "trackingNumber": "TRK1",
            },
        )
        shipped = client.get(f"/orders/{order['orderId']}").json()
        found = client.get("/shipments", params={"orderId": order["orderId"]}).json()
        by_tracking = client.get("/shipments", params={"trackingNumber": "TRK1"}).json()
        missing = client.post("/orders/markasshipped", json={"orderId": order["orderId"]})
        fulfilled = client.get("/fulfillments", params={"orderId": order["orderId"]}).json()
    assert r.json() == {"orderId": order["orderId"], "orderNumber": "S-1"}
    assert shipped["orderStatus"] == "shipped" and shipped["shipDate"] == "2026-01-16"
    assert shipped["modifyDate"] > order["modifyDate"]
    assert found["total"] == 1 and by_tracking["total"] == 1
    shipment = found["shipments"][0]
    assert shipment["shipDate"] == "2026-01-16" and shipment["trackingNumber"] == "TRK1"
    assert shipment["shipmentItems"] is None and shipment["voided"] is False
    assert missing.status_code == 400 and "request.carrierCode" in missing.json()["ModelState"]
    assert fulfilled["total"] == 1 and fulfilled["fulfillments"][0]["trackingNumber"] == "TRK1"
    assert fulfilled["fulfillments"][0]["fulfillmentId"] == shipment["shipmentId"]


def test_label_for_order_has_cost_and_tracking_and_items_only_on_request(ss: Info) -> None:
    with api(ss) as client:
        order = client.post("/orders/createorder", json=new_order("L-1")).json()
        label = client.post(
            "/orders/createlabelfororder",
            json={
                "orderId": order["orderId"],
                "carrierCode": "stamps_com",
                "serviceCode": "usps_priority_mail",
                "confirmation": "delivery",
                "shipDate": "2026-01-16",
            },
        ).json()
        plain = client.get("/shipments", params={"orderId": order["orderId"]}).json()["shipments"][0]
        full = client.get("/shipments", params={"orderId": order["orderId"], "includeShipmentItems": "true"}).json()
        by_cost = client.get("/shipments", params={"shipDateStart": "2026-01-16", "shipDateEnd": "2026-01-16"}).json()
    assert isinstance(label["shipmentCost"], float) and label["shipmentCost"] > 0
    assert label["trackingNumber"].startswith("9400") and label["labelData"]
    assert plain["shipmentItems"] is None and plain["shipmentCost"] == label["shipmentCost"]
    assert [i["sku"] for i in full["shipments"][0]["shipmentItems"]] == ["MUG-11OZ", "CAP"]
    assert by_cost["total"] == 1


def test_createlabel_and_voidlabel_keep_the_row_voided(ss: Info) -> None:
    with api(ss) as client:
        order = client.post("/orders/createorder", json=new_order("V-1")).json()
        label = client.post(
            "/orders/createlabelfororder",
            json={"orderId": order["orderId"], "carrierCode": "ups", "serviceCode": "ups_ground"},
        ).json()
        shipped = client.get(f"/orders/{order['orderId']}").json()
        void = client.post("/shipments/voidlabel", json={"shipmentId": label["shipmentId"]})
        after = client.get("/shipments", params={"orderId": order["orderId"]}).json()["shipments"]
        reopened = client.get(f"/orders/{order['orderId']}").json()
        twice = client.post("/shipments/voidlabel", json={"shipmentId": label["shipmentId"]})
        unknown = client.post("/shipments/voidlabel", json={"shipmentId": 1})
        standalone = client.post(
            "/shipments/createlabel",
            json={
                "carrierCode": "fedex",
                "serviceCode": "fedex_ground",
                "packageCode": "package",
                "shipDate": "2026-01-16",
                "weight": {"value": 3, "units": "pounds"},
                "shipFrom": {
                    "name": "Warehouse",
                    "street1": "1 Dock St",
                    "city": "Austin",
                    "state": "TX",
                    "postalCode": "78701",
                    "country": "US",
                },
                "shipTo": new_order()["shipTo"],
            },
        ).json()
    assert void.json() == {"approved": True, "message": "Label voided successfully"}
    assert len(after) == 1 and after[0]["voided"] is True and after[0]["voidDate"]
    assert reopened["modifyDate"] > shipped["modifyDate"] and reopened["orderStatus"] == "awaiting_shipment"
    assert twice.status_code == 400 and unknown.status_code == 404
    assert standalone["orderId"] is None and standalone["shipmentCost"] > 0 and standalone["trackingNumber"]


def test_unknown_carrier_is_refused(ss: Info) -> None:
    with api(ss) as client:
        order = client.post("/orders/createorder", json=new_order("C-1")).json()
        r = client.post(
            "/orders/createlabelfororder",
            json={"orderId": order["orderId"], "carrierCode": "pigeon", "serviceCode": "fast"},
        )
    assert r.status_code == 400 and "carrierCode" in r.json()["ExceptionMessage"]


# ------------------------------------------------------------------------------- customers and stores
def test_customers_come_from_orders_with_marketplace_usernames(ss: Info) -> None:
    shopify = ss["demo"]["store_ids"][1]
    with api(ss) as client:
        order = client.post(
            "/orders/createorder",
            json=new_order(
                "CU-1",
                customerEmail="grace@example.com",
                customerUsername="grace.h",
                advancedOptions={"storeId": shopify},
            ),
        ).json()
        customer = client.get(f"/customers/{order['customerId']}").json()
        listed = client.get("/customers", params={"stateCode": "TX", "pageSize": 500}).json()
        by_market = client.get("/customers", params={"marketplaceId": 26, "pageSize": 500}).json()
        missing = client.get("/customers/1")
    assert customer["email"] == "grace@example.com" and customer["name"] == "Ada Lovelace"
    assert customer["marketplaceUsernames"][0]["username"] == "grace.h"
    assert customer["marketplaceUsernames"][0]["marketplace"] == "Shopify"
    assert order["customerId"] in [c["customerId"] for c in listed["customers"]]
    assert order["customerId"] in [c["customerId"] for c in by_market["customers"]]
    assert missing.status_code == 404


def test_stores_list_and_get(ss: Info) -> None:
    with api(ss) as client:
        stores = client.get("/stores").json()
        one = client.get(f"/stores/{stores[0]['storeId']}").json()
        shopify = client.get("/stores", params={"marketplaceId": 26}).json()
    assert [s["storeId"] for s in stores] == ss["demo"]["store_ids"]
    assert one["storeName"] == "Demo Manual Store" and one["active"] is True
    assert [s["marketplaceName"] for s in shopify] == ["Shopify"]


# --------------------------------------------------------------------------------- errors and faults
def test_lowercase_error_style_switch(ss: Info) -> None:
    httpx.post(ss["admin_url"] + "/errors", json={"style": "lowercase"}).raise_for_status()
    with api(ss) as client:
        bad = client.get("/orders", params={"orderStatus": "lost"})
        missing = client.get("/orders/1")
    assert bad.status_code == 400 and bad.json() == {"message": "The value 'lost' is not valid for orderStatus."}
    assert missing.json() == {"message": "Order 1 not found."}


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_injected_status_faults_use_the_provider_body(ss: Info, status: int) -> None:
    rule = {"kind": "status", "status": status, "count": 1, "path_prefix": "/orders", "retry_after": 3}
    httpx.post(ss["admin_url"] + "/faults", json=rule).raise_for_status()
    with api(ss) as client:
        faulted = client.get("/orders")
        after = client.get("/orders")
    assert faulted.status_code == status and "Message" in faulted.json()
    assert faulted.headers["retry-after"] == "3"
    if status == 429:
        assert faulted.headers["x-rate-limit-remaining"] == "0"
    assert after.status_code == 200


def test_drop_after_commit_keeps_the_created_order(ss: Info) -> None:
    rule = {"kind": "drop_after_commit", "count": 1, "path_prefix": "/orders/createorder"}
    httpx.post(ss["admin_url"] + "/faults", json=rule).raise_for_status()
    with api(ss) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/orders/createorder", json=new_order("DROP-1", orderKey="drop-key"))
        retried = client.post("/orders/createorder", json=new_order("DROP-1", orderKey="drop-key")).json()
        found = client.get("/orders", params={"orderNumber": "DROP-1"}).json()
    assert found["total"] == 1 and found["orders"][0]["orderId"] == retried["orderId"]


def test_timeout_and_latency_faults(ss: Info) -> None:
    httpx.post(
        ss["admin_url"] + "/faults",
        json={
            "rules": [
                {"kind": "timeout", "count": 1, "hang_seconds": 3, "path_prefix": "/stores"},
                {"kind": "latency", "count": 1, "latency_ms": 200, "path_prefix": "/customers"},
            ]
        },
    ).raise_for_status()
    with api(ss) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/stores", timeout=0.3)
        slow = client.get("/customers")
    assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.2


def test_admin_state_and_request_log_name_the_merchant(ss: Info) -> None:
    with api(ss) as client:
        client.post("/orders/createorder", json=new_order("LOG-1"))
    state = httpx.get(ss["admin_url"] + "/state", params={"account": "demo"}).json()
    log = httpx.get(ss["admin_url"] + "/requests", params={"path": "/orders/createorder"}).json()["requests"]
    demo = state["accounts"][0]
    assert demo["account"] == "demo" and demo["orders"] == 13 and demo["api_key"] == "demo-ss-key"
    assert "LOG-1" in [o["orderNumber"] for o in demo["order_list"]]
    assert log[-1]["account"] == "demo" and log[-1]["status"] == 200


# ------------------------------------------------------------------------------------------- isolation
def test_merchants_never_see_each_others_records(ss: Info) -> None:
    other = httpx.post(ss["admin_url"] + "/accounts", json={"name": "Second Merchant"}).json()
    with api(ss, other["api_key"], other["api_secret"]) as theirs, api(ss) as ours:
        mine = ours.post("/orders/createorder", json=new_order("ISO-1")).json()
        assert theirs.get("/orders").json()["total"] == 0
        assert theirs.get(f"/orders/{mine['orderId']}").status_code == 404
        assert theirs.get(f"/customers/{mine['customerId']}").status_code == 404
        their_store = other["store_id"]
        created = theirs.post(
            "/orders/createorder", json=new_order("ISO-2", advancedOptions={"storeId": their_store})
        ).json()
        assert [o["orderNumber"] for o in ours.get("/orders", params={"orderNumber": "ISO"}).json()["orders"]] == [
            "ISO-1"
        ]
        assert ours.post("/orders/createorder", json=new_order(orderId=created["orderId"])).status_code == 400
        assert [s["storeId"] for s in theirs.get("/stores").json()] == [s["storeId"] for s in other["stores"]]


def ss_clock(info: Info, **change: Any) -> dict[str, Any]:
    r = httpx.post(info["admin_url"] + "/clock", json=change)
    r.raise_for_status()
    result: dict[str, Any] = r.json()
    return result
