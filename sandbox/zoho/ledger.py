"""Money: invoices with balances, customer payments applied to invoices, credit notes (applied and
refunded), balanced journals and expenses against the chart of accounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.zoho import errors, records
from sandbox.zoho.behaviour import Behaviour, Ctx, positive
from sandbox.zoho.catalogue import Resource
from sandbox.zoho.formats import as_id, cents, money

ZERO = Decimal(0)


def refresh_invoice(invoice: dict[str, Any]) -> None:
    """Balance and status from the total, payments and credits applied."""
    paid = invoice.get("payment_made", ZERO)
    credits = invoice.get("credits_applied", ZERO)
    invoice["balance"] = cents(invoice["total"] - paid - credits)
    if invoice["status"] in ("void",):
        return
    if invoice["balance"] <= 0 and invoice["total"] > 0 and (paid or credits):
        invoice["status"] = "paid"
    elif paid or credits:
        invoice["status"] = "partially_paid"
    elif invoice["status"] in ("paid", "partially_paid"):
        invoice["status"] = "sent"
    invoice["current_sub_status"] = invoice["status"]


def _invoice_for(ctx: Ctx, invoice_id: Any, customer_id: str) -> dict[str, Any]:
    invoice = ctx.org.table("invoices").get(as_id(invoice_id) or "")
    if invoice is None or invoice["customer_id"] != customer_id:
        raise errors.invalid("invoice_id")
    if invoice["status"] == "void":
        raise errors.state(f"The invoice {invoice['invoice_number']} is void.")
    return invoice


class Invoice(Behaviour):
    priced_lines = True

    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        if before is not None and before["status"] == "void":
            raise errors.state("A void invoice cannot be edited.")
        record.update(records.totals(record["line_items"], record))
        record.setdefault("due_date", record["date"])
        record.setdefault("payment_terms", 0)
        record.setdefault("reference_number", "")
        record.setdefault("currency_code", ctx.org.currency_code)
        record.setdefault("payments", [])
        record.setdefault("credits", [])
        record.setdefault("payment_made", ZERO)
        record.setdefault("credits_applied", ZERO)
        for line in record["line_items"]:
            if line.get("salesorder_item_id"):
                line["salesorder_item_id"] = str(line["salesorder_item_id"])
        refresh_invoice(record)
        if record["balance"] < 0:
            raise errors.state("The invoice total cannot be less than the payments and credits applied to it.")
        record["bcy_total"] = record["total"]

    def created(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        _link_sales_orders(ctx, record, 1)
        super().created(ctx, res, record)

    def before_action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        if name == "void" and (record.get("payment_made") or record.get("credits_applied")):
            raise errors.state("The invoice cannot be voided as payments or credits have been applied to it.")

    def before_delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        if record.get("payments") or record.get("credits"):
            raise errors.state("The invoice cannot be deleted as payments or credits have been applied to it.")

    def deleted(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        _link_sales_orders(ctx, record, -1)
        super().deleted(ctx, res, record)

    def sub(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str, method: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if name == "payments" and method == "GET":
            return 200, {"code": 0, "message": "success", "payments": record.get("payments", [])}
        if name == "creditsapplied" and method == "GET":
            return 200, {"code": 0, "message": "success", "credits": record.get("credits", [])}
        if name == "credits" and method == "POST":
            applied = []
            for entry in body.get("apply_creditnotes") or []:
                if not isinstance(entry, dict):
                    raise errors.invalid("apply_creditnotes")
                note = ctx.record("creditnotes", as_id(entry.get("creditnote_id")), "Credit Note")
                applied.append(apply_credit(ctx, note, record, positive(entry.get("amount_applied"), "amount_applied")))
            if not applied:
                raise errors.invalid("apply_creditnotes")
            return 201, {
                "code": 0,
                "message": "Credits have been applied to the invoice(s).",
                "apply_creditnotes": applied,
            }
        return super().sub(ctx, res, record, name, method, body)


def _link_sales_orders(ctx: Ctx, invoice: dict[str, Any], sign: int) -> None:
    """Invoice lines naming a sales-order line raise that line's ``quantity_invoiced``."""
    from sandbox.zoho.fulfilment import SalesOrder

    for so in ctx.org.table("salesorders").values():
        touched = False
        for so_line in so.get("line_items", []):
            for line in invoice["line_items"]:
                if line.get("salesorder_item_id") == so_line["line_item_id"]:
                    so_line["quantity_invoiced"] = so_line.get("quantity_invoiced", ZERO) + sign * line["quantity"]
                    touched = True
        if touched:
            entry = {
                "invoice_id": invoice["invoice_id"],
                "invoice_number": invoice["invoice_number"],
                "status": invoice["status"],
                "date": invoice["date"],
                "total": invoice["total"],
            }
            others = [i for i in so.get("invoices", []) if i["invoice_id"] != invoice["invoice_id"]]
            so["invoices"] = others + ([entry] if sign > 0 else [])
            SalesOrder.refresh_statuses(so)


# ----------------------------------------------------------------- payments
class Payment(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        amount = positive(record.get("amount"), "amount")
        record["amount"] = cents(amount)
        record.setdefault("payment_mode", "cash")
        record.setdefault("reference_number", "")
        record.setdefault("description", "")
        charges = money(record.get("bank_charges", 0))
        if charges is None or charges < 0:
            raise errors.invalid("bank_charges")
        record["bank_charges"] = charges
        if before is not None:
            self._apply(ctx, before, -1)
        try:
            entries = self._entries(ctx, record, record.get("invoices") or [])
        except errors.ZohoError:
            if before is not None:
                self._apply(ctx, before, 1)
            raise
        record["invoices"] = entries
        record["unused_amount"] = cents(amount - sum((e["amount_applied"] for e in entries), ZERO))
        self._apply(ctx, record, 1)

    @staticmethod
    def _entries(ctx: Ctx, record: dict[str, Any], raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            raise errors.invalid("invoices")
        entries = []
        pending: dict[str, Decimal] = {}
        for entry in raw:
            if not isinstance(entry, dict):
                raise errors.invalid("invoices")
            invoice = _invoice_for(ctx, entry.get("invoice_id"), record["customer_id"])
            applied = positive(entry.get("amount_applied"), "amount_applied")
            if applied > invoice["balance"] - pending.get(invoice["invoice_id"], ZERO):
                raise errors.invalid(
                    "amount_applied",
                    f"The amount applied exceeds the balance due of invoice {invoice['invoice_number']}.",
                )
            pending[invoice["invoice_id"]] = pending.get(invoice["invoice_id"], ZERO) + applied
            entries.append(
                {
                    "invoice_id": invoice["invoice_id"],
                    "invoice_number": invoice["invoice_number"],
                    "date": invoice["date"],
                    "total": invoice["total"],
                    "amount_applied": cents(applied),
                    "tax_amount_withheld": money(entry.get("tax_amount_withheld", 0)) or ZERO,
                }
            )
        if sum((e["amount_applied"] for e in entries), ZERO) > record["amount"]:
            raise errors.invalid("amount", "The amount applied to invoices exceeds the payment amount.")
        return entries

    @staticmethod
    def _apply(ctx: Ctx, payment: dict[str, Any], sign: int) -> None:
        for entry in payment.get("invoices", []):
            invoice = ctx.org.table("invoices").get(entry["invoice_id"])
            if invoice is None:
                continue
            invoice["payment_made"] = cents(invoice.get("payment_made", ZERO) + sign * entry["amount_applied"])
            invoice["payments"] = [p for p in invoice.get("payments", []) if p["payment_id"] != payment["payment_id"]]
            if sign > 0:
                invoice["payments"].append(
                    {
                        "payment_id": payment["payment_id"],
                        "payment_number": payment["payment_number"],
                        "date": payment["date"],
                        "payment_mode": payment["payment_mode"],
                        "amount": entry["amount_applied"],
                        "reference_number": payment.get("reference_number", ""),
                    }
                )
            refresh_invoice(invoice)
            entry["balance_amount"] = invoice["balance"]

    def deleted(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        self._apply(ctx, record, -1)
        super().deleted(ctx, res, record)


# ----------------------------------------------------------------- credit notes
def apply_credit(ctx: Ctx, note: dict[str, Any], invoice: dict[str, Any], amount: Decimal) -> dict[str, Any]:
    if note["status"] != "open":
        raise errors.state("Credits can only be applied from an open credit note.")
    if invoice["customer_id"] != note["customer_id"] or invoice["status"] == "void":
        raise errors.invalid("invoice_id")
    if amount > note["balance"]:
        raise errors.invalid("amount_applied", "The amount applied exceeds the credit note's available balance.")
    if amount > invoice["balance"]:
        raise errors.invalid(
            "amount_applied", f"The amount applied exceeds the balance due of invoice {invoice['invoice_number']}."
        )
    note["balance"] = cents(note["balance"] - amount)
    if note["balance"] == 0:
        note["status"] = "closed"
    entry = {
        "creditnote_invoice_id": ctx.org.new_id(),
        "creditnote_id": note["creditnote_id"],
        "creditnote_number": note["creditnote_number"],
        "invoice_id": invoice["invoice_id"],
        "invoice_number": invoice["invoice_number"],
        "date": ctx.today(),
        "amount_applied": cents(amount),
    }
    note.setdefault("invoices_credited", []).append(entry)
    invoice["credits_applied"] = cents(invoice.get("credits_applied", ZERO) + amount)
    invoice.setdefault("credits", []).append(entry)
    refresh_invoice(invoice)
    invoice["last_modified_time"] = note["last_modified_time"] = ctx.ts()
    return entry


class CreditNote(Behaviour):
    priced_lines = True

    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        record.update(records.totals(record["line_items"], record))
        used = ZERO
        if before is not None:
            used = before["total"] - before["balance"]
        else:
            invoice_id = ctx.query.get("invoice_id") or body.get("invoice_id")
            if invoice_id:
                invoice = _invoice_for(ctx, invoice_id, record["customer_id"])
                record["invoice_id"] = invoice["invoice_id"]
                record["invoice_number"] = invoice["invoice_number"]
            record["invoices_credited"] = []
            record["refunds"] = []
        record["balance"] = cents(record["total"] - used)
        if record["balance"] < 0:
            raise errors.state("The credit note total cannot be less than the credits already used.")
        record.setdefault("reference_number", "")
        record.setdefault("currency_code", ctx.org.currency_code)

    def before_action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        if name == "void" and (record.get("invoices_credited") or record.get("refunds")):
            raise errors.state("The credit note cannot be voided as credits have been applied or refunded.")

    def before_delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        if record.get("invoices_credited") or record.get("refunds"):
            raise errors.state("The credit note cannot be deleted as credits have been applied or refunded.")

    def sub(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str, method: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if name == "invoices" and method == "GET":
            return 200, {"code": 0, "message": "success", "invoices_credited": record.get("invoices_credited", [])}
        if name == "invoices" and method == "POST":
            raw = body.get("invoices")
            if not isinstance(raw, list) or not raw:
                raise errors.invalid("invoices")
            entries = []
            for entry in raw:
                if not isinstance(entry, dict):
                    raise errors.invalid("invoices")
                invoice = ctx.record("invoices", as_id(entry.get("invoice_id")), "Invoice")
                entries.append(
                    apply_credit(ctx, record, invoice, positive(entry.get("amount_applied"), "amount_applied"))
                )
            ctx.emit("creditnote", "updated", record)
            return 200, {
                "code": 0,
                "message": "Credits have been applied to the invoice(s).",
                "apply_to_invoices": {"invoices": entries},
            }
        if name == "refunds" and method == "GET":
            return 200, {"code": 0, "message": "success", "creditnote_refunds": record.get("refunds", [])}
        if name == "refunds" and method == "POST":
            if record["status"] != "open":
                raise errors.state("Refunds can only be made from an open credit note.")
            amount = positive(body.get("amount"), "amount")
            if amount > record["balance"]:
                raise errors.invalid("amount", "The refund amount exceeds the credit note's available balance.")
            refund = {
                "creditnote_refund_id": ctx.org.new_id(),
                "creditnote_id": record["creditnote_id"],
                "date": records.parse_date_or(body.get("date"), ctx.today()),
                "refund_mode": body.get("refund_mode", "cash"),
                "reference_number": body.get("reference_number", ""),
                "amount": cents(amount),
                "from_account_id": str(body.get("from_account_id", "")),
                "description": body.get("description", ""),
            }
            record["refunds"].append(refund)
            record["balance"] = cents(record["balance"] - amount)
            if record["balance"] == 0:
                record["status"] = "closed"
            record["last_modified_time"] = ctx.ts()
            return 201, {
                "code": 0,
                "message": "The refund information for this Credit Note has been saved.",
                "creditnote_refund": refund,
            }
        return super().sub(ctx, res, record, name, method, body)


# ----------------------------------------------------------------- journals and expenses
def _account(ctx: Ctx, account_id: Any, field: str) -> dict[str, Any]:
    account = ctx.org.table("chartofaccounts").get(as_id(account_id) or "")
    if account is None:
        raise errors.invalid(field)
    return account


class Journal(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        if before is None and body.get("status") in ("draft", "published"):
            record["status"] = body["status"]
        if before is not None and "line_items" not in body:
            record["line_items"] = before["line_items"]
            return
        raw = record.get("line_items")
        if not isinstance(raw, list) or len(raw) < 2:
            raise errors.invalid("line_items", "A journal needs at least one debit and one credit line.")
        lines = []
        debits = credits = ZERO
        for entry in raw:
            if not isinstance(entry, dict):
                raise errors.invalid("line_items")
            account = _account(ctx, entry.get("account_id"), "account_id")
            side = entry.get("debit_or_credit")
            if side not in ("debit", "credit"):
                raise errors.invalid("debit_or_credit")
            amount = cents(positive(entry.get("amount"), "amount"))
            if side == "debit":
                debits += amount
            else:
                credits += amount
            line = {k: v for k, v in entry.items() if k not in ("account_id", "amount")}
            line.update(
                {
                    "line_id": ctx.org.new_id(),
                    "account_id": account["account_id"],
                    "account_name": account["account_name"],
                    "debit_or_credit": side,
                    "amount": amount,
                }
            )
            if entry.get("customer_id"):
                line["customer_id"] = ctx.record("contacts", as_id(entry["customer_id"]), "Contact")["contact_id"]
            lines.append(line)
        if debits != credits:
            raise errors.ZohoError(
                400, "unbalanced", f"The journal is not balanced: debits ({debits}) must equal credits ({credits})."
            )
        record["line_items"] = lines
        record["total"] = debits
        record.setdefault("reference_number", "")
        record.setdefault("notes", "")
        record.setdefault("currency_code", ctx.org.currency_code)
        record["journal_type"] = "both"


class Expense(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        account = _account(ctx, record.get("account_id"), "account_id")
        record["account_id"], record["account_name"] = account["account_id"], account["account_name"]
        if record.get("paid_through_account_id"):
            paid = _account(ctx, record["paid_through_account_id"], "paid_through_account_id")
            record["paid_through_account_id"] = paid["account_id"]
            record["paid_through_account_name"] = paid["account_name"]
        amount = cents(positive(record.get("amount"), "amount"))
        if "line_items" in body:
            record["line_items"] = _expense_lines(ctx, body["line_items"])
        if record.get("line_items") and amount != sum((line["amount"] for line in record["line_items"]), ZERO):
            raise errors.invalid("amount", "The expense amount must equal the total of its line items.")
        record["amount"] = amount
        record["sub_total"] = record["total"] = amount
        if record.get("customer_id"):
            customer = ctx.record("contacts", as_id(record["customer_id"]), "Contact")
            record["customer_id"], record["customer_name"] = customer["contact_id"], customer["contact_name"]
        record["is_billable"] = bool(record.get("is_billable", False))
        record["status"] = "unbilled" if record["is_billable"] and record.get("customer_id") else "nonbillable"
        record.setdefault("reference_number", "")
        record.setdefault("description", "")
        record.setdefault("currency_code", ctx.org.currency_code)


def _expense_lines(ctx: Ctx, raw: Any) -> list[dict[str, Any]]:
    """An itemised expense: each line charged to its own account (the expense's total is theirs)."""
    if not isinstance(raw, list) or not raw:
        raise errors.invalid("line_items")
    lines = []
    for order, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise errors.invalid("line_items")
        account = _account(ctx, entry.get("account_id"), "account_id")
        line = {k: v for k, v in entry.items() if k not in ("account_id", "amount")}
        line.update(
            {
                "line_item_id": str(entry.get("line_item_id") or ctx.org.new_id()),
                "account_id": account["account_id"],
                "account_name": account["account_name"],
                "amount": cents(positive(entry.get("amount"), "amount")),
                "description": str(entry.get("description") or ""),
                "item_order": order,
            }
        )
        lines.append(line)
    return lines
