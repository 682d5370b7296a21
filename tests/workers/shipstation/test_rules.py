"""The pure rules of the ShipStation → Zoho Books flow: Pacific wall times, invoice and journal bodies, money to
the cent, foreign currency, tracking fields, routing, settings and the poll's windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from workers.flows import shipstation_books as flow
from workers.flows import shipstation_data as data
from workers.flows.settings import SettingInvalid, parse
from workers.schedule import next_window


def order(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "orderId": 101,
        "orderKey": "k-101",
        "orderNumber": "A-101",
        "orderStatus": "awaiting_shipment",
        "orderDate": "2026-03-08T01:59:00.0000000",
        "modifyDate": "2026-03-08T03:01:00.0000000",
        "customerEmail": "Ada@Example.com",
        "billTo": {"name": "Ada Lovelace"},
        "items": [
            {"sku": "MUG", "name": "Mug ☕", "quantity": 3, "unitPrice": Decimal("14.99")},
            {"sku": "DISC", "name": "Discount", "quantity": 1, "unitPrice": Decimal("-5.00")},
            {"sku": "GONE", "name": "Removed", "quantity": 0, "unitPrice": Decimal("9.00")},
        ],
        "taxAmount": Decimal("3.21"),
        "shippingAmount": Decimal("4.50"),
        "orderTotal": Decimal("47.68"),
    }
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("wall", "after", "utc"),
    [
        ("2026-03-08T01:59:00.0000000", None, "2026-03-08T09:59:00+00:00"),  # PST
        ("2026-03-08T03:01:00.0000000", None, "2026-03-08T10:01:00+00:00"),  # PDT
        ("2026-03-08T02:30:00", None, "2026-03-08T10:30:00+00:00"),  # never happened: read as PST, as ShipStation does
        ("2026-11-01T01:20:00.0000000", None, "2026-11-01T08:20:00+00:00"),  # twice: the first (PDT) by default
        ("2026-11-01T01:20:00.0000000", "2026-11-01T08:40:00+00:00", "2026-11-01T09:20:00+00:00"),  # after 01:40 PDT
        ("2026-11-01T01:50:00.0000000", "2026-11-01T08:40:00+00:00", "2026-11-01T08:50:00+00:00"),  # still PDT
        ("2026-07-01T12:00:00.1234567", None, "2026-07-01T19:00:00.123456+00:00"),
    ],
)
def test_pacific_wall_times_become_utc_instants(wall: str, after: str | None, utc: str) -> None:
    before = datetime.fromisoformat(after) if after else None
    assert data.from_pacific(wall, after=before) == datetime.fromisoformat(utc)


def test_a_filter_bound_goes_back_to_pacific_wall_time() -> None:
    assert data.to_pacific(datetime(2026, 11, 1, 9, 20, tzinfo=UTC)) == "2026-11-01 01:20:00"
    assert data.to_pacific(datetime(2026, 7, 1, 19, 0, tzinfo=UTC)) == "2026-07-01 12:00:00"


def test_bad_dates_and_amounts_say_where() -> None:
    with pytest.raises(data.Unbookable, match="order 101: modifyDate: 'yesterday'"):
        data.parse_order(order(modifyDate="yesterday"))
    with pytest.raises(data.Unbookable, match=r"order 101: items\[1\]"):
        data.parse_order(order(items=[{"quantity": 1, "unitPrice": "lots"}]))
    with pytest.raises(data.Unbookable, match="orderId: missing"):
        data.parse_order({"orderNumber": "x"})


def test_the_invoice_totals_the_order_to_the_cent_with_tax_and_discounts_in_the_adjustment() -> None:
    parsed = data.parse_order(order())
    assert parsed.email == "ada@example.com" and parsed.source == "shipstation_order:101@2026-03-08T10:01:00.000000Z"
    body = data.invoice_body(parsed, "C1", Decimal(1), "USD")
    lines = sum(li["rate"] * li["quantity"] for li in body["line_items"])
    assert [li["name"] for li in body["line_items"]] == ["Mug ☕"]  # the discount folded, the empty line dropped
    assert lines + body["shipping_charge"] + body["adjustment"] == Decimal("47.68")
    assert body["adjustment"] == Decimal("-1.79")  # 3.21 tax, 5.00 discount
    assert body["date"] == "2026-03-08" and body["reference_number"] == "A-101"
    assert body["custom_fields"] == [{"api_name": "cf_channel_order_id", "value": "shipstation:k-101"}]
    assert "tax and discounts" in body["adjustment_description"]


def test_a_foreign_order_converts_at_the_documented_rate_or_is_refused_by_name() -> None:
    parsed = data.parse_order(order(advancedOptions={"customField1": "currency:gbp"}))
    assert parsed.currency == "GBP"
    rate = data.rate_for(parsed, "USD", {"GBP": Decimal("1.2731")})
    body = data.invoice_body(parsed, "C1", rate, "USD")
    total = sum(li["rate"] * li["quantity"] for li in body["line_items"]) + body["shipping_charge"] + body["adjustment"]
    assert total == (Decimal("47.68") * Decimal("1.2731")).quantize(Decimal("0.01"))
    assert "Converted from GBP 47.68 at 1.2731 USD per GBP" in body["notes"]
    with pytest.raises(data.Unbookable, match="in GBP and the books are in USD; no exchange rate for GBP"):
        data.rate_for(parsed, "USD", {})


def test_nothing_to_invoice_is_said_plainly() -> None:
    with pytest.raises(data.Unbookable, match="has no line with a quantity"):
        data.invoice_body(data.parse_order(order(items=[])), "C1", Decimal(1), "USD")


def shipment(**changes: Any) -> dict[str, Any]:
    raw = {
        "shipmentId": 77,
        "orderId": 101,
        "orderKey": "k-101",
        "orderNumber": "A-101",
        "createDate": "2026-03-08T16:00:00.0000000",
        "shipDate": "2026-03-08",
        "shipmentCost": Decimal("8.45"),
        "insuranceCost": Decimal("1.10"),
        "trackingNumber": "1Z999",
        "carrierCode": "ups",
        "voided": False,
        "voidDate": None,
    }
    raw.update(changes)
    return raw


def test_a_label_is_a_balanced_journal_entry_and_its_void_the_reverse() -> None:
    accounts = data.ShippingAccounts(expense="E", paid_through="P")
    ship = data.parse_shipment(shipment())
    entry = data.journal_body(ship, accounts)
    assert entry["reference_number"] == "SS-SHIP-77" and entry["journal_date"] == "2026-03-08"
    assert [(li["account_id"], li["debit_or_credit"], li["amount"]) for li in entry["line_items"]] == [
        ("E", "debit", Decimal("9.55")),
        ("P", "credit", Decimal("9.55")),
    ]
    voided = data.parse_shipment(shipment(voided=True, voidDate="2026-03-10T09:00:00.0000000"))
    undo = data.journal_body(voided, accounts, reverse=True)
    assert undo["reference_number"] == "SS-VOID-77" and undo["journal_date"] == "2026-03-10"
    assert [(li["account_id"], li["debit_or_credit"]) for li in undo["line_items"]] == [("P", "debit"), ("E", "credit")]


def test_tracking_fields_change_only_when_needed_and_a_void_clears_only_its_own_label() -> None:
    ship = data.parse_shipment(shipment())
    assert data.tracking_fields({}, ship) == [
        {"api_name": "cf_awb_number", "value": "1Z999"},
        {"api_name": "cf_courier_partner", "value": "ups"},
    ]
    assert data.tracking_fields({"cf_awb_number": "1Z999", "cf_courier_partner": "ups"}, ship) is None
    assert data.tracking_fields({"cf_awb_number": "OTHER"}, ship, voided=True) is None
    assert data.tracking_fields({"cf_awb_number": "1Z999"}, ship, voided=True) == [
        {"api_name": "cf_awb_number", "value": ""},
        {"api_name": "cf_courier_partner", "value": ""},
    ]


def test_webhook_bodies_route_to_their_records() -> None:
    pointer = {"resource_url": "https://ssapi.shipstation.com/orders?importBatch=g1", "resource_type": "ORDER_NOTIFY"}
    assert flow.route("shipstation", pointer) == [
        ("shipstation_resource:ORDER_NOTIFY:https://ssapi.shipstation.com/orders?importBatch=g1", pointer)
    ]
    long = {**pointer, "resource_url": "https://ssapi.shipstation.com/orders?x=" + "y" * 300}
    assert len(flow.route("shipstation", long)[0][0]) <= 200
    assert flow.route("zoho", {"contact": {"contact_id": "9", "email": "a@b.c"}})[0][0] == "books_contact:9"
    assert flow.route("zoho", {"salesorder": {"salesorder_id": "1"}}) == []
    assert flow.route("shipstation", {"resource_url": ""}) == []
    voided = flow.shipment_routed(shipment(voided=True))
    assert [source for source, _ in voided] == ["shipstation_shipment:77", "shipstation_void:77"]
    assert voided[0][1]["shipment"]["shipmentCost"] == "8.45"  # kept as text in the payload, never a float


def test_settings_refuse_bad_values_by_name() -> None:
    parsed = parse({"shipstation_books": {"exchange_rates": {"gbp": "1.27"}, "poll_seconds": 60}})
    assert parsed.shipstation_books.exchange_rates == {"GBP": Decimal("1.27")}
    for bad, where in (
        ({"exchange_rates": {"GBP": "-1"}}, "shipstation_books.exchange_rates.GBP"),
        ({"exchange_rates": {"POUNDS": "1"}}, "shipstation_books.exchange_rates"),
        ({"books_currency": "dollars"}, "shipstation_books.books_currency"),
        ({"poll_seconds": -5}, "shipstation_books.poll_seconds"),
        ({"shipping_expense_account": ""}, "shipstation_books.shipping_expense_account"),
        ({"colour": "blue"}, "shipstation_books.colour"),
    ):
        with pytest.raises(SettingInvalid, match=where.replace(".", r"\.")):
            parse({"shipstation_books": bad})


def test_the_poll_reaches_back_its_overlap_and_waits_its_interval() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert next_window(None, False, 300, 3600, now) == (now - timedelta(hours=1), now)
    last = now - timedelta(seconds=200)
    assert next_window(last, False, 300, 3600, now) is None  # not yet
    later = now + timedelta(seconds=100)
    assert next_window(last, False, 300, 3600, later) == (last - timedelta(hours=1), later)
    assert next_window(last, True, 300, 3600, later) is None  # the last one still discovering
    assert next_window(last, False, 0, 3600, later) is None  # polling off
