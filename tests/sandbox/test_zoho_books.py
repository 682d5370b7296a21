"""Zoho Books v3 over real HTTP: contacts, invoices, payments, credit notes, journals, expenses,
chart of accounts, unique-custom-field upserts and the webhooks settings API."""

from __future__ import annotations

import re
from typing import Any

import httpx
from test_zoho_support import Zoho, first, fixtures

zoho, inventory, books, receiver = fixtures()


def account_id(api: httpx.Client, name: str) -> str:
    rows = api.get("/chartofaccounts", params={"per_page": 200}).json()["chartofaccounts"]
    return next(str(a["account_id"]) for a in rows if a["account_name"] == name)


def new_invoice(
    api: httpx.Client, customer_id: str, rate: float = 1000, quantity: int = 1, **extra: Any
) -> dict[str, Any]:
    r = api.post(
        "/invoices",
        json={
            "customer_id": customer_id,
            "date": "2026-11-20",
            "line_items": [{"name": "Consulting hours", "rate": rate, "quantity": quantity}],
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    invoice: dict[str, Any] = r.json()["invoice"]
    return invoice


def test_contacts_search_by_email_and_type(books: httpx.Client) -> None:
    hits = books.get("/contacts", params={"email": "priya.nair@example.in"}).json()["contacts"]
    assert [h["contact_name"] for h in hits] == ["Priya Nair"]
    vendors = books.get("/contacts", params={"contact_type": "vendor"}).json()["contacts"]
    assert [v["contact_name"] for v in vendors] == ["Jaipur Handicrafts Supplies"]
    r = books.post(
        "/contacts",
        json={
            "contact_name": "Meera Kapoor",
            "email": "meera@example.in",
            "billing_address": {"city": "Pune", "zip": "411001", "state": "Maharashtra"},
        },
    )
    assert r.status_code == 201 and r.json()["contact"]["contact_type"] == "customer"
    dup = books.post("/contacts", json={"contact_name": "Meera Kapoor"})
    assert dup.status_code == 400 and dup.json()["code"] == 1001
    bad = books.post("/contacts", json={"contact_name": "X", "contact_type": "alien"})
    assert bad.status_code == 400


def test_invoice_payment_updates_balance_and_status(books: httpx.Client) -> None:
    cust = first(books, "/contacts", "contacts", contact_name="Rohan Mehta")
    invoice = new_invoice(books, cust["contact_id"], rate=1000, quantity=2)
    assert re.fullmatch(r"INV-\d{6}", invoice["invoice_number"])
    assert invoice["status"] == "draft" and invoice["balance"] == 2000 and invoice["total"] == 2000
    assert books.post(f"/invoices/{invoice['invoice_id']}/status/sent").json()["code"] == 0
    r = books.post(
        "/customerpayments",
        json={
            "customer_id": cust["contact_id"],
            "payment_mode": "bank transfer",
            "amount": 1500,
            "date": "2026-11-21",
            "invoices": [{"invoice_id": invoice["invoice_id"], "amount_applied": 1500}],
        },
    )
    assert r.status_code == 201, r.text
    payment = r.json()["payment"]
    assert payment["unused_amount"] == 0
    partial = books.get(f"/invoices/{invoice['invoice_id']}").json()["invoice"]
    assert partial["status"] == "partially_paid" and partial["balance"] == 500
    over = books.post(
        "/customerpayments",
        json={
            "customer_id": cust["contact_id"],
            "amount": 600,
            "invoices": [{"invoice_id": invoice["invoice_id"], "amount_applied": 600}],
        },
    )
    assert over.status_code == 400
    books.post(
        "/customerpayments",
        json={
            "customer_id": cust["contact_id"],
            "amount": 500,
            "invoices": [{"invoice_id": invoice["invoice_id"], "amount_applied": 500}],
        },
    )
    paid = books.get(f"/invoices/{invoice['invoice_id']}").json()["invoice"]
    assert paid["status"] == "paid" and paid["balance"] == 0 and len(paid["payments"]) == 2
    assert books.post(f"/invoices/{invoice['invoice_id']}/status/void").status_code == 400
    assert books.delete(f"/customerpayments/{payment['payment_id']}").json()["code"] == 0
    assert books.get(f"/invoices/{invoice['invoice_id']}").json()["invoice"]["status"] == "partially_paid"
    listed = books.get("/invoices", params={"filter_by": "Status.PartiallyPaid"}).json()["invoices"]
    assert [i["invoice_id"] for i in listed] == [invoice["invoice_id"]]


def test_credit_note_against_invoice_applies_and_refunds(books: httpx.Client) -> None:
    cust = first(books, "/contacts", "contacts", contact_name="Ananya Iyer")
    invoice = new_invoice(books, cust["contact_id"], rate=2499)
    r = books.post(
        "/creditnotes",
        params={"invoice_id": invoice["invoice_id"]},
        json={
            "customer_id": cust["contact_id"],
            "date": "2026-11-22",
            "line_items": [{"name": "RTO return", "rate": 1000, "quantity": 1}],
        },
    )
    assert r.status_code == 201, r.text
    note = r.json()["creditnote"]
    assert note["status"] == "open" and note["balance"] == 1000 and note["invoice_id"] == invoice["invoice_id"]
    applied = books.post(
        f"/creditnotes/{note['creditnote_id']}/invoices",
        json={"invoices": [{"invoice_id": invoice["invoice_id"], "amount_applied": 600}]},
    )
    assert applied.status_code == 200 and applied.json()["apply_to_invoices"]["invoices"][0]["amount_applied"] == 600
    after = books.get(f"/invoices/{invoice['invoice_id']}").json()["invoice"]
    assert after["balance"] == 1899 and after["credits_applied"] == 600 and after["status"] == "partially_paid"
    too_much = books.post(f"/creditnotes/{note['creditnote_id']}/refunds", json={"amount": 500, "date": "2026-11-23"})
    assert too_much.status_code == 400
    refund = books.post(
        f"/creditnotes/{note['creditnote_id']}/refunds",
        json={"amount": 400, "date": "2026-11-23", "refund_mode": "cash"},
    )
    assert refund.status_code == 201
    closed = books.get(f"/creditnotes/{note['creditnote_id']}").json()["creditnote"]
    assert closed["balance"] == 0 and closed["status"] == "closed"
    assert books.delete(f"/creditnotes/{note['creditnote_id']}").status_code == 400


def test_journal_debits_must_equal_credits(books: httpx.Client) -> None:
    bank, receivable = account_id(books, "HDFC Bank Current Account"), account_id(books, "Shiprocket COD Receivable")
    fees = account_id(books, "COD Charges")
    lines = [
        {"account_id": bank, "debit_or_credit": "debit", "amount": 9500},
        {"account_id": fees, "debit_or_credit": "debit", "amount": 500},
        {"account_id": receivable, "debit_or_credit": "credit", "amount": 10000},
    ]
    r = books.post(
        "/journals",
        json={
            "journal_date": "2026-11-23",
            "reference_number": "REM-001",
            "notes": "COD remittance",
            "line_items": lines,
        },
    )
    assert r.status_code == 201, r.text
    journal = r.json()["journal"]
    assert journal["total"] == 10000 and journal["line_items"][0]["account_name"] == "HDFC Bank Current Account"
    unbalanced = books.post(
        "/journals", json={"journal_date": "2026-11-23", "line_items": [{**lines[0]}, {**lines[2], "amount": 9000}]}
    )
    assert unbalanced.status_code == 400 and "debits" in unbalanced.json()["message"]
    unknown = books.post(
        "/journals",
        json={
            "journal_date": "2026-11-23",
            "line_items": [{"account_id": "123", "debit_or_credit": "debit", "amount": 1}, {**lines[2], "amount": 1}],
        },
    )
    assert unknown.status_code == 400 and "account_id" in unknown.json()["message"]
    assert [j["journal_id"] for j in books.get("/journals").json()["journals"]] == [journal["journal_id"]]


def test_expense_against_chart_of_accounts(books: httpx.Client) -> None:
    courier, bank = account_id(books, "Courier Charges"), account_id(books, "HDFC Bank Current Account")
    r = books.post(
        "/expenses",
        json={
            "account_id": courier,
            "paid_through_account_id": bank,
            "date": "2026-11-23",
            "amount": 1234.5,
            "reference_number": "SR-INV-77",
            "description": "Freight",
        },
    )
    assert r.status_code == 201, r.text
    expense = r.json()["expense"]
    assert expense["account_name"] == "Courier Charges" and expense["total"] == 1234.5
    assert books.post("/expenses", json={"account_id": "1", "amount": 10}).status_code == 400
    accounts = books.get("/chartofaccounts", params={"account_type": "expense"}).json()["chartofaccounts"]
    assert {"Courier Charges", "COD Charges"} <= {a["account_name"] for a in accounts}


def test_upsert_invoice_by_unique_custom_field(books: httpx.Client) -> None:
    cust = first(books, "/contacts", "contacts", contact_name="Vikram Singh")
    headers = {"X-Unique-Identifier-Key": "cf_channel_order_id", "X-Unique-Identifier-Value": "SS-90001"}
    body = {"customer_id": cust["contact_id"], "line_items": [{"name": "Order SS-90001", "rate": 750}]}
    missing = books.put("/invoices", json=body, headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == 1002
    created = books.put("/invoices", json=body, headers={**headers, "X-Upsert": "true"})
    assert created.status_code == 201, created.text
    invoice = created.json()["invoice"]
    assert invoice["custom_field_hash"]["cf_channel_order_id"] == "SS-90001"
    updated = books.put("/invoices", json={"reference_number": "SS-90001-R"}, headers={**headers, "X-Upsert": "true"})
    assert updated.status_code == 200 and updated.json()["invoice"]["invoice_id"] == invoice["invoice_id"]
    assert updated.json()["invoice"]["reference_number"] == "SS-90001-R"
    clash = books.post(
        "/invoices", json={**body, "custom_fields": [{"api_name": "cf_channel_order_id", "value": "SS-90001"}]}
    )
    assert clash.status_code == 400 and clash.json()["code"] == 1001
    not_unique = books.put(
        "/invoices", json=body, headers={"X-Unique-Identifier-Key": "cf_awb_number", "X-Unique-Identifier-Value": "x"}
    )
    assert not_unique.status_code == 400


def test_upsert_contact_by_unique_custom_field(books: httpx.Client) -> None:
    headers = {
        "X-Unique-Identifier-Key": "cf_external_customer_id",
        "X-Unique-Identifier-Value": "CUST-1001",
        "X-Upsert": "true",
    }
    r = books.put("/contacts", json={"contact_name": "Aarav Sharma", "phone": "+91 90000 00000"}, headers=headers)
    assert r.status_code == 200 and r.json()["contact"]["phone"] == "+91 90000 00000"
    fresh = books.put(
        "/contacts", json={"contact_name": "Kabir Rao"}, headers={**headers, "X-Unique-Identifier-Value": "CUST-9"}
    )
    assert fresh.status_code == 201 and fresh.json()["contact"]["contact_name"] == "Kabir Rao"


def test_webhook_settings_api_validates_and_lists(books: httpx.Client) -> None:
    bad = books.post("/settings/webhooks", json={"url": "https://hooks.example.in/zoho", "secret": "short"})
    assert bad.status_code == 400
    r = books.post(
        "/settings/webhooks",
        json={
            "webhook_name": "Invoices",
            "entity": "invoice",
            "url": "https://hooks.example.in/zoho",
            "events": ["created"],
        },
    )
    assert r.status_code == 201
    hook = r.json()["webhook"]
    listed = books.get("/settings/webhooks").json()["webhooks"]
    assert [h["webhook_id"] for h in listed] == [hook["webhook_id"]]
    assert books.delete(f"/settings/webhooks/{hook['webhook_id']}").json()["code"] == 0
    assert books.get("/settings/webhooks").json()["webhooks"] == []


def test_books_does_not_serve_inventory_only_modules(books: httpx.Client, zoho: Zoho) -> None:
    r = books.get("/packages")
    assert r.status_code == 404 and r.json()["code"] == 5
    with zoho.api("inventory") as inventory:
        assert inventory.get("/journals").status_code == 404


def test_invoice_from_sales_order_lines_raises_quantity_invoiced(zoho: Zoho, books: httpx.Client) -> None:
    so = books.get("/salesorders", params={"filter_by": "Status.Confirmed"}).json()["salesorders"][0]
    full = books.get(f"/salesorders/{so['salesorder_id']}").json()["salesorder"]
    lines = [
        {"item_id": li["item_id"], "quantity": li["quantity"], "salesorder_item_id": li["line_item_id"]}
        for li in full["line_items"]
    ]
    r = books.post(
        "/invoices",
        json={"customer_id": full["customer_id"], "reference_number": full["salesorder_number"], "line_items": lines},
    )
    assert r.status_code == 201, r.text
    after = books.get(f"/salesorders/{so['salesorder_id']}").json()["salesorder"]
    assert after["invoiced_status"] == "invoiced"
    assert after["invoices"][0]["invoice_id"] == r.json()["invoice"]["invoice_id"]


def test_invoice_created_reaches_invoice_webhooks_only(zoho: Zoho, books: httpx.Client, receiver: Any) -> None:
    books.post("/settings/webhooks", json={"entity": "invoice", "url": receiver.url, "events": ["created"]})
    books.post(
        "/settings/webhooks", json={"entity": "contact", "url": receiver.url + "/contacts", "events": ["deleted"]}
    )
    cust = first(books, "/contacts", "contacts", contact_name="Priya Nair")
    invoice = new_invoice(books, cust["contact_id"])
    (got,) = receiver.wait_for(lambda r: len(r) >= 1)
    assert got.path == "/hooks/zoho" and got.json()["invoice"]["invoice_id"] == invoice["invoice_id"]
    assert "x-zoho-webhook-signature" not in got.headers
