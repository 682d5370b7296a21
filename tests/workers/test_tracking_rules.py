"""The tracking and returns decisions without I/O: status names, the words written, the lifecycle's ranks,
which records a push or a sales-order event starts, and the documents' bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from sandbox.shiprocket.catalog import EVENTS, SHIPMENT_STATUSES
from workers.calls import Refused
from workers.engine.outcomes import Reason
from workers.flows import books, catalog, inventory, parcel, returns, tracking
from workers.flows.settings import FlowSettings, parse
from workers.flows.shipment_status import (
    LIFECYCLE,
    SHIPMENT_STATUS_IDS,
    Action,
    actions_of,
    decide,
    normalise,
    rank_of_words,
    status_of,
    words_for,
)

SEED_TABLE = {
    "PICKUP SCHEDULED": "Pickup Scheduled",
    "PICKED UP": "Picked Up",
    "IN TRANSIT": "In Transit",
    "OUT FOR DELIVERY": "Out for Delivery",
    "DELIVERED": "Delivered",
    "RTO INITIATED": "RTO Initiated",
    "RTO DELIVERED": "Returned",
    "LOST": "Lost in Transit",
}


def push(**fields: Any) -> dict[str, Any]:
    """A tracking push as Shiprocket sends it (fact sheet §7), IN TRANSIT unless told otherwise."""
    return {
        "awb": "19041234567890",
        "courier_name": "Delhivery Surface",
        "current_status": "IN TRANSIT",
        "current_status_id": 20,
        "shipment_status": "IN TRANSIT",
        "shipment_status_id": 18,
        "current_timestamp": "23 05 2023 11:43:52",
        "order_id": "SO-00042",
        "sr_order_id": 481200042,
        "scans": [],
        "is_return": 0,
        **fields,
    }


def test_the_seed_table_is_the_default_mapping() -> None:
    assert {name: words_for(LIFECYCLE[name], {}) for name in SEED_TABLE} == SEED_TABLE


def test_every_status_the_sandbox_sends_is_in_the_lifecycle_and_its_shipment_id_agrees() -> None:
    for name, event in EVENTS.items():
        assert status_of({"current_status": name}) == name, name
        assert SHIPMENT_STATUS_IDS[event.shipment_status] == name
        assert SHIPMENT_STATUSES[event.shipment_status].upper().replace("_", " ").startswith(name.split()[0])


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        ("Out For Delivery", "OUT FOR DELIVERY"),
        ("rto_ofd", "RTO OFD"),
        ("RTO IN-TRANSIT", "RTO IN TRANSIT"),
        ("RTO_IN_TRANSIT", "RTO IN TRANSIT"),
        ("REACHED DESTINATION HUB", "REACHED AT DESTINATION HUB"),
        ("Canceled", "CANCELLED"),
        ("RETURN PICKED UP", "PICKED UP"),
        ("RETURN PICKUP GENERATED", "PICKUP SCHEDULED"),
        ("RETURN PENDING", "RETURN PENDING"),
    ],
)
def test_status_names_are_normalised(sent: str, status: str) -> None:
    assert normalise(sent) == status


def test_a_push_without_a_known_name_falls_back_to_the_shipment_numbering() -> None:
    assert status_of({"current_status": "", "shipment_status_id": 42}) == "PICKED UP"
    # The order numbering reuses ids (4 is pickup scheduled and manifest generated) and is never read.
    assert status_of({"current_status_id": 7}) is None
    assert status_of({"current_status": "RTO LOCK", "shipment_status_id": "x"}) == "RTO LOCK"


def test_route_makes_one_record_per_awb_and_status() -> None:
    [(source, payload)] = tracking.route("shiprocket", push())
    assert source == "shiprocket_tracking:19041234567890:IN_TRANSIT"
    assert tracking.route("shiprocket", push(current_timestamp="24 05 2023 09:00:00"))[0][0] == source
    delivered = tracking.route("shiprocket", push(current_status="DELIVERED", shipment_status="DELIVERED"))
    assert delivered[0][0] == "shiprocket_tracking:19041234567890:DELIVERED"
    assert payload == {
        "awb": "19041234567890",
        "status": "IN TRANSIT",
        "shipment_status_id": 18,
        "current_status_id": 20,
        "at": "2023-05-23T06:13:52+00:00",
        "at_sent": "23 05 2023 11:43:52",
        "is_return": False,
        "order_id": "SO-00042",
        "sr_order_id": 481200042,
        "courier_name": "Delhivery Surface",
    }


@pytest.mark.parametrize(
    "body",
    [
        push(awb=""),
        {k: v for k, v in push().items() if k != "awb"},
        push(current_status=None, shipment_status=None, shipment_status_id=None),
        {"remittance_id": 1, "orders": []},
    ],
)
def test_route_starts_nothing_for_a_body_without_awb_or_status(body: dict[str, Any]) -> None:
    assert tracking.route("shiprocket", body) == []


def test_route_ignores_other_providers_and_keeps_a_bad_timestamp_as_sent() -> None:
    assert tracking.route("zoho", push()) == []
    [(_, payload)] = tracking.route("shiprocket", push(current_timestamp="yesterday", is_return="1"))
    assert payload["at"] is None and payload["at_sent"] == "yesterday" and payload["is_return"] is True


def test_a_tenant_overrides_words_and_the_cod_and_return_words_are_data() -> None:
    settings = parse({"status_map": {"delivered": "Handed over", "DELIVERED COD": "Delivered (COD due)"}})
    delivered = LIFECYCLE["DELIVERED"]
    assert words_for(delivered, settings.status_map) == "Handed over"
    assert words_for(delivered, settings.status_map, cod=True) == "Delivered (COD due)"
    assert words_for(delivered, {}, cod=True) == "Delivered - Awaiting Remittance"
    assert words_for(delivered, {}, is_return=True) == "Return Received - Awaiting QC"
    assert words_for(LIFECYCLE["IN TRANSIT"], {}, is_return=True) == "Return In Transit"
    assert words_for(LIFECYCLE["IN TRANSIT"], {"RETURN IN TRANSIT": "Coming back"}, is_return=True) == "Coming back"
    # The words on an order are read back with the tenant's table, the COD marker included.
    assert rank_of_words("handed over", settings.status_map) == 100
    assert rank_of_words("Delivered (COD due)", settings.status_map) == 100
    assert rank_of_words("Delivered", settings.status_map) is None
    assert rank_of_words("Serviceability Failed", {}) is None
    assert rank_of_words("QC Passed", {}, is_return=True) == 110
    assert rank_of_words("QC Passed", {}) is None


def test_lifecycle_ranks_never_let_an_order_move_back() -> None:
    ranks = {name: status.rank for name, status in LIFECYCLE.items()}
    assert ranks["AWB ASSIGNED"] < ranks["PICKUP SCHEDULED"] < ranks["PICKED UP"] < ranks["IN TRANSIT"]
    assert ranks["IN TRANSIT"] < ranks["OUT FOR DELIVERY"] < ranks["RTO INITIATED"] < ranks["RTO DELIVERED"]
    assert ranks["LOST"] < ranks["DELIVERED"] == ranks["RTO DELIVERED"] == ranks["CANCELLED"]


def test_decide_moves_forward_only() -> None:
    transit, delivered = LIFECYCLE["IN TRANSIT"], LIFECYCLE["DELIVERED"]
    assert decide(delivered, "Delivered", "In Transit", 40).forward
    stale = decide(transit, "In Transit", "Delivered", 100)
    assert not stale.forward and stale.why == "stale: In Transit after Delivered"
    assert not decide(transit, "In Transit", "In Transit", 40).forward  # at the same rank: stale
    assert decide(transit, "In Transit", None, None).forward
    assert decide(transit, "In Transit", "Serviceability Failed", None).forward  # words not ours: rank 0
    # Another record of the parcel already decided further: its decision is the floor.
    floored = decide(transit, "In Transit", "Picked Up", 30, (100, "Delivered"))
    assert not floored.forward and floored.why == "stale: In Transit after Delivered"
    # An attempt that decided forward and may have written before it died writes again.
    assert decide(transit, "In Transit", "In Transit", 40, retrying=True).forward


def test_what_each_status_sets_off() -> None:
    assert actions_of(LIFECYCLE["PICKED UP"], is_return=False) == (Action.DISPATCH,)
    assert actions_of(LIFECYCLE["DELIVERED"], is_return=False) == (Action.DISPATCH, Action.DELIVER)
    assert actions_of(LIFECYCLE["RTO INITIATED"], is_return=False) == (Action.ALERT_RTO,)
    assert actions_of(LIFECYCLE["RTO DELIVERED"], is_return=False) == (Action.RESTOCK_RTO,)
    assert actions_of(LIFECYCLE["LOST"], is_return=False) == (Action.CLAIM,)
    assert actions_of(LIFECYCLE["PICKUP SCHEDULED"], is_return=False) == ()
    # A return parcel's stock waits for QC, so delivered back it sets nothing off; lost, it is claimed.
    assert actions_of(LIFECYCLE["DELIVERED"], is_return=True) == ()
    assert actions_of(LIFECYCLE["LOST"], is_return=True) == (Action.CLAIM,)


def test_lock_keys_are_per_tenant_and_parcel_and_fit_a_bigint() -> None:
    tenant = uuid.uuid4()
    key = parcel.lock_key(tenant, "AWB1")
    assert key == parcel.lock_key(tenant, "AWB1") != parcel.lock_key(tenant, "AWB2")
    assert key != parcel.lock_key(uuid.uuid4(), "AWB1")
    assert -(2**63) <= key < 2**63


def so_event(return_status: str | None, status: str = "fulfilled") -> dict[str, Any]:
    fields = [{"api_name": "cf_awb_number", "value": "AWB1"}]
    if return_status is not None:
        fields.append({"api_name": "cf_return_status", "value": return_status})
    return {"salesorder": {"salesorder_id": "4600000000000000123", "status": status, "custom_fields": fields}}


def test_returns_route_on_the_return_status() -> None:
    assert returns.route("zoho", so_event("Return Requested")) == [
        ("zoho_return:4600000000000000123", {"salesorder_id": "4600000000000000123"})
    ]
    assert returns.route("zoho", so_event("qc passed")) == [
        ("zoho_return_qc:4600000000000000123:passed", {"salesorder_id": "4600000000000000123", "qc": "passed"})
    ]
    assert returns.route("zoho", so_event("QC Failed"))[0][0] == "zoho_return_qc:4600000000000000123:failed"
    for other in (None, "", "Return Pickup Scheduled", "Returned to Stock"):
        assert returns.route("zoho", so_event(other)) == []
    assert returns.route("shiprocket", so_event("Return Requested")) == []
    flattened = {"salesorder": {"salesorder_id": "1", "cf_return_status": "Return Requested"}}
    assert returns.route("zoho", flattened)[0][0] == "zoho_return:1"


def test_a_confirmed_orders_update_routes_to_the_fulfilment_record_it_already_has() -> None:
    confirmed = so_event("Return Requested", status="confirmed")
    routed = {flow: source for flow, source, _ in catalog.route("zoho", confirmed)}
    # The same source as the "confirmed" event's: records.receive finds the record there, nothing starts again.
    assert routed["fulfilment"] == "zoho_salesorder:4600000000000000123"
    assert routed["returns"] == "zoho_return:4600000000000000123"
    assert "fulfilment" not in {flow for flow, _, _ in catalog.route("zoho", so_event("QC Passed"))}


def test_a_return_order_collects_from_the_customer_and_goes_to_the_orders_warehouse() -> None:
    order = {
        "salesorder_number": "SO-00042",
        "customer_name": "Rohan Mehta",
        "line_items": [{"name": "Mug", "sku": "MUG-1", "quantity": Decimal("2"), "rate": Decimal("299.00")}],
    }
    contact = {
        "contact_name": "Rohan Mehta",
        "email": "rohan@example.in",
        "shipping_address": {
            "address": "Flat 9B",
            "city": "Mumbai",
            "state": "Maharashtra",
            "zip": "400050",
            "phone": "+91 98200 33445",
        },
    }
    warehouse = {
        "location_name": "Mumbai Warehouse",
        "address": {
            "attention": "Dispatch Desk",
            "address": "Gala 7",
            "city": "Bhiwandi",
            "state": "Maharashtra",
            "zip": "421302",
            "phone": "+91 22 2765 4321",
        },
    }
    body = returns.return_order(order, contact, warehouse, FlowSettings(), datetime(2026, 1, 5, 6, 0, tzinfo=UTC))
    assert body["order_id"] == "SO-00042-R" and body["order_date"] == "2026-01-05 11:30"
    assert (body["pickup_pincode"], body["pickup_phone"], body["pickup_email"]) == (
        "400050",
        "9820033445",
        "rohan@example.in",
    )
    assert (body["shipping_pincode"], body["shipping_phone"]) == ("421302", "2227654321")
    assert body["sub_total"] == Decimal("598.00") and body["payment_method"] == "PREPAID"
    with pytest.raises(Refused) as refused:
        returns.return_order(order, {**contact, "email": ""}, warehouse, FlowSettings(), datetime.now(UTC))
    assert refused.value.verdict.reason is Reason.INVALID_SOURCE_DATA and "email" in str(refused.value)


def test_a_return_needs_a_delivered_order() -> None:
    assert returns.was_delivered("Delivered", {}) and returns.was_delivered("delivered - awaiting remittance", {})
    assert not returns.was_delivered("In Transit", {}) and not returns.was_delivered(None, {})
    assert returns.was_delivered("Handed over", {"DELIVERED": "Handed over"})


SALESORDER: dict[str, Any] = {
    "salesorder_id": "11",
    "salesorder_number": "SO-00011",
    "customer_id": "7",
    "location_id": "L1",
    "shipping_charge": Decimal("49.0"),
    "adjustment": Decimal("0"),
    "line_items": [
        {
            "line_item_id": "101",
            "item_id": "I1",
            "name": "Kurta",
            "quantity": Decimal("2"),
            "rate": Decimal("799.0"),
            "tax_id": "T12",
            "quantity_packed": Decimal("1"),
            "quantity_shipped": Decimal("1"),
        },
        {
            "line_item_id": "102",
            "item_id": "I2",
            "name": "Mug",
            "quantity": Decimal("1"),
            "rate": Decimal("299"),
            "location_id": "L2",
            "quantity_packed": Decimal("1"),
            "quantity_shipped": Decimal("0"),
        },
    ],
}


def test_stock_lines_follow_what_was_packed_and_shipped() -> None:
    assert inventory.unpacked(SALESORDER) == [{"so_line_item_id": "101", "quantity": Decimal("1")}]
    assert inventory.shipped_stock(SALESORDER) == [
        {"item_id": "I1", "quantity_adjusted": Decimal("1"), "location_id": "L1"}
    ]
    assert inventory.shipped_stock({**SALESORDER, "line_items": [{"item_id": "I1", "quantity": 1}]}) == []


def test_invoice_and_credit_note_bodies_carry_the_order_exactly() -> None:
    body = books.invoice_body(SALESORDER, "AWB1", date(2026, 1, 5))
    assert body["reference_number"] == "SO-00011" and body["date"] == "2026-01-05"
    assert body["custom_fields"] == [{"api_name": "cf_awb_number", "value": "AWB1"}]
    assert body["shipping_charge"] == Decimal("49.00")
    assert [(line["salesorder_item_id"], line["rate"], line.get("tax_id")) for line in body["line_items"]] == [
        ("101", Decimal("799.00"), "T12"),
        ("102", Decimal("299.00"), None),
    ]
    invoice = {**body, "invoice_id": "55", "customer_id": "7"}
    note = books.creditnote_body(invoice, "RTO AWB1", date(2026, 1, 9))
    assert note["invoice_id"] == "55" and note["reference_number"] == "RTO AWB1"
    assert [(line["quantity"], line["rate"]) for line in note["line_items"]] == [
        (Decimal("2"), Decimal("799.00")),
        (Decimal("1"), Decimal("299.00")),
    ]
    assert note["shipping_charge"] == Decimal("49.00")
