"""Zoho Books for a shipped sales order: its invoice (found by AWB — links first, then the invoice's
``cf_awb_number`` — and raised at most once per order), the payment of a prepaid order, and credit notes.

    active_accounts(zoho)                          the chart of accounts: name → id of each active account
    find_invoice_by_awb(zoho, awb)                 the invoice whose cf_awb_number is the AWB, or None
    invoice_for(ctx, zoho, awb)                    the same through the links table first, in full
    ensure_invoice(ctx, zoho, salesorder, awb, on)  the order's invoice, raised from its lines if need be, sent
    pay_prepaid(ctx, zoho, invoice, reference, on)  the customer's up-front payment applied to what is due
    credit_invoice(ctx, zoho, invoice, ...)         a credit note for the invoice, applied to it or left open

Every create is claimed in the effect ledger (``books:invoice:{salesorder_id}``,
``books:payment:prepaid:{invoice_id}``, ``books:creditnote:<why>:{salesorder_id}``,
``books:creditnote:apply:{creditnote_id}``) and looked up in Books when an earlier answer was lost.
Amounts are Decimal, parsed from Zoho's JSON numbers without passing through float.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tenants.db import tenant_session
from tenants.models import Link
from workers.calls import Api
from workers.engine.links import Kind
from workers.flows.context import FlowContext
from workers.flows.effects import once
from workers.flows.fulfilment import custom_field, decimal_json

BOOKS = "/books/v3"
PREPAID_PAYMENT_MODE = "banktransfer"
"""How a prepaid order's money arrived (the payment gateway's settlement to the bank)."""
ZERO = Decimal(0)


def money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


async def active_accounts(zoho: Api) -> dict[str, str]:
    """The Books chart of accounts: lower-cased name → id of every active account."""
    chart: dict[str, str] = {}
    page, more = 1, True
    while more:
        answer = (await zoho.call("GET", f"{BOOKS}/chartofaccounts", params={"page": page, "per_page": 200})).json()
        for account in answer.get("chartofaccounts") or []:
            if account.get("is_active") is not False and account.get("status") != "inactive":
                chart.setdefault(str(account["account_name"]).strip().lower(), str(account["account_id"]))
        more, page = bool((answer.get("page_context") or {}).get("has_more_page")), page + 1
    return chart


async def find_invoice_by_awb(zoho: Api, awb: str) -> dict[str, Any] | None:
    """The Books invoice whose ``cf_awb_number`` is ``awb`` (a list row: no line items), or None."""
    answer = decimal_json((await zoho.call("GET", f"{BOOKS}/invoices", params={"cf_awb_number": awb})).text)
    for invoice in answer.get("invoices") or []:
        if str(invoice.get("cf_awb_number") or "") == awb and invoice.get("status") != "void":
            return dict(invoice)
    return None


async def linked_invoice_id(ctx: FlowContext, awb: str) -> str | None:
    """The invoice linked to the AWB (Kind.AWB ↔ Kind.BOOKS_INVOICE) in the links table, if any."""
    async with tenant_session(ctx.services.sessions, ctx.tenant_id) as session:
        rows = (
            await session.execute(
                select(Link.kind_a, Link.ref_a, Link.kind_b, Link.ref_b).where(
                    ((Link.kind_a == Kind.AWB) & (Link.ref_a == awb) & (Link.kind_b == Kind.BOOKS_INVOICE))
                    | ((Link.kind_b == Kind.AWB) & (Link.ref_b == awb) & (Link.kind_a == Kind.BOOKS_INVOICE))
                )
            )
        ).all()
    for kind_a, ref_a, _, ref_b in rows:
        return str(ref_a if kind_a == Kind.BOOKS_INVOICE else ref_b)
    return None


async def get_invoice(zoho: Api, invoice_id: str) -> dict[str, Any]:
    return dict(decimal_json((await zoho.call("GET", f"{BOOKS}/invoices/{invoice_id}")).text)["invoice"])


async def invoice_for(ctx: FlowContext, zoho: Api, awb: str) -> dict[str, Any] | None:
    """The order's invoice by its AWB — links, then Books — in full, or None when none was raised."""
    invoice_id = await linked_invoice_id(ctx, awb)
    if invoice_id is None:
        row = await find_invoice_by_awb(zoho, awb)
        invoice_id = str(row["invoice_id"]) if row else None
    return await get_invoice(zoho, invoice_id) if invoice_id else None


def invoice_body(salesorder: Mapping[str, Any], awb: str, on: date) -> dict[str, Any]:
    """A Books invoice for the whole sales order, its lines tied to the order's (pure)."""
    lines = []
    for line in salesorder.get("line_items") or ():
        entry: dict[str, Any] = {
            "name": line.get("name"),
            "quantity": Decimal(str(line["quantity"])),
            "rate": money(line.get("rate")),
            "salesorder_item_id": str(line["line_item_id"]),
        }
        for key in ("item_id", "tax_id", "description", "hsn_or_sac"):
            if line.get(key) not in (None, ""):
                entry[key] = str(line[key])
        if line.get("discount"):
            entry["discount"] = line["discount"]
        lines.append(entry)
    return {
        "customer_id": str(salesorder["customer_id"]),
        "date": on.isoformat(),
        "reference_number": str(salesorder["salesorder_number"]),
        "line_items": lines,
        "shipping_charge": money(salesorder.get("shipping_charge")),
        "adjustment": money(salesorder.get("adjustment")),
        "custom_fields": [{"api_name": "cf_awb_number", "value": awb}],
        "notes": f"Shipped with AWB {awb}",
    }


def creditnote_body(invoice: Mapping[str, Any], reference: str, on: date) -> dict[str, Any]:
    """A credit note for everything on the invoice (pure)."""
    lines = []
    for line in invoice.get("line_items") or ():
        entry: dict[str, Any] = {
            "name": line.get("name"),
            "quantity": Decimal(str(line["quantity"])),
            "rate": money(line.get("rate")),
        }
        for key in ("item_id", "tax_id", "description"):
            if line.get(key) not in (None, ""):
                entry[key] = str(line[key])
        if line.get("discount"):
            entry["discount"] = line["discount"]
        lines.append(entry)
    return {
        "customer_id": str(invoice["customer_id"]),
        "invoice_id": str(invoice["invoice_id"]),
        "date": on.isoformat(),
        "reference_number": reference,
        "line_items": lines,
        "shipping_charge": money(invoice.get("shipping_charge")),
        "adjustment": money(invoice.get("adjustment")),
    }


def _raised_already(salesorder: Mapping[str, Any]) -> str | None:
    """An invoice someone already raised for the sales order (Zoho lists it on the order)."""
    for entry in salesorder.get("invoices") or ():
        if entry.get("status") != "void":
            return str(entry["invoice_id"])
    return None


async def ensure_invoice(
    ctx: FlowContext, zoho: Api, salesorder: Mapping[str, Any], awb: str, on: date
) -> dict[str, str]:
    """The sales order's invoice (``invoice_id``, ``invoice_number``), sent and carrying the AWB: the one already
    raised for the order, else a new one from its lines (reference_number = the order number, cf_awb_number =
    the AWB). Once it is ready the ledger says so, and later asks cost no call."""
    so_id = str(salesorder["salesorder_id"])
    key = f"books:invoice:{so_id}"

    async def raised() -> dict[str, Any] | None:
        row = await find_invoice_by_awb(zoho, awb)
        found = str(row["invoice_id"]) if row else _raised_already(salesorder)
        return {"invoice_id": found} if found else None

    async def raise_it() -> dict[str, Any]:
        existing = _raised_already(salesorder)
        if existing:
            return {"invoice_id": existing}
        body = invoice_body(salesorder, awb, on)
        made = decimal_json((await zoho.call("POST", f"{BOOKS}/invoices", json=body, idempotent=False)).text)
        return {"invoice_id": str(made["invoice"]["invoice_id"])}

    result = await once(ctx, key, raised, raise_it)
    if not result.get("ready"):
        invoice_id = str(result["invoice_id"])
        invoice = await get_invoice(zoho, invoice_id)
        if custom_field(invoice, "cf_awb_number") != awb:  # raised by other hands: tag it so it is found by AWB
            body = {"custom_fields": [{"api_name": "cf_awb_number", "value": awb}]}
            await zoho.call("PUT", f"{BOOKS}/invoices/{invoice_id}", json=body)
        if invoice.get("status") == "draft":
            await zoho.call("POST", f"{BOOKS}/invoices/{invoice_id}/status/sent")
        await ctx.link((Kind.AWB, awb), (Kind.BOOKS_INVOICE, invoice_id))
        result = {"invoice_id": invoice_id, "invoice_number": str(invoice["invoice_number"]), "ready": True}
        await ctx.complete(key, result)
    return {"invoice_id": str(result["invoice_id"]), "invoice_number": str(result["invoice_number"])}


async def pay_prepaid(
    ctx: FlowContext, zoho: Api, invoice: Mapping[str, Any], reference: str, on: date
) -> dict[str, Any] | None:
    """The prepaid customer's money applied to what the invoice still asks (None when nothing is due)."""
    invoice_id = str(invoice["invoice_id"])
    due = money(invoice.get("balance"))
    if due <= ZERO:
        return None

    async def paid() -> dict[str, Any] | None:
        fresh = await get_invoice(zoho, invoice_id)
        for payment in fresh.get("payments") or ():
            if payment.get("reference_number") == reference:
                return {"payment_id": str(payment["payment_id"]), "amount": str(money(payment.get("amount")))}
        return None

    async def pay() -> dict[str, Any]:
        body = {
            "customer_id": str(invoice["customer_id"]),
            "payment_mode": PREPAID_PAYMENT_MODE,
            "amount": due,
            "date": on.isoformat(),
            "reference_number": reference,
            "description": f"Paid up front for {invoice.get('reference_number') or invoice['invoice_number']}",
            "invoices": [{"invoice_id": invoice_id, "amount_applied": due}],
        }
        made = decimal_json((await zoho.call("POST", f"{BOOKS}/customerpayments", json=body, idempotent=False)).text)
        return {"payment_id": str(made["payment"]["payment_id"]), "amount": str(due)}

    return await once(ctx, f"books:payment:prepaid:{invoice_id}", paid, pay)


def _note(creditnote: Mapping[str, Any]) -> dict[str, str]:
    return {
        "creditnote_id": str(creditnote["creditnote_id"]),
        "creditnote_number": str(creditnote.get("creditnote_number") or ""),
        "total": str(money(creditnote.get("total"))),
    }


async def credit_invoice(
    ctx: FlowContext, zoho: Api, invoice: Mapping[str, Any], key: str, reference: str, on: date, *, apply: bool
) -> dict[str, Any]:
    """A credit note for the whole invoice (as read just now), claimed under ``key``. ``apply``: set against what
    the invoice still asks, so a receivable that will never be paid is cleared; else left open (a refund owed).
    Returns its ``creditnote_id``, ``creditnote_number``, ``total`` and the amount ``applied``."""
    invoice_id = str(invoice["invoice_id"])

    async def credited() -> dict[str, Any] | None:
        rows = decimal_json(
            (await zoho.call("GET", f"{BOOKS}/creditnotes", params={"reference_number": reference})).text
        )
        for row in rows.get("creditnotes") or []:
            if row.get("reference_number") == reference and row.get("status") != "void":
                return _note(row)
        return None

    async def credit() -> dict[str, Any]:
        body = creditnote_body(invoice, reference, on)
        made = decimal_json((await zoho.call("POST", f"{BOOKS}/creditnotes", json=body, idempotent=False)).text)
        return _note(made["creditnote"])

    note = await once(ctx, key, credited, credit)
    creditnote_id = str(note["creditnote_id"])
    applied = ZERO
    amount = min(money(invoice.get("balance")), money(note["total"]))
    if apply:

        async def was_applied() -> dict[str, Any] | None:
            now = await get_invoice(zoho, invoice_id)
            mine = [c for c in now.get("credits") or () if str(c.get("creditnote_id")) == creditnote_id]
            return {"amount": str(money(mine[0].get("amount_applied")))} if mine else None

        async def apply_it() -> dict[str, Any]:
            if amount > ZERO:  # else the invoice asks for nothing more: the credit stays open, a refund owed
                body = {"apply_creditnotes": [{"creditnote_id": creditnote_id, "amount_applied": amount}]}
                await zoho.call("POST", f"{BOOKS}/invoices/{invoice_id}/credits", json=body, idempotent=False)
            return {"amount": str(amount)}

        applied = money((await once(ctx, f"books:creditnote:apply:{creditnote_id}", was_applied, apply_it))["amount"])
    await ctx.link((Kind.BOOKS_INVOICE, invoice_id), (Kind.BOOKS_CREDITNOTE, creditnote_id))
    return {**note, "applied": str(applied)}
