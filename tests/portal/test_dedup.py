"""Dedup keys name the fact a delivery reports: equal for retries of one fact, different for different facts."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from portal.dedup import MAX_LENGTH, dedup_key


def key(
    provider: str, data: Any, headers: dict[str, str] | None = None, query: list[tuple[str, str]] | None = None
) -> str:
    body = json.dumps(data).encode()
    return dedup_key(provider, body, data, headers or {}, query or [])


SO = {"salesorder": {"salesorder_id": "4815000000044972", "last_modified_time": "2026-01-07T12:06:10+0530"}}


def test_zoho_names_entity_record_and_modification() -> None:
    assert key("zoho", SO) == "zoho:salesorder:4815000000044972:2026-01-07T12:06:10+0530"
    assert key("zoho", {"invoice": {"invoice_id": 7, "last_modified_time": "t1"}}) == "zoho:invoice:7:t1"
    # Entities whose id field is not <entity>_id.
    shipment = {"shipmentorder": {"shipment_id": "9", "last_modified_time": "t"}}
    assert key("zoho", shipment) == "zoho:shipmentorder:9:t"
    modified = {"salesorder": {**SO["salesorder"], "last_modified_time": "2026-01-07T12:07:00+0530"}}
    assert key("zoho", modified) != key("zoho", SO)
    # Other fields (a retry may reformat nothing, but the key ignores them anyway).
    assert key("zoho", {"salesorder": {**SO["salesorder"], "status": "confirmed"}}) == key("zoho", SO)


def test_zoho_event_from_query_or_header_is_part_of_the_key() -> None:
    by_param = key("zoho", SO, query=[("tenant", "x"), ("event", "confirmed")])
    by_header = key("zoho", SO, headers={"x-zoho-event": "confirmed"})
    assert by_param == by_header == "zoho:salesorder.confirmed:4815000000044972:2026-01-07T12:06:10+0530"
    assert key("zoho", SO, query=[("event", "updated")]) != by_param


@pytest.mark.parametrize(
    "data",
    [
        {"salesorder": {"last_modified_time": "t"}},  # no id
        {"salesorder": {"salesorder_id": "1"}},  # no modification time
        {"salesorder": {"salesorder_id": True, "last_modified_time": "t"}},
        {"salesorder": ["not", "a", "record"]},
        {},
    ],
)
def test_zoho_bodies_lacking_what_zoho_always_sends_fall_back_to_the_body_hash(data: Any) -> None:
    body = json.dumps(data).encode()
    assert key("zoho", data) == f"zoho:sha256:{hashlib.sha256(body).hexdigest()}"


def test_shiprocket_tracking_and_remittance() -> None:
    push = {"awb": "19041424751540", "current_status_id": 20, "current_status": "IN TRANSIT"}
    push["current_timestamp"] = "23 05 2023 11:43:52"
    assert key("shiprocket", push) == "shiprocket:19041424751540:20:23 05 2023 11:43:52"
    assert key("shiprocket", {**push, "scans": [{"a": 1}]}) == key("shiprocket", push)
    without_id = {k: v for k, v in push.items() if k != "current_status_id"}
    assert key("shiprocket", without_id) == "shiprocket:19041424751540:IN TRANSIT:23 05 2023 11:43:52"
    assert key("shiprocket", {**push, "current_timestamp": "23 05 2023 11:43:53"}) != key("shiprocket", push)
    assert key("shiprocket", {"remittance_id": 5521, "awbs": []}) == "shiprocket:remittance:5521"
    no_awb = {k: v for k, v in push.items() if k != "awb"}
    assert key("shiprocket", no_awb).startswith("shiprocket:sha256:")
    assert key("shiprocket", {**push, "awb": ""}).startswith("shiprocket:sha256:")


def test_shipstation_names_the_batch_to_fetch() -> None:
    data = {"resource_url": "https://ssapi.shipstation.com/orders?importBatch=abc", "resource_type": "ORDER_NOTIFY"}
    assert key("shipstation", data) == "shipstation:ORDER_NOTIFY:https://ssapi.shipstation.com/orders?importBatch=abc"
    assert key("shipstation", {"resource_type": "ORDER_NOTIFY"}).startswith("shipstation:sha256:")


def test_other_providers_use_the_body_hash() -> None:
    data = {"anything": 1}
    assert key("magento", data) == f"magento:sha256:{hashlib.sha256(json.dumps(data).encode()).hexdigest()}"


def test_components_are_escaped_so_keys_split_unambiguously() -> None:
    a = key("shiprocket", {"awb": "1:2", "current_status_id": 3, "current_timestamp": "t"})
    b = key("shiprocket", {"awb": "1", "current_status_id": "2:3", "current_timestamp": "t"})
    assert a == "shiprocket:1%3A2:3:t" and b == "shiprocket:1:2%3A3:t" and a != b


def test_long_keys_fit_the_column_and_stay_distinct_and_stable() -> None:
    long_url = "https://ssapi.shipstation.com/shipments?batchId=" + "9" * 300
    data = {"resource_url": long_url, "resource_type": "SHIP_NOTIFY"}
    other = {"resource_url": long_url + "0", "resource_type": "SHIP_NOTIFY"}
    assert len(key("shipstation", data)) == MAX_LENGTH == len(key("shipstation", other))
    assert key("shipstation", data) == key("shipstation", dict(data))
    assert key("shipstation", data) != key("shipstation", other)
    assert key("shipstation", data).startswith("shipstation:SHIP_NOTIFY:https://ssapi.shipstation.com/")
