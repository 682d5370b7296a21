"""The third-party ``shiprocket-sdk`` (PyPI, import name ``shiprocket``) driven against the sandbox.

The library keeps its host in one attribute, ``ShiprocketClient.base_url``, set in ``__init__`` just before
it logs in, with no parameter to change it. The only configuration done here is a subclass that points that
attribute at the sandbox before the login call; everything else is the library's own code, unchanged:
form-encoded login to ``auth/login/``, a Bearer header, and ``requests`` calls whose responses it returns.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from shiprocket import (
    Channel,
    Courier,
    LabelsManifestsInvoice,
    Order,
    PickupAddress,
    ReturnOrder,
    Shipment,
    ShiprocketClient,
)
from shiprocket.auth.exceptions import AuthorizationError

pytestmark = pytest.mark.clients


def client_for(base_url: str, email: str, password: str) -> ShiprocketClient:
    class SandboxShiprocketClient(ShiprocketClient):  # type: ignore[misc]
        def get_auth(self) -> Any:
            self.base_url = base_url.rstrip("/") + "/"
            return super().get_auth()

    return SandboxShiprocketClient(credentials={"email": email, "password": password})


@pytest.fixture
def info(sandboxes: Any) -> dict[str, Any]:
    info: dict[str, Any] = sandboxes.fresh("shiprocket")
    return info


@pytest.fixture
def client(info: dict[str, Any]) -> ShiprocketClient:
    return client_for(info["base_url"], info["demo"]["email"], info["demo"]["password"])


def test_library_logs_in_and_refuses_bad_credentials(info: dict[str, Any], client: ShiprocketClient) -> None:
    assert client.base_url.startswith("http://127.0.0.1:")
    assert client.token.token.count(".") == 2
    with pytest.raises(AuthorizationError) as failed:
        client_for(info["base_url"], info["demo"]["email"], "wrong")
    assert failed.value.status_code == 403


def test_forward_order_end_to_end(info: dict[str, Any], client: ShiprocketClient) -> None:
    pickups = PickupAddress(client).get_all_pickup_locations()
    assert pickups.status_code == 200
    nicknames = [p["pickup_location"] for p in pickups.json()["data"]["shipping_address"]]
    assert "Primary" in nicknames

    added = PickupAddress(client).add_new_pickup_location(
        data={
            "pickup_location": "Pune Hub",
            "name": "Demo Traders",
            "email": "pune@demo-traders.in",
            "phone": "9890012345",
            "address": "Survey 42, Hinjewadi Phase 1",
            "city": "Pune",
            "state": "Maharashtra",
            "country": "India",
            "pin_code": "411057",
        }
    )
    assert added.status_code == 200 and added.json()["success"] is True

    quote = Courier(client).check_courier_serviceability(
        params={"pickup_postcode": "411057", "delivery_postcode": "600020", "weight": "1.5", "cod": 1}
    )
    assert quote.status_code == 200
    couriers = quote.json()["data"]["available_courier_companies"]
    recommended = quote.json()["data"]["recommended_courier_company_id"]
    assert any(c["courier_company_id"] == recommended and c["cod"] == 1 for c in couriers)

    created = Order(client).create_custom_order(
        data={
            "order_id": "SDK-2001",
            "order_date": "2026-11-22 10:30",
            "pickup_location": "Pune Hub",
            "billing_customer_name": "Priya",
            "billing_last_name": "Iyer",
            "billing_address": "14, 3rd Cross, Adyar",
            "billing_city": "Chennai",
            "billing_pincode": "600020",
            "billing_state": "Tamil Nadu",
            "billing_country": "India",
            "billing_email": "priya@example.in",
            "billing_phone": "9840022233",
            "shipping_is_billing": True,
            "order_items": [{"name": "Silk Saree", "sku": "SAR-SLK-1", "units": 1, "selling_price": "3499"}],
            "payment_method": "COD",
            "sub_total": 3499,
            "length": 30,
            "breadth": 25,
            "height": 5,
            "weight": 1.5,
        }
    )
    assert created.status_code == 200, created.text
    order_id, shipment_id = created.json()["order_id"], created.json()["shipment_id"]

    awb = Courier(client).genrate_awb_for_shipment(data={"shipment_id": shipment_id})
    assert awb.json()["awb_assign_status"] == 1
    awb_code = awb.json()["response"]["data"]["awb_code"]
    assert awb.json()["response"]["data"]["courier_company_id"] == recommended

    pickup = Courier(client).request_for_shipment_pickup(data={"shipment_id": [shipment_id]})
    assert pickup.status_code == 200 and pickup.json()["pickup_status"] == 1

    docs = LabelsManifestsInvoice(client)
    assert docs.generate_label(data={"shipment_id": [shipment_id]}).json()["label_created"] == 1
    manifest = docs.generate_manifest(data={"shipment_id": [shipment_id]}).json()
    assert manifest["status"] == 1 and manifest["manifest_url"]
    assert docs.print_manifest(data={"order_ids": [order_id]}).json()["manifest_url"] == manifest["manifest_url"]
    assert docs.genrate_invoice(data={"ids": [order_id]}).json()["is_invoice_created"] is True

    httpx.post(f"{info['admin_url']}/shipments/{awb_code}/advance", json={"path": "delivered"}).raise_for_status()

    detail = Order(client).get_specific_order_details(order_id).json()["data"]
    assert detail["status"] == "DELIVERED" and detail["shipments"]["awb"] == awb_code
    listed = Order(client).get_all_orders(params={"search": "SDK-2001"}).json()["data"]
    assert [o["id"] for o in listed] == [order_id]
    shipments = Shipment(client).get_all_shipments(params={"per_page": 50}).json()["data"]
    assert any(s["awb"] == awb_code and s["status"] == 7 for s in shipments)
    one = Shipment(client).get_shipment_details(shipment_id).json()["data"]
    assert one["delivered_date"]

    channels = Channel(client).get_channels().json()["data"]
    assert channels[0]["name"] == "CUSTOM"


def test_cancellations_and_returns(client: ShiprocketClient) -> None:
    listed = Order(client).get_all_orders(params={"per_page": 100}).json()["data"]
    new = next(o for o in listed if o["status"] == "NEW")
    cancelled = Order(client).cancel_order(data={"ids": [new["id"]]})
    assert cancelled.status_code == 204

    ready = next(o for o in listed if o["status"] == "READY TO SHIP")
    awb = ready["shipments"][0]["awb"]
    assert Shipment(client).cancel_shipment(data={"awbs": [awb]}).status_code == 204
    reopened = Order(client).get_specific_order_details(ready["id"]).json()["data"]
    assert reopened["status"] == "NEW"

    created = ReturnOrder(client).create_return_order(
        data={
            "order_id": "SDK-R1",
            "order_date": "2026-11-22",
            "pickup_customer_name": "Isha",
            "pickup_address": "12, Gomti Nagar",
            "pickup_city": "Lucknow",
            "pickup_state": "Uttar Pradesh",
            "pickup_country": "India",
            "pickup_pincode": "226010",
            "pickup_email": "isha@example.in",
            "pickup_phone": "9839010011",
            "shipping_customer_name": "Demo Traders",
            "shipping_address": "MG Road, Ashok Nagar",
            "shipping_city": "Bengaluru",
            "shipping_state": "Karnataka",
            "shipping_country": "India",
            "shipping_pincode": "560001",
            "shipping_phone": "9900112233",
            "order_items": [{"name": "Leather Wallet", "sku": "WAL-LTH-BR", "units": 1, "selling_price": 699}],
            "payment_method": "PREPAID",
            "sub_total": 699,
            "length": 15,
            "breadth": 10,
            "height": 4,
            "weight": 0.3,
        }
    )
    assert created.status_code == 200 and created.json()["status"] == "RETURN PENDING"
    awb = Courier(client).genrate_awb_for_shipment(data={"shipment_id": created.json()["shipment_id"], "is_return": 1})
    assert awb.json()["awb_assign_status"] == 1


def test_order_amendments_and_account_reports(client: ShiprocketClient) -> None:
    listed = Order(client).get_all_orders(params={"filter_by": "status", "filter": "NEW"}).json()["data"]
    order = listed[0]
    moved = Order(client).change_pickup_location(data={"order_id": [order["id"]], "pickup_location": "Mumbai WH"})
    assert moved.json() == {"message": "Pickup location Updated"}
    readdressed = Order(client).update_customer_delivery_address(
        data={
            "order_id": order["id"],
            "shipping_customer_name": "Karthik",
            "shipping_phone": "9847077788",
            "shipping_address": "Door 12, Panampilly Nagar",
            "shipping_city": "Kochi",
            "shipping_state": "Kerala",
            "shipping_country": "India",
            "shipping_pincode": "682036",
        }
    )
    assert readdressed.status_code == 202
    detail = Order(client).get_specific_order_details(order["id"]).json()["data"]
    assert detail["pickup_location"] == "Mumbai WH" and detail["customer_pincode"] == "682036"
    returns = ReturnOrder(client).get_all_return_orders().json()
    assert returns["data"][0]["status"] == "RETURN PENDING"
