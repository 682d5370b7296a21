"""python-amazon-sp-api (saleweaver) driven against the Amazon sandbox, configured only with its URLs
and the demo merchant's credentials.

Configuration, without editing the library:
- LWA: the client's documented ``auth_token_client_class`` option takes a subclass of its
  ``AccessTokenClient`` whose ``scheme``/``host`` class attributes name the sandbox's LWA listener.
- SP-API: the ``Orders`` client's public ``endpoint`` attribute is set to the sandbox's EU base URL
  (the library picks the endpoint from its ``Marketplaces`` enum and offers no constructor option).
- The library caches access tokens per refresh token for the whole process; the cache is cleared
  between tests because every test resets the sandbox (and so forgets the tokens it issued).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest.importorskip("sp_api")

from sp_api.api import Orders
from sp_api.auth import AccessTokenClient
from sp_api.auth import access_token_client as token_cache
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, SellingApiForbiddenException, SellingApiRequestThrottledException
from sp_api.base.exceptions import SellingApiBadRequestException, SellingApiNotFoundException

pytestmark = pytest.mark.clients


_OPEN: list[Orders] = []


@pytest.fixture
def amazon(sandboxes: Any) -> Iterator[dict[str, Any]]:
    info: dict[str, Any] = sandboxes.fresh("amazon")
    token_cache.cache.clear()
    yield info
    token_cache.cache.clear()
    while _OPEN:
        client = _OPEN.pop()
        client.close()
        # The library never closes the httpx client of its LWA token client; do it so no socket leaks.
        client._auth._transport.close()


def _orders(info: dict[str, Any], refresh_token: str | None = None, **kwargs: Any) -> Orders:
    lwa = urlsplit(info["lwa_url"])
    sandbox_lwa = type("SandboxLwa", (AccessTokenClient,), {"scheme": f"{lwa.scheme}://", "host": lwa.netloc})
    demo = info["demo"]
    client = Orders(
        marketplace=Marketplaces.IN,
        refresh_token=refresh_token or demo["refresh_token"],
        credentials={"lwa_app_id": demo["client_id"], "lwa_client_secret": demo["client_secret"]},
        auth_token_client_class=sandbox_lwa,
        **kwargs,
    )
    client.endpoint = info["base_url"]
    _OPEN.append(client)
    return client


def _admin(info: dict[str, Any], path: str, body: dict[str, Any]) -> dict[str, Any]:
    import httpx

    r = httpx.post(info["admin_url"] + path, json=body)
    r.raise_for_status()
    data: dict[str, Any] = r.json()
    return data


def _ago(info: dict[str, Any], **delta: float) -> str:
    from datetime import datetime, timedelta

    import httpx

    now = datetime.fromisoformat(httpx.get(info["admin_url"] + "/clock").json()["now"])
    return (now - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_refresh_then_orders_across_pages_then_order_and_items(amazon: dict[str, Any]) -> None:
    seeded = _admin(amazon, "/seed", {"orders": 230, "from": _ago(amazon, days=5), "to": _ago(amazon, hours=1)})
    client = _orders(amazon)
    since = _ago(amazon, days=6)
    orders: list[dict[str, Any]] = []
    pages = 0
    next_token = None
    while True:
        extra = {"NextToken": next_token} if next_token else {}
        res = client.get_orders(LastUpdatedAfter=since, MaxResultsPerPage=100, **extra)
        pages += 1
        assert res.rate_limit == "0.0167"
        orders.extend(res.payload["Orders"])
        next_token = res.next_token
        if not next_token:
            assert res.payload["LastUpdatedBefore"].endswith("Z")
            break
    assert pages == 3
    ids = {o["AmazonOrderId"] for o in orders}
    assert set(seeded["order_ids"]) <= ids and len(ids) == len(orders) == 230 + 6

    business = amazon["demo"]["order_ids"]["business"]
    order = client.get_order(business).payload
    assert order["IsBusinessOrder"] is True and order["OrderTotal"]["CurrencyCode"] == "INR"
    items = client.get_order_items(business).payload
    assert items["AmazonOrderId"] == business and items["OrderItems"][0]["ItemTax"]["CurrencyCode"] == "INR"


def test_restricted_resources_fetch_an_rdt_and_reveal_buyer_details(amazon: dict[str, Any]) -> None:
    client = _orders(amazon)
    oid = amazon["demo"]["order_ids"]["business"]
    plain = client.get_order(oid).payload
    assert set(plain["ShippingAddress"]) == {"City", "StateOrRegion", "PostalCode", "CountryCode"}
    full = client.get_order(oid, RestrictedResources=["buyerInfo", "shippingAddress", "buyerTaxInformation"]).payload
    assert full["ShippingAddress"]["Name"] and full["BuyerInfo"]["BuyerEmail"].endswith("@marketplace.amazon.in")
    assert len(full["BuyerTaxInformation"]["BuyerTaxRegistrationId"]) == 15
    listed = client.get_orders(LastUpdatedAfter=_ago(amazon, days=30), RestrictedResources=["shippingAddress"]).payload
    assert all("AddressLine1" in o["ShippingAddress"] for o in listed["Orders"])


def test_confirm_shipment_through_the_client(amazon: dict[str, Any]) -> None:
    client = _orders(amazon)
    oid = amazon["demo"]["order_ids"]["mfn_cod_easy_ship"]
    items = client.get_order_items(oid).payload["OrderItems"]
    client.confirm_shipment(
        oid,
        marketplaceId="A21TJRUUN4KGV",
        codCollectionMethod="DirectPayment",
        packageDetail={
            "packageReferenceId": "1",
            "carrierCode": "Delhivery",
            "trackingNumber": "1490512345678",
            "shipDate": "2024-05-01T10:20:30Z",
            "orderItems": [{"orderItemId": i["OrderItemId"], "quantity": i["QuantityOrdered"]} for i in items],
        },
    )
    assert client.get_order(oid).payload["OrderStatus"] == "Shipped"


def test_client_errors_map_to_its_exceptions(amazon: dict[str, Any]) -> None:
    client = _orders(amazon)
    with pytest.raises(SellingApiBadRequestException) as bad:
        client.get_orders()  # neither CreatedAfter nor LastUpdatedAfter
    assert bad.value.amzn_code == "InvalidInput"
    with pytest.raises(SellingApiNotFoundException):
        client.get_order("403-0000000-0000000")
    with pytest.raises(AuthorizationError) as denied:
        _orders(amazon, refresh_token="Atzr|IwEBnot-valid").get_order("403-0000000-0000000")
    assert denied.value.error_code == "invalid_grant" and denied.value.status_code == 400
    _admin(amazon, "/tokens/expire", {})
    with pytest.raises(SellingApiForbiddenException) as forbidden:
        client.get_order(amazon["demo"]["order_ids"]["pending"])  # the library still holds the expired token
    assert forbidden.value.amzn_code == "Unauthorized"


def test_throttling_surfaces_as_the_clients_throttled_exception(amazon: dict[str, Any]) -> None:
    client = _orders(amazon)
    since = _ago(amazon, days=1)
    for _ in range(20):
        client.get_orders(CreatedAfter=since)
    with pytest.raises(SellingApiRequestThrottledException) as throttled:
        client.get_orders(CreatedAfter=since)
    assert throttled.value.amzn_code == "QuotaExceeded"


# ----------------------------------------------------------------------------- Amazon's own SDK
# amzn-sp-api (Amazon's official Python SDK) takes the LWA URL and the API base URL as documented
# constructor options of SPAPIClient: oauth_endpoint= and endpoint=.


def test_official_sdk_refresh_then_orders_across_pages_then_order_and_items(amazon: dict[str, Any]) -> None:
    spapi_client = pytest.importorskip("spapi.client")
    from spapi.api.orders_v0.orders_v0_api import OrdersV0Api
    from spapi.auth.credentials import SPAPIConfig
    from spapi.models.orders_v0.confirm_shipment_order_item import ConfirmShipmentOrderItem
    from spapi.models.orders_v0.confirm_shipment_request import ConfirmShipmentRequest
    from spapi.models.orders_v0.package_detail import PackageDetail

    seeded = _admin(amazon, "/seed", {"orders": 120, "from": _ago(amazon, days=4), "to": _ago(amazon, hours=2)})
    demo = amazon["demo"]
    config = SPAPIConfig(
        client_id=demo["client_id"],
        client_secret=demo["client_secret"],
        refresh_token=demo["refresh_token"],
        region="EU",
    )
    client = spapi_client.SPAPIClient(config, oauth_endpoint=amazon["lwa_url"], endpoint=amazon["base_url"])
    try:
        api = OrdersV0Api(client.api_client)
        since = _ago(amazon, days=5)
        found: list[Any] = []
        token = None
        pages = 0
        while True:
            kwargs = {"next_token": token} if token else {}
            res = api.get_orders(
                marketplace_ids=["A21TJRUUN4KGV"], last_updated_after=since, max_results_per_page=50, **kwargs
            )
            pages += 1
            found.extend(res.payload.orders)
            token = res.payload.next_token
            if not token:
                break
        assert pages == 3 and len(found) == 120 + 6
        assert set(seeded["order_ids"]) <= {o.amazon_order_id for o in found}

        cod = demo["order_ids"]["mfn_cod_easy_ship"]
        order = api.get_order(cod).payload
        assert order.payment_method == "COD" and order.order_total.currency_code == "INR"
        assert order.easy_ship_shipment_status in ("PendingSchedule", "PendingPickUp")
        items = api.get_order_items(cod).payload.order_items
        assert all(i.item_tax.currency_code == "INR" for i in items)

        package = PackageDetail(
            package_reference_id="1",
            carrier_code="Delhivery",
            tracking_number="1490598765432",
            ship_date="2024-05-01T10:20:30Z",
            order_items=[
                ConfirmShipmentOrderItem(order_item_id=i.order_item_id, quantity=i.quantity_ordered) for i in items
            ],
        )
        api.confirm_shipment(cod, ConfirmShipmentRequest(package_detail=package, marketplace_id="A21TJRUUN4KGV"))
        assert api.get_order(cod).payload.order_status == "Shipped"
    finally:
        client.api_client.rest_client.pool_manager.clear()
