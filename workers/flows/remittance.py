"""COD remittance: a Shiprocket remittance batch posted to Zoho Books, to the paisa.

    start ──▶ reconciled ──▶ invoices_found ──▶ paid ──▶ expensed ──▶ written_back
      │                │
      │                └ an AWB whose Books invoice is not there yet: retried, then dead-lettered naming the AWBs
      └ the batch does not add up: flagged — nothing posted, a ``remittance_mismatch`` alert, and a dead letter
        (``invalid_source_data``) saying the difference and the AWBs involved; target refs keep the figures

- **reconciled**: the batch and its per-AWB lines are checked (``reconcile.reconcile``, pure) and kept in the
  record, so every later step (and a replay) posts exactly what was checked.
- **invoices_found**: each AWB's invoice (links AWB → books_invoice, else ``cf_awb_number``), able to take the
  gross COD amount; then one customer payment per AWB of the gross COD amount, applied to its invoice,
  ``reference_number`` and ``cf_cod_remittance_id`` = the remittance id (Shiprocket's ``crf_id``), deposited
  to the clearing account.
- **paid**: one itemised expense per batch for everything Shiprocket kept — per AWB a freight line (courier
  charges account) and a COD-charge line (COD charges account), one line per declared batch adjustment with its
  reason — paid through the clearing account, which then holds exactly the bank transfer.
- **expensed**: cf_cod_remittance_id on each AWB's Zoho sales order (links AWB → zoho_salesorder, else
  ``cf_awb_number``).

Payments and the expense are claimed in the effect ledger first (``books:payment:{remittance}:{awb}``,
``books:expense:{remittance}``). When an earlier attempt's outcome is unknown (no answer, or a 5xx that may have
committed) Books is asked before posting again: the invoice's payments for one referenced by the remittance, the
expenses by reference number. Account ids come from the Books chart of accounts by the names in the tenant's
``books`` setting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tenants.db import tenant_session
from workers.alerts import AlertKind
from workers.calls import Api, CallFailed, Refused, plain
from workers.engine import links, records
from workers.engine.links import Kind
from workers.engine.outcomes import Outcome, Reason, Verdict
from workers.flows import books
from workers.flows.context import FlowContext, TenantContext
from workers.flows.effects import once
from workers.flows.fulfilment import INVENTORY, decimal_json, write_back
from workers.flows.reconcile import (
    IST,
    BatchInvalid,
    Line,
    Reconciliation,
    already_paid,
    payable,
    reconcile,
    remittance_id,
)
from workers.flows.settings import BooksAccounts
from workers.flows.spec import FlowSpec, Routed

FLOW = "cod-remittance"
SOURCE = Kind.REMITTANCE
BOOKS = books.BOOKS
REMITTANCES = "/account/details/remittance"
PAGE_SIZE = 100
PAYMENT_MODE = "cash"
"""The customer paid the courier in cash on delivery."""

BATCH_FIELDS = (
    "crf_id",
    "utr",
    "created_at",
    "remitted_value",
    "cod_payble",
    "deduction_value",
    "adjustment_data",
    "status",
    "remarks",
)
"""What a record keeps of a batch: enough to reconcile it, and to tell support what Shiprocket said."""


# --------------------------------------------------------------------------------------------- pure parts
def batch_record(item: Mapping[str, Any]) -> Routed:
    """A batch as Shiprocket lists it → the record's (source_ref, payload)."""
    rid = remittance_id(item)
    return f"{SOURCE}:{rid}", {"remittance_id": rid, "batch": plain({k: item[k] for k in BATCH_FIELDS if k in item})}


@dataclass(frozen=True)
class AccountIds:
    clearing: str
    courier_charges: str
    cod_charges: str
    adjustments: str


def account_ids(chart: Mapping[str, str], names: BooksAccounts) -> AccountIds:
    """The configured account names → their ids (``chart``: lower-cased name → id of the active accounts)."""
    found: dict[str, str] = {}
    missing = []
    for role, setting in (
        ("clearing", "clearing_account"),
        ("courier_charges", "courier_charges_account"),
        ("cod_charges", "cod_charges_account"),
        ("adjustments", "adjustments_account"),
    ):
        name = getattr(names, role)
        if name.lower() in chart:
            found[role] = chart[name.lower()]
        else:
            missing.append(f"{name!r} (setting books.{setting})")
    if missing:
        raise Refused(Reason.INVALID_SOURCE_DATA, f"Zoho Books has no active account named {', '.join(missing)}")
    return AccountIds(**found)


def payment_body(
    item: Line, invoice: Mapping[str, Any], rec: Reconciliation, clearing: str, day: date
) -> dict[str, Any]:
    """The Books customer payment for one AWB: its gross COD amount, all applied to its invoice."""
    rid = rec.remittance_id
    return {
        "customer_id": str(invoice["customer_id"]),
        "payment_mode": PAYMENT_MODE,
        "amount": item.gross,
        "date": day.isoformat(),
        "reference_number": rid,
        "description": f"COD collected by Shiprocket for AWB {item.awb}"
        + (f" (order {item.order_id})" if item.order_id else "")
        + f"; remittance {rid}"
        + (f", UTR {rec.utr}" if rec.utr else ""),
        "account_id": clearing,
        "invoices": [{"invoice_id": str(invoice["invoice_id"]), "amount_applied": item.gross}],
        "custom_fields": [{"api_name": "cf_cod_remittance_id", "value": rid}],
    }


def expense_body(rec: Reconciliation, accounts: AccountIds, day: date) -> dict[str, Any] | None:
    """One itemised expense for what Shiprocket kept from the batch; None when it kept nothing."""
    lines: list[dict[str, Any]] = []
    for item in rec.lines:
        order = f" (order {item.order_id})" if item.order_id else ""
        if item.freight:
            lines.append(
                {
                    "account_id": accounts.courier_charges,
                    "amount": item.freight,
                    "description": f"AWB {item.awb}{order}: freight",
                }
            )
        if item.cod_charges:
            lines.append(
                {
                    "account_id": accounts.cod_charges,
                    "amount": item.cod_charges,
                    "description": f"AWB {item.awb}{order}: COD charges",
                }
            )
    for adjustment in rec.adjustments:
        lines.append(
            {
                "account_id": accounts.adjustments,
                "amount": adjustment.amount,
                "description": f"Shiprocket batch adjustment: {adjustment.reason}",
            }
        )
    if not lines:
        return None
    total = sum((line["amount"] for line in lines), Decimal("0.00"))
    assert total == rec.deductions, "a balanced batch's charges are its deductions"
    return {
        "account_id": lines[0]["account_id"],
        "paid_through_account_id": accounts.clearing,
        "date": day.isoformat(),
        "amount": total,
        "reference_number": rec.remittance_id,
        "description": f"Shiprocket charges deducted from COD remittance {rec.remittance_id}"
        + (f" (UTR {rec.utr})" if rec.utr else "")
        + f": {len(rec.lines)} AWBs",
        "line_items": lines,
    }


def flagged_refs(rec: Reconciliation) -> dict[str, str]:
    return {
        "bank_transfer": str(rec.bank_transfer),
        "expected": str(rec.expected),
        "difference": str(rec.difference),
        "awbs_involved": ", ".join(rec.involved),
    }


# --------------------------------------------------------------------------------------------- Shiprocket
def _shiprocket_day(day: date) -> str:
    return day.strftime("%Y-%b-%d")  # the docs' own form, 2025-May-01


async def _batches(
    shiprocket: Api, since: date | None = None, until: date | None = None
) -> AsyncIterator[dict[str, Any]]:
    page = 1
    while True:
        params: dict[str, Any] = {"page": page, "per_page": PAGE_SIZE}
        if since is not None:
            params["from"] = _shiprocket_day(since)
        if until is not None:
            params["to"] = _shiprocket_day(until)
        answer = decimal_json((await shiprocket.call("GET", REMITTANCES, params=params)).text)
        items = answer.get("data") or []
        for item in items:
            yield dict(item)
        paging = (answer.get("meta") or {}).get("pagination") or {}
        if not items or page >= int(paging.get("total_pages") or 1):
            return
        page += 1


def _created(item: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(item.get("created_at"))), UTC)
    except ValueError:
        return None


async def discover(ctx: TenantContext, start: datetime, end: datetime) -> AsyncIterator[Routed]:
    """Every batch Shiprocket created in [start, end): one record each, keyed by its remittance id."""
    shiprocket = await ctx.api("shiprocket")
    async for item in _batches(shiprocket, start.astimezone(IST).date(), end.astimezone(IST).date()):
        created = _created(item)
        if created is None or start <= created < end:
            source, payload = batch_record(item)
            yield source, {**payload, "connection_id": shiprocket.ref["connection_id"]}


async def _batch(shiprocket: Api, rid: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The batch as the record received it, else as Shiprocket lists it now (there is no get-by-id)."""
    if payload.get("batch"):
        return dict(payload["batch"])
    async for item in _batches(shiprocket):
        if remittance_id(item) == rid or str(item.get("utr") or "") == rid:
            return item
    raise Refused(Reason.INVALID_SOURCE_DATA, f"Shiprocket lists no remittance {rid}")


async def _lines(shiprocket: Api, rid: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    page = 1
    while True:
        path = f"{REMITTANCES}/{rid}/awbs"
        answer = decimal_json((await shiprocket.call("GET", path, params={"page": page})).text)
        lines += [dict(line) for line in answer.get("data") or []]
        paging = (answer.get("meta") or {}).get("pagination") or {}
        if page >= int(paging.get("total_pages") or 1):
            return lines
        page += 1


# --------------------------------------------------------------------------------------------- Zoho
async def _linked(ctx: FlowContext, awb: str, kind: Kind) -> list[str]:
    """Identities of ``kind`` linked directly to the AWB (one hop: the batch's other AWBs are two hops away)."""
    async with tenant_session(ctx.services.sessions, ctx.tenant_id) as session:
        found = await links.connected(session, (Kind.AWB, awb), max_hops=1)
    return sorted(found.get(kind, ()))


async def _invoice(zoho: Api, invoice_id: str) -> dict[str, Any] | None:
    try:
        answer = decimal_json((await zoho.call("GET", f"{BOOKS}/invoices/{invoice_id}")).text)
    except CallFailed as failed:
        if failed.status == 404:
            return None
        raise
    return dict(answer["invoice"])


async def _invoice_for(ctx: FlowContext, zoho: Api, item: Line, remittance: str) -> dict[str, Any] | None:
    """The AWB's Books invoice: by links, else by its cf_awb_number (the list row, unless only the invoice's
    own payments can tell whether it can take this payment)."""
    for invoice_id in await _linked(ctx, item.awb, Kind.BOOKS_INVOICE):
        invoice = await _invoice(zoho, invoice_id)
        if invoice is not None and invoice.get("status") != "void":
            return invoice
    row = await books.find_invoice_by_awb(zoho, item.awb)
    if row is None or payable(row, item, remittance) is None:
        return row
    return await _invoice(zoho, str(row["invoice_id"]))


class Chart:
    """The Books account ids for the tenant's configured names, read from the chart of accounts once per attempt."""

    def __init__(self, zoho: Api, names: BooksAccounts) -> None:
        self.zoho, self.names = zoho, names
        self._ids: AccountIds | None = None

    async def ids(self) -> AccountIds:
        if self._ids is None:
            self._ids = account_ids(await books.active_accounts(self.zoho), self.names)
        return self._ids


async def _posted_expense(zoho: Api, rid: str, clearing: str) -> dict[str, Any] | None:
    answer = (await zoho.call("GET", f"{BOOKS}/expenses", params={"reference_number": rid})).json()
    for row in answer.get("expenses") or []:
        if str(row.get("reference_number")) == rid and str(row.get("paid_through_account_id") or "") == clearing:
            return {"expense_id": str(row["expense_id"])}
    return None


async def _salesorder_for(ctx: FlowContext, zoho: Api, awb: str) -> str | None:
    linked = await _linked(ctx, awb, Kind.ZOHO_SALESORDER)
    if linked:
        return linked[0]
    answer = (await zoho.call("GET", f"{INVENTORY}/salesorders", params={"cf_awb_number": awb})).json()
    for row in answer.get("salesorders") or []:
        if str(row.get("cf_awb_number") or "") == awb:
            await ctx.link((Kind.AWB, awb), (Kind.ZOHO_SALESORDER, str(row["salesorder_id"])))
            return str(row["salesorder_id"])
    return None


# --------------------------------------------------------------------------------------------- the steps
async def _flag(ctx: FlowContext, rec: Reconciliation) -> None:
    rid = rec.remittance_id
    await ctx.advance(ctx.step, flagged_refs(rec))
    await ctx.alert(
        AlertKind.REMITTANCE_MISMATCH,
        f"COD remittance {rid}: {rec.message}",
        {**rec.summary(), "expected": str(rec.expected), "awbs": list(rec.involved), "problems": list(rec.problems)},
    )
    raise Refused(Reason.INVALID_SOURCE_DATA, f"remittance {rid} flagged, nothing posted: {rec.message}")


async def _find_invoices(ctx: FlowContext, zoho: Api, rec: Reconciliation) -> None:
    found: dict[str, dict[str, str]] = {}
    missing: list[str] = []
    problems: list[str] = []
    for item in rec.lines:
        invoice = await _invoice_for(ctx, zoho, item, rec.remittance_id)
        if invoice is None:
            missing.append(item.awb)
            continue
        problem = payable(invoice, item, rec.remittance_id)
        if problem:
            problems.append(problem)
        found[item.awb] = {
            "invoice_id": str(invoice["invoice_id"]),
            "invoice_number": str(invoice.get("invoice_number") or ""),
            "customer_id": str(invoice.get("customer_id") or ""),
        }
    if missing:
        message = f"no Zoho Books invoice (cf_awb_number) yet for AWB {', '.join(missing)}; nothing posted"
        if ctx.record.attempts >= records.MAX_ATTEMPTS:
            raise Refused(Reason.INVALID_SOURCE_DATA, f"{message} after {ctx.record.attempts} attempts")
        raise CallFailed(Verdict(Outcome.RETRY, None, f"{message} (the delivery may not be invoiced yet)"))
    if problems:
        raise Refused(
            Reason.INVALID_SOURCE_DATA, f"remittance {rec.remittance_id}, nothing posted: {'; '.join(problems)}"
        )
    for awb, invoice in found.items():
        await ctx.link((Kind.AWB, awb), (Kind.BOOKS_INVOICE, invoice["invoice_id"]))
    await ctx.advance(
        "invoices_found",
        {f"invoice:{awb}": invoice["invoice_id"] for awb, invoice in found.items()},
        payload={"invoices": found},
    )


async def _post_payments(ctx: FlowContext, zoho: Api, chart: Chart, rec: Reconciliation, day: date) -> None:
    rid = rec.remittance_id
    invoices: Mapping[str, Mapping[str, str]] = (ctx.record.payload or {})["invoices"]
    for item in rec.lines:
        if f"payment:{item.awb}" in ctx.record.target_refs:
            continue
        invoice = invoices[item.awb]

        async def lookup(invoice_id: str = invoice["invoice_id"]) -> dict[str, Any] | None:
            current = await _invoice(zoho, invoice_id)
            payment_id = already_paid(current, rid) if current else None
            return {"payment_id": payment_id} if payment_id else None

        async def create(item: Line = item, invoice: Mapping[str, str] = invoice) -> dict[str, Any]:
            body = payment_body(item, invoice, rec, (await chart.ids()).clearing, day)
            answer = decimal_json(
                (await zoho.call("POST", f"{BOOKS}/customerpayments", json=body, idempotent=False)).text
            )
            return {"payment_id": str(answer["payment"]["payment_id"])}

        made = await once(ctx, f"books:payment:{rid}:{item.awb}", lookup, create)
        payment_id = str(made["payment_id"])
        await ctx.link((Kind.AWB, item.awb), (Kind.BOOKS_PAYMENT, payment_id))
        await ctx.advance(ctx.step, {f"payment:{item.awb}": payment_id}, also=[(Kind.BOOKS_PAYMENT, payment_id)])
    await ctx.advance("paid", {"gross": str(rec.gross)})


async def _post_expense(ctx: FlowContext, zoho: Api, chart: Chart, rec: Reconciliation, day: date) -> None:
    if not rec.deductions:
        await ctx.advance("expensed", {"expense_id": ""})  # Shiprocket kept nothing: there is no expense
        return

    async def lookup() -> dict[str, Any] | None:
        return await _posted_expense(zoho, rec.remittance_id, (await chart.ids()).clearing)

    async def create() -> dict[str, Any]:
        body = expense_body(rec, await chart.ids(), day)
        assert body is not None
        answer = decimal_json((await zoho.call("POST", f"{BOOKS}/expenses", json=body, idempotent=False)).text)
        return {"expense_id": str(answer["expense"]["expense_id"])}

    made = await once(ctx, f"books:expense:{rec.remittance_id}", lookup, create)
    expense_id = str(made["expense_id"])
    await ctx.advance("expensed", {"expense_id": expense_id}, also=[(Kind.BOOKS_EXPENSE, expense_id)])


async def _mark_sales_orders(ctx: FlowContext, zoho: Api, rec: Reconciliation) -> None:
    missing: list[str] = []
    for item in rec.lines:
        if f"salesorder:{item.awb}" in ctx.record.target_refs:
            continue
        salesorder_id = await _salesorder_for(ctx, zoho, item.awb)
        if salesorder_id is None:
            missing.append(item.awb)
            continue
        await write_back(zoho, salesorder_id, {"cf_cod_remittance_id": rec.remittance_id})
        await ctx.advance(
            ctx.step, {f"salesorder:{item.awb}": salesorder_id}, also=[(Kind.ZOHO_SALESORDER, salesorder_id)]
        )
    if missing:
        raise Refused(
            Reason.INVALID_SOURCE_DATA,
            f"payments and expense posted, but no Zoho sales order carries AWB {', '.join(missing)}"
            " (cf_awb_number), so cf_cod_remittance_id is not set on it",
        )
    await ctx.advance("written_back", {})


def _reconciled(payload: Mapping[str, Any]) -> Reconciliation:
    return reconcile(payload["batch"], payload["lines"])


async def run(ctx: FlowContext) -> None:
    payload = ctx.record.payload or {}
    rid = str(payload.get("remittance_id") or ctx.record.source_ref.partition(":")[2])
    if ctx.step == "start":
        shiprocket = await ctx.api("shiprocket")
        batch = await _batch(shiprocket, rid, payload)
        lines = await _lines(shiprocket, rid)
        try:
            rec = reconcile(batch, lines)
        except BatchInvalid as exc:
            raise Refused(Reason.INVALID_SOURCE_DATA, f"remittance {rid}: {exc}") from None
        if not rec.balanced:
            await _flag(ctx, rec)
        await ctx.advance(
            "reconciled",
            rec.summary(),
            also=[(Kind.AWB, item.awb) for item in rec.lines],
            payload={"batch": plain(batch), "lines": plain(lines)},
        )
    rec = _reconciled(ctx.record.payload or {})
    day = rec.remitted_on or datetime.now(IST).date()
    zoho = await ctx.api("zoho")
    chart = Chart(zoho, ctx.settings.books)
    if ctx.step == "reconciled":
        await _find_invoices(ctx, zoho, rec)
    if ctx.step == "invoices_found":
        await _post_payments(ctx, zoho, chart, rec, day)
    if ctx.step == "paid":
        await _post_expense(ctx, zoho, chart, rec, day)
    if ctx.step == "expensed":
        await _mark_sales_orders(ctx, zoho, rec)


SPEC = FlowSpec(FLOW, run, discover=discover)
