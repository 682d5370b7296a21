"""Third-party clients against the Zoho sandbox, configured only with its URLs and credentials.

- ``authlib`` (requests OAuth2Session) drives the Accounts authorization-code flow and a refresh.
- ``pyzohoapi`` (Pythonic Zoho Inventory/Books client) does the data calls. It builds its hosts from a
  region table (``https://www.zohoapis.<tld>``, ``https://accounts.zoho.<tld>``); its documented
  extension point is overriding ``get_endpoint`` in a subclass, and the accounts URL is the instance
  attribute ``_oauth`` set from that table, so the subclasses below point both at the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.requests_client import OAuth2Session
from pyzohoapi import ZohoBooks, ZohoInventory
from pyzohoapi.exceptions import ZohoBadRequest

pytestmark = pytest.mark.clients


def sandbox_inventory(dc: dict[str, str], **keys: Any) -> ZohoInventory:
    class SandboxInventory(ZohoInventory):  # type: ignore[misc]
        def get_endpoint(self, region: str) -> str:
            return dc["inventory_url"]

    api = SandboxInventory(region="in", **keys)
    api._oauth = dc["accounts_url"] + "/oauth/v2"
    return api


def sandbox_books(dc: dict[str, str], **keys: Any) -> ZohoBooks:
    class SandboxBooks(ZohoBooks):  # type: ignore[misc]
        def get_endpoint(self, region: str) -> str:
            return dc["books_url"]

    api = SandboxBooks(region="in", **keys)
    api._oauth = dc["accounts_url"] + "/oauth/v2"
    return api


@pytest.fixture
def zoho(sandboxes: Any) -> dict[str, Any]:
    info: dict[str, Any] = sandboxes.fresh("zoho")
    return info


@pytest.fixture
def keys(zoho: dict[str, Any]) -> dict[str, Any]:
    demo = zoho["demo"]
    return {
        "organization_id": demo["organization_id"],
        "client_id": demo["client_id"],
        "client_secret": demo["client_secret"],
        "refresh_token": demo["refresh_token"],
    }


@pytest.fixture
def insecure_ok(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks plain HTTP on 127.0.0.1
    yield


def test_authlib_code_flow_then_pyzohoapi_with_the_new_refresh_token(zoho: dict[str, Any], insecure_ok: None) -> None:
    demo, dc = zoho["demo"], zoho["data_centres"]["in"]
    httpx.post(zoho["admin_url"] + "/zoho/settings", json={"auto_approve": True}).raise_for_status()
    with OAuth2Session(
        demo["client_id"],
        demo["client_secret"],
        scope=demo["scopes"],
        redirect_uri=demo["redirect_uri"],
        token_endpoint_auth_method="client_secret_post",
    ) as oauth:
        uri, state = oauth.create_authorization_url(
            dc["accounts_url"] + "/oauth/v2/auth", access_type="offline", prompt="consent"
        )
        consent = httpx.get(uri)
        assert consent.status_code == 302
        location = consent.headers["location"]
        redirect = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert redirect["state"] == state and redirect["location"] == "in"
        token = oauth.fetch_token(redirect["accounts-server"] + "/oauth/v2/token", authorization_response=location)
        assert token["api_domain"] == dc["api_domain"] and token["refresh_token"]
        refreshed = oauth.refresh_token(redirect["accounts-server"] + "/oauth/v2/token")
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["refresh_token"] == token["refresh_token"]

    inventory = sandbox_inventory(
        dc,
        organization_id=demo["organization_id"],
        client_id=demo["client_id"],
        client_secret=demo["client_secret"],
        refresh_token=token["refresh_token"],
    )
    orgs = list(inventory.Organization().Iter(raw=True))
    assert orgs[0]["name"] == "Demo Traders Pvt Ltd"


def test_pyzohoapi_sales_order_to_shipment(zoho: dict[str, Any], keys: dict[str, Any]) -> None:
    dc = zoho["data_centres"]["in"]
    inventory = sandbox_inventory(dc, **keys)
    customer = inventory.Contact(email="priya.nair@example.in").First()
    assert customer.contact_name == "Priya Nair"
    bottle = inventory.Item(sku="BOT-STL-1L").First()
    before = bottle.stock_on_hand

    so = inventory.SalesOrder()
    so.customer_id = customer.ID
    so.reference_number = "WEB-CLIENT-1"
    so.line_items = [{"item_id": bottle.ID, "quantity": 2}]
    so.custom_fields = [{"api_name": "cf_shiprocket_order_id", "value": "SR-555"}]
    so.Create()
    assert so.ID and so.Number.startswith("SO-") and so.status == "draft"
    assert so.GetCustomField("cf_shiprocket_order_id") == "SR-555"
    assert so.Confirm() is True

    so = inventory.SalesOrder(so.ID)
    assert so.status == "confirmed"
    so.SetCustomField("cf_awb_number", "SR99887766")
    so.Update()
    assert inventory.SalesOrder(so.ID).GetCustomField("AWB Number") == "SR99887766"
    found = list(inventory.SalesOrder().Iter(raw=True, cf_awb_number="SR99887766"))
    assert [f["salesorder_id"] for f in inventory.SalesOrder(cf_awb_number="SR99887766").Iter(raw=True)] == [so.ID]
    assert found

    package = inventory.Package()
    package.date = so.date
    package.line_items = [{"so_line_item_id": so.line_items[0].line_item_id, "quantity": 2}]
    package.Create(salesorder_id=so.ID)
    assert package.ID and package.status == "not_shipped"

    shipment = inventory.ShipmentOrder()
    shipment.date = so.date
    shipment.delivery_method = "Delhivery"
    shipment.tracking_number = "SR99887766"
    shipment.Create(package_ids=package.ID, salesorder_id=so.ID)
    assert shipment.ID and shipment.status == "shipped"
    assert shipment.Delivered() is True
    assert inventory.ShipmentOrder(shipment.ID).status == "delivered"
    assert inventory.SalesOrder(so.ID).shipped_status == "fully_shipped"
    assert inventory.Item(bottle.ID).stock_on_hand == before - 2


def test_pyzohoapi_walks_pages_of_seeded_orders(zoho: dict[str, Any], keys: dict[str, Any]) -> None:
    httpx.post(zoho["admin_url"] + "/seed", json={"orders": 230}).raise_for_status()
    inventory = sandbox_inventory(zoho["data_centres"]["in"], **keys)
    numbers = [row["salesorder_number"] for row in inventory.SalesOrder().Iter(raw=True)]
    assert len(numbers) == len(set(numbers)) == 234


def test_pyzohoapi_books_invoice_and_payment(zoho: dict[str, Any], keys: dict[str, Any]) -> None:
    books = sandbox_books(zoho["data_centres"]["in"], **keys)
    customer = books.Contact(contact_name="Rohan Mehta").First()
    invoice = books.Invoice()
    invoice.customer_id = customer.ID
    invoice.line_items = [{"name": "Handloom Saree - Maroon", "rate": 2499, "quantity": 1}]
    invoice.Create()
    assert invoice.Number.startswith("INV-") and invoice.balance == Decimal("2499")
    # pyzohoapi's CustomerPayment type expects a "customerpayment" key, but Zoho answers "payment":
    # use the client's own low-level call, as its users do.
    paid = books.post(
        "customerpayments",
        {
            "customer_id": customer.ID,
            "amount": 2499,
            "payment_mode": "cash",
            "invoices": [{"invoice_id": invoice.ID, "amount_applied": 2499}],
        },
    )
    assert paid["payment"]["amount"] == 2499
    assert books.Invoice(invoice.ID).status == "paid"
    with pytest.raises(ZohoBadRequest, match="cannot be deleted"):
        invoice.Delete()  # Zoho refuses to delete an invoice with payments applied
