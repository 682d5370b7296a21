"""Shiprocket sandbox: COD remittance batches, the per-AWB extension, wallet balance, seeding."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from test_shiprocket_support import HTTP, Shiprocket


@pytest.fixture
def sr(sandboxes: Any) -> Shiprocket:
    return Shiprocket(sandboxes.fresh("shiprocket"))


def _delivered_cod(sr: Shiprocket, sub_total: int) -> dict[str, Any]:
    order = sr.shipped(payment_method="COD", sub_total=sub_total, shipping_charges=49)
    sr.advance(order["awb"], path="delivered").raise_for_status()
    return order


def test_demo_merchant_has_a_remittance_in_shiprockets_shape(sr: Shiprocket) -> None:
    body = sr.get("/account/details/remittance").json()
    assert body["meta"]["remitance_count"] == 1
    assert body["meta"]["pagination"]["total"] == 1
    item = body["data"][0]
    assert isinstance(item["crf_id"], int) and isinstance(item["created_at"], int) and item["utr"]
    for key in ("remitted_value", "deduction_value", "cod_payble", "recharge_value", "reversal_value"):
        assert Decimal(item[key]).as_tuple().exponent == -2, key
    assert item["status"] == "Remittance success" and item["account_type"] == "Prepaid"
    assert item["remittance_amount"][0]["currency"] == "\u20b9"


def test_delivered_cod_shipments_become_remittable_and_batches_add_up(sr: Shiprocket) -> None:
    a = _delivered_cod(sr, 1299)
    b = _delivered_cod(sr, 2450)
    prepaid = sr.shipped()
    sr.advance(prepaid["awb"], path="delivered").raise_for_status()
    pending = HTTP.get(f"{sr.admin}/remittances/remittable").json()["remittable"]
    awbs = {p["awb"] for p in pending}
    assert {a["awb"], b["awb"]} <= awbs and prepaid["awb"] not in awbs
    r = sr.admin_post("/remittances", {"awbs": [a["awb"], b["awb"]]})
    assert r.status_code == 201
    crf_id = r.json()["remittance"]["crf_id"]
    lines = sr.get(f"/account/details/remittance/{crf_id}/awbs").json()
    assert lines["meta"]["sandbox_extension"] is True
    by_awb = {line["awb"]: line for line in lines["data"]}
    assert Decimal(by_awb[a["awb"]]["cod_amount"]) == Decimal("1348.00")
    for line in lines["data"]:
        deducted = Decimal(line["freight_charges"]) + Decimal(line["cod_charges"])
        assert Decimal(line["total_deductions"]) == deducted > 0
        assert Decimal(line["net_amount"]) == Decimal(line["cod_amount"]) - deducted
    batch = next(x for x in sr.get("/account/details/remittance").json()["data"] if x["crf_id"] == crf_id)
    nets = sum(Decimal(line["net_amount"]) for line in lines["data"])
    assert Decimal(batch["cod_payble"]) == nets == Decimal(batch["remitted_value"])
    assert Decimal(batch["deduction_value"]) == sum(Decimal(x["total_deductions"]) for x in lines["data"])
    again = sr.admin_post("/remittances", {"awbs": [a["awb"]]})
    assert again.status_code == 400


def test_a_mismatched_batch_can_be_made_for_reconciliation_tests(sr: Shiprocket) -> None:
    order = _delivered_cod(sr, 999)
    r = sr.admin_post("/remittances", {"awbs": [order["awb"]], "mismatch": "-10.50", "utr": "UTRTEST0001"})
    remitted = r.json()["remittance"]
    assert remitted["utr"] == "UTRTEST0001"
    assert Decimal(remitted["remitted_value"]) == Decimal(remitted["cod_payble"]) - Decimal("10.50")
    lines = r.json()["data"]
    assert sum(Decimal(x["net_amount"]) for x in lines) == Decimal(remitted["cod_payble"])


def test_remittance_without_deductions_pays_gross(sr: Shiprocket) -> None:
    order = _delivered_cod(sr, 500)
    r = sr.admin_post("/remittances", {"awbs": [order["awb"]], "deductions": "none"}).json()
    assert r["remittance"]["cod_payble"] == "549.00" and r["remittance"]["deduction_value"] == "0.00"


def test_remittance_list_filters_by_date_and_pages(sr: Shiprocket) -> None:
    for days_ago in (3, 2):
        order = _delivered_cod(sr, 700 + days_ago)
        at = datetime(2025, 5, 5 - days_ago, 12, 0, tzinfo=UTC).isoformat()
        sr.admin_post("/remittances", {"awbs": [order["awb"]], "created_at": at}).raise_for_status()
    body = sr.get("/account/details/remittance", **{"from": "2025-May-01", "to": "2025-May-05"}).json()
    assert body["meta"]["remitance_count"] == 2 and len(body["data"]) == 2
    assert body["data"][0]["created_at"] > body["data"][1]["created_at"]
    paged = sr.get("/account/details/remittance", per_page=1, page=2).json()
    assert paged["meta"]["pagination"]["total_pages"] == 3 and len(paged["data"]) == 1
    bad = sr.get("/account/details/remittance", **{"from": "May first"})
    assert bad.status_code == 422 and "from" in bad.json()["errors"]
    assert sr.get("/account/details/remittance/1/awbs").status_code == 404


def test_wallet_balance_is_a_decimal_string_and_pays_for_awbs(sr: Shiprocket) -> None:
    sr.admin_post("/wallet", {"balance": "1000"}).raise_for_status()
    assert sr.get("/account/details/wallet-balance").json() == {"data": {"balance_amount": "1000.00"}}
    order = sr.create()
    data = sr.assign(order["shipment_id"]).json()["response"]["data"]
    quote = sr.get(
        "/courier/serviceability/", pickup_postcode="560001", delivery_postcode="110024", order_id=order["order_id"]
    ).json()["data"]["available_courier_companies"]
    rate = next(c["rate"] for c in quote if c["courier_company_id"] == data["courier_company_id"])
    left = Decimal(sr.get("/account/details/wallet-balance").json()["data"]["balance_amount"])
    assert left == Decimal("1000.00") - Decimal(str(rate))


def test_seed_spreads_orders_over_a_range(sr: Shiprocket) -> None:
    r = sr.admin_post(
        "/seed", {"orders": 12, "from": "2026-10-01T00:00:00+05:30", "to": "2026-10-31T00:00:00+05:30", "seed": 3}
    )
    assert r.status_code == 200 and r.json()["created"] == 12
    statuses = {o["status"] for o in r.json()["orders"]}
    assert {"NEW", "DELIVERED", "CANCELED"} <= statuses
    october = sr.get("/orders", **{"from": "2026-10-01", "to": "2026-10-31"}, per_page=50).json()
    assert october["meta"]["pagination"]["total"] == 12
    assert sr.admin_post("/seed", {"orders": 0}).status_code == 400


def test_batch_adjustment_is_deducted_once_and_itemised(sr: Shiprocket) -> None:
    a, b = _delivered_cod(sr, 1500), _delivered_cod(sr, 800)
    body = {"awbs": [a["awb"], b["awb"]], "adjustment": "25.00", "adjustment_reason": "Early COD charges"}
    r = sr.admin_post("/remittances", body).json()
    batch, meta = r["remittance"], r["meta"]
    nets = sum(Decimal(x["net_amount"]) for x in r["data"])
    assert Decimal(meta["net_amount"]) == nets and meta["batch_adjustment"] == "25.00"
    assert Decimal(batch["cod_payble"]) == nets - Decimal("25.00") == Decimal(batch["remitted_value"])
    line_deductions = sum(Decimal(x["total_deductions"]) for x in r["data"])
    assert Decimal(batch["deduction_value"]) == line_deductions + Decimal("25.00")
    assert batch["adjustment_data"] == {
        "adjusted_amount": 25,
        "details": [{"reason": "Early COD charges", "amount": "25.00"}],
    }
