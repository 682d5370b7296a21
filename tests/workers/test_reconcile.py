"""COD remittance reconciliation and what it posts, without I/O: a batch adds up to the paisa or is flagged with
the difference and the AWBs involved; the payments and the expense it becomes in Zoho Books."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from workers.calls import Refused
from workers.engine.outcomes import Reason
from workers.flows.reconcile import BatchInvalid, already_paid, amount, payable, reconcile
from workers.flows.remittance import AccountIds, account_ids, batch_record, expense_body, payment_body
from workers.flows.settings import BooksAccounts, SettingInvalid, parse


def line(awb: str, gross: str, freight: str, cod: str, net: str | None = None, **extra: Any) -> dict[str, Any]:
    deductions = Decimal(freight) + Decimal(cod)
    return {
        "awb": awb,
        "order_id": f"SO-{awb[-3:]}",
        "cod_amount": gross,
        "freight_charges": freight,
        "cod_charges": cod,
        "total_deductions": str(deductions),
        "net_amount": net if net is not None else str(Decimal(gross) - deductions),
        **extra,
    }


LINES = [line("SRTP001", "4998.00", "24.00", "74.97"), line("SRTP002", "1053.64", "61.00", "45.00")]
NETS = Decimal("4899.03") + Decimal("947.64")


def batch(remitted: Decimal = NETS, adjustment: str = "0", reason: str = "", **extra: Any) -> dict[str, Any]:
    adjusted = Decimal(adjustment)
    return {
        "crf_id": 10816241,
        "utr": "ICICN2026111400010816241",
        "created_at": 1794600586,
        "remitted_value": str(remitted),
        "cod_payble": str(NETS - adjusted),
        "deduction_value": str(Decimal("24.00") + Decimal("74.97") + Decimal("61.00") + Decimal("45.00") + adjusted),
        "adjustment_data": {
            "adjusted_amount": adjustment,
            "details": [{"reason": reason, "amount": adjustment}] if adjusted else [],
        },
        **extra,
    }


def test_a_batch_whose_nets_equal_the_bank_transfer_is_balanced() -> None:
    rec = reconcile(batch(), LINES)
    assert rec.balanced and rec.problems == () and rec.involved == ()
    assert rec.remittance_id == "10816241" and rec.remitted_on == date(2026, 11, 14)
    assert rec.nets == rec.bank_transfer == Decimal("5846.67")
    assert rec.gross - rec.deductions == rec.bank_transfer
    assert rec.summary()["difference"] == "0.00"


def test_remittance_short_by_one_rupee_fifty_is_flagged_with_all_its_awbs() -> None:
    rec = reconcile(batch(remitted=NETS - Decimal("1.50"), cod_payble=str(NETS)), LINES)
    assert not rec.balanced
    assert rec.difference == Decimal("-1.50")
    assert rec.involved == ("SRTP001", "SRTP002")
    assert rec.message.startswith("short by ₹1.50: bank transfer ₹5845.17, Σ nets ₹5846.67")
    assert "AWBs involved (all lines of the batch): SRTP001, SRTP002" in rec.message


def test_more_money_than_the_lines_promise_is_flagged_too() -> None:
    rec = reconcile(batch(remitted=NETS + Decimal("10")), LINES)
    assert rec.difference == Decimal("10.00") and rec.message.startswith("over by ₹10.00")
    assert "cod_payble ₹5846.67 ≠" not in rec.message  # Shiprocket's own figure agrees with its lines


def test_a_line_that_does_not_add_up_is_named_alone() -> None:
    wrong = [LINES[0], line("SRTP002", "1053.64", "61.00", "45.00", net="948.64")]
    rec = reconcile(batch(remitted=NETS + 1, cod_payble=str(NETS + 1)), wrong)
    assert not rec.balanced and rec.involved == ("SRTP002",)
    assert "AWB SRTP002: gross ₹1053.64 - deductions ₹106.00 ≠ net ₹948.64" in rec.message
    assert "lines that do not add up): SRTP002" in rec.message


def test_a_declared_adjustment_with_its_reason_is_not_a_mismatch() -> None:
    rec = reconcile(batch(remitted=NETS - Decimal("25.00"), adjustment="25.00", reason="Early COD charges"), LINES)
    assert rec.balanced, rec.problems
    assert rec.adjustment == Decimal("25.00")
    assert [(a.reason, a.amount) for a in rec.adjustments] == [("Early COD charges", Decimal("25.00"))]
    assert rec.deductions == Decimal("229.97") and rec.gross - rec.deductions == rec.bank_transfer


def test_an_adjustment_without_a_reason_is_flagged() -> None:
    raw = batch(remitted=NETS - Decimal("25.00"), adjustment="25.00")
    raw["adjustment_data"]["details"] = []
    rec = reconcile(raw, LINES)
    assert not rec.balanced and "no reason declared" in rec.message


def test_shiprocket_statement_disagreeing_with_its_lines_is_flagged_even_when_the_bank_matches() -> None:
    rec = reconcile(batch(deduction_value="200.00"), LINES)
    assert not rec.balanced and rec.difference == 0
    assert rec.message.startswith("does not add up (Shiprocket's deduction_value ₹200.00 ≠ ₹204.97 from its lines)")


def test_the_same_awb_twice_and_an_empty_batch_are_flagged() -> None:
    twice = reconcile(batch(remitted=NETS + Decimal("4899.03"), cod_payble=None), [*LINES, LINES[0]])
    assert "AWB listed twice: SRTP001" in twice.problems and twice.involved == ("SRTP001",)
    empty = reconcile(batch(remitted=Decimal(0), cod_payble=None, deduction_value=None), [])
    assert "the batch lists no AWB lines" in empty.problems


def test_amounts_are_decimals_to_the_paisa_whatever_their_json_form() -> None:
    assert amount(Decimal("4998"), "x") == Decimal("4998.00")
    assert amount("1.005", "x") == Decimal("1.01")
    assert amount(1053, "x") == Decimal("1053.00")
    numbers = json.loads(
        '{"awb": "SRTP001", "cod_amount": 4998.0, "freight_charges": 24, "cod_charges": 74.97, '
        '"total_deductions": 98.97, "net_amount": 4899.03}',
        parse_float=Decimal,
    )
    rec = reconcile(batch(remitted=Decimal("4899.03"), cod_payble=None, deduction_value=None), [numbers])
    assert rec.balanced and rec.lines[0].gross == Decimal("4998.00") and str(rec.lines[0].freight) == "24.00"


def test_unreadable_amounts_and_missing_awbs_are_named() -> None:
    with pytest.raises(BatchInvalid, match=r"line 2 \(AWB SRTP002\) net_amount: 'n/a' is not an amount"):
        reconcile(batch(), [LINES[0], {**LINES[1], "net_amount": "n/a"}])
    with pytest.raises(BatchInvalid, match="line 1: no awb"):
        reconcile(batch(), [{**LINES[0], "awb": ""}])
    with pytest.raises(BatchInvalid, match="remitted_value: missing"):
        reconcile({**batch(), "remitted_value": None}, LINES)


def invoice(balance: str, payments: list[dict[str, Any]] | None = None, status: str = "sent") -> dict[str, Any]:
    return {
        "invoice_id": "4600000070000000101",
        "invoice_number": "INV-000001",
        "customer_id": "4600000070000000039",
        "status": status,
        "balance": Decimal(balance),
        "payments": payments or [],
    }


def test_an_invoice_takes_the_gross_cod_only_if_its_balance_allows_or_it_was_already_paid() -> None:
    rec = reconcile(batch(), LINES)
    first = rec.lines[0]
    assert payable(invoice("4998.00"), first, "10816241") is None
    assert payable(invoice("100.00"), first, "10816241") == (
        "AWB SRTP001: COD collected ₹4998.00 exceeds the balance due ₹100.00 of invoice INV-000001"
    )
    paid = invoice("0.00", [{"payment_id": "77", "reference_number": "10816241", "amount": Decimal("4998.00")}])
    assert payable(paid, first, "10816241") is None and already_paid(paid, "10816241") == "77"
    assert already_paid(paid, "999") is None
    assert payable(invoice("4998.00", status="void"), first, "10816241") == "AWB SRTP001: invoice INV-000001 is void"


ACCOUNTS = AccountIds(clearing="C", courier_charges="F", cod_charges="K", adjustments="A")


def test_each_awb_is_one_payment_of_its_gross_cod_referenced_by_the_remittance() -> None:
    rec = reconcile(batch(), LINES)
    body = payment_body(rec.lines[0], invoice("4998.00"), rec, "C", date(2026, 11, 14))
    assert body["amount"] == Decimal("4998.00") and isinstance(body["amount"], Decimal)
    assert body["invoices"] == [{"invoice_id": "4600000070000000101", "amount_applied": Decimal("4998.00")}]
    assert body["reference_number"] == "10816241" and body["account_id"] == "C" and body["date"] == "2026-11-14"
    assert body["custom_fields"] == [{"api_name": "cf_cod_remittance_id", "value": "10816241"}]
    assert "AWB SRTP001" in body["description"] and "ICICN2026111400010816241" in body["description"]


def test_the_charges_are_one_itemised_expense_through_the_clearing_account() -> None:
    rec = reconcile(batch(remitted=NETS - Decimal("25.00"), adjustment="25.00", reason="Early COD charges"), LINES)
    body = expense_body(rec, ACCOUNTS, date(2026, 11, 14))
    assert body is not None
    assert body["amount"] == rec.deductions == Decimal("229.97")
    assert body["paid_through_account_id"] == "C" and body["reference_number"] == "10816241"
    by_account: dict[str, Decimal] = {}
    for entry in body["line_items"]:
        by_account[entry["account_id"]] = by_account.get(entry["account_id"], Decimal(0)) + entry["amount"]
    assert by_account == {"F": Decimal("85.00"), "K": Decimal("119.97"), "A": Decimal("25.00")}
    assert body["line_items"][-1]["description"] == "Shiprocket batch adjustment: Early COD charges"
    assert sum(rec_line.gross for rec_line in rec.lines) - body["amount"] == rec.bank_transfer


def test_a_batch_with_no_charges_posts_no_expense() -> None:
    free = [line("SRTP001", "4998.00", "0", "0")]
    rec = reconcile(batch(remitted=Decimal("4998.00"), cod_payble=None, deduction_value=None), free)
    assert rec.balanced and expense_body(rec, ACCOUNTS, date(2026, 11, 14)) is None


def test_a_batch_becomes_a_record_keyed_by_its_remittance_id_with_amounts_as_strings() -> None:
    raw = json.loads(json.dumps(batch()), parse_float=Decimal)
    raw["remitted_value_std"] = Decimal("5846.67")
    source, payload = batch_record(raw)
    assert source == "remittance:10816241"
    assert payload["remittance_id"] == "10816241" and payload["batch"]["remitted_value"] == "5846.67"
    assert "remitted_value_std" not in payload["batch"]
    json.dumps(payload)  # storable as JSON without a float anywhere


def test_books_accounts_come_from_settings_with_the_demo_chart_as_default() -> None:
    assert parse({}).books == BooksAccounts()
    custom = parse({"books": {"clearing_account": "COD Clearing", "adjustments_account": "Bank Fees and Charges"}})
    assert custom.books.clearing == "COD Clearing" and custom.books.cod_charges == "COD Charges"
    with pytest.raises(SettingInvalid, match=r"books\.clearing: unknown"):
        parse({"books": {"clearing": "x"}})
    with pytest.raises(SettingInvalid, match=r"books\.clearing_account: must be the name"):
        parse({"books": {"clearing_account": " "}})
    chart = {"shiprocket cod receivable": "1", "courier charges": "2", "cod charges": "3"}
    assert account_ids(chart, BooksAccounts()) == AccountIds("1", "2", "3", "3")
    with pytest.raises(Refused) as refused:
        account_ids(chart, custom.books)
    assert refused.value.verdict.reason is Reason.INVALID_SOURCE_DATA
    assert "'COD Clearing' (setting books.clearing_account)" in refused.value.verdict.message
