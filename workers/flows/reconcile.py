"""Does a Shiprocket COD remittance batch add up, to the paisa? (pure, no I/O)

    Σ line nets - declared batch adjustment == bank transfer (``remitted_value``)

and every line adds up on its own (gross - deductions == net; freight + COD charges == deductions), and the
batch's own statement agrees with its lines (``cod_payble``, ``deduction_value``, ``adjustment_data``). A batch
that does not is flagged: ``Reconciliation.problems`` says what is wrong, ``difference`` is bank transfer minus
what the lines promise, and ``involved`` names the AWBs concerned — the lines that do not add up on their own, or,
when every line does, all lines of the batch (the difference cannot then be pinned on any one of them).

A batch adjustment is a deduction Shiprocket declares for the whole batch (``adjustment_data.details[]`` with a
reason, e.g. early-COD charges); declared, it is not a mismatch, and it is posted as a charge with its reason.
Every amount is a Decimal quantised to the paisa; an amount that is not a number is ``BatchInvalid``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")
IST = ZoneInfo("Asia/Kolkata")


class BatchInvalid(ValueError):
    """A batch or line that cannot be read at all (no id, no AWB, an amount that is not a number); the message
    names the field and the line."""


def amount(value: Any, where: str) -> Decimal:
    """A provider amount (decimal string, JSON number parsed as Decimal, int) as Decimal to the paisa."""
    if value is None or value == "" or isinstance(value, bool):
        raise BatchInvalid(f"{where}: missing")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise BatchInvalid(f"{where}: {value!r} is not an amount") from None
    if not number.is_finite():
        raise BatchInvalid(f"{where}: {value!r} is not an amount")
    return number.quantize(PAISA, rounding=ROUND_HALF_UP)


def rupees(value: Decimal) -> str:
    return f"₹{value.quantize(PAISA)}"


@dataclass(frozen=True)
class Line:
    """One AWB of a batch: the gross COD collected, what Shiprocket kept, what it paid out."""

    awb: str
    order_id: str
    gross: Decimal
    freight: Decimal
    cod_charges: Decimal
    deductions: Decimal
    net: Decimal

    def problems(self) -> list[str]:
        found = []
        if self.gross <= 0:
            found.append(f"AWB {self.awb}: COD amount {rupees(self.gross)} is not a collection")
        if min(self.freight, self.cod_charges) < 0:
            found.append(f"AWB {self.awb}: negative charges")
        if self.freight + self.cod_charges != self.deductions:
            found.append(
                f"AWB {self.awb}: freight {rupees(self.freight)} + COD charges {rupees(self.cod_charges)}"
                f" ≠ deductions {rupees(self.deductions)}"
            )
        if self.gross - self.deductions != self.net:
            found.append(
                f"AWB {self.awb}: gross {rupees(self.gross)} - deductions {rupees(self.deductions)}"
                f" ≠ net {rupees(self.net)}"
            )
        return found


@dataclass(frozen=True)
class Adjustment:
    reason: str
    amount: Decimal


@dataclass(frozen=True)
class Reconciliation:
    remittance_id: str
    utr: str
    remitted_on: date | None
    """The batch's date in IST (Shiprocket's ``created_at``), the date of what is posted for it."""
    bank_transfer: Decimal
    lines: tuple[Line, ...]
    adjustment: Decimal
    """The batch-level deduction Shiprocket states (``adjustment_data.adjusted_amount``)."""
    adjustments: tuple[Adjustment, ...]
    problems: tuple[str, ...]
    involved: tuple[str, ...]
    """AWBs the problems concern: the lines that do not add up, else every line of the batch."""

    @property
    def balanced(self) -> bool:
        return not self.problems

    @property
    def gross(self) -> Decimal:
        return sum((line.gross for line in self.lines), ZERO)

    @property
    def nets(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)

    @property
    def deductions(self) -> Decimal:
        """Every charge Shiprocket kept: the lines' deductions and the batch adjustment."""
        return sum((line.deductions for line in self.lines), ZERO) + self.adjustment

    @property
    def expected(self) -> Decimal:
        """What the lines say should reach the bank."""
        return self.nets - self.adjustment

    @property
    def difference(self) -> Decimal:
        """Bank transfer minus what the lines promise: negative when short."""
        return self.bank_transfer - self.expected

    @property
    def message(self) -> str:
        """One line for people: the difference, the sums, what else is wrong, the AWBs involved."""
        if self.difference:
            word = "short" if self.difference < 0 else "over"
            less = f" less adjustment {rupees(self.adjustment)}" if self.adjustment else ""
            head = (
                f"{word} by {rupees(abs(self.difference))}: bank transfer {rupees(self.bank_transfer)},"
                f" Σ nets {rupees(self.nets)}{less}"
            )
            others = [p for p in self.problems if not p.startswith("bank transfer")]
        else:
            head, others = "does not add up", list(self.problems)
        detail = f" ({'; '.join(others)})" if others else ""
        whose = "lines that do not add up" if self._lines_at_fault else "all lines of the batch"
        awbs = ", ".join(self.involved) or "none listed"
        return f"{head}{detail}; AWBs involved ({whose}): {awbs}"

    @property
    def _lines_at_fault(self) -> bool:
        return any(line.problems() for line in self.lines)

    def summary(self) -> dict[str, str]:
        """The figures as strings (for target refs, alerts and the audit log: never a float)."""
        return {
            "remittance_id": self.remittance_id,
            "utr": self.utr,
            "bank_transfer": str(self.bank_transfer),
            "gross": str(self.gross),
            "nets": str(self.nets),
            "deductions": str(self.deductions),
            "adjustment": str(self.adjustment),
            "difference": str(self.difference),
        }


def remittance_id(batch: Mapping[str, Any]) -> str:
    """Shiprocket's id of a batch: its ``crf_id`` (else the bank reference, ``utr``)."""
    for key in ("crf_id", "remittance_id", "utr"):
        if batch.get(key) not in (None, ""):
            return str(batch[key])
    raise BatchInvalid("remittance: neither crf_id nor utr")


def remitted_on(batch: Mapping[str, Any]) -> date | None:
    created = batch.get("created_at")
    if created in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(str(created)), UTC).astimezone(IST).date()
    except ValueError:
        raise BatchInvalid(f"remittance created_at: {created!r} is not Unix seconds") from None


def parse_line(raw: Mapping[str, Any], index: int) -> Line:
    awb = str(raw.get("awb") or "").strip()
    where = f"line {index + 1}" + (f" (AWB {awb})" if awb else "")
    if not awb:
        raise BatchInvalid(f"{where}: no awb")
    gross = amount(raw.get("cod_amount"), f"{where} cod_amount")
    has_breakdown = raw.get("freight_charges") not in (None, "") or raw.get("cod_charges") not in (None, "")
    freight = amount(raw.get("freight_charges") or 0, f"{where} freight_charges")
    cod_charges = amount(raw.get("cod_charges") or 0, f"{where} cod_charges")
    stated = raw.get("total_deductions")
    deductions = amount(stated, f"{where} total_deductions") if stated not in (None, "") else freight + cod_charges
    if not has_breakdown:
        freight = deductions  # no breakdown given: everything kept counts as courier charges
    net = amount(raw.get("net_amount"), f"{where} net_amount")
    return Line(awb, str(raw.get("order_id") or ""), gross, freight, cod_charges, deductions, net)


def _adjustments(batch: Mapping[str, Any]) -> tuple[Decimal, tuple[Adjustment, ...], list[str]]:
    data = batch.get("adjustment_data") or {}
    if not isinstance(data, Mapping):
        raise BatchInvalid("remittance adjustment_data: not an object")
    details = data.get("details") or []
    if not isinstance(details, list):
        raise BatchInvalid("remittance adjustment_data.details: not a list")
    declared = tuple(
        Adjustment(
            str(d.get("reason") or "").strip() if isinstance(d, Mapping) else "",
            amount(d.get("amount") if isinstance(d, Mapping) else d, f"adjustment_data.details[{i}].amount"),
        )
        for i, d in enumerate(details)
    )
    total = sum((a.amount for a in declared), ZERO)
    stated = data.get("adjusted_amount")
    adjusted = amount(stated, "adjustment_data.adjusted_amount") if stated not in (None, "") else total
    problems = []
    if adjusted and not declared:
        problems.append(f"an adjustment of {rupees(adjusted)} with no reason declared")
    elif adjusted != total:
        problems.append(f"adjustment {rupees(adjusted)} stated, but its details add up to {rupees(total)}")
    problems += [f"adjustment {rupees(a.amount)} without a reason" for a in declared if a.amount and not a.reason]
    if adjusted < 0 or any(a.amount < 0 for a in declared):
        problems.append(f"a credit adjustment ({rupees(adjusted)}) cannot be posted as a charge")
    return adjusted, tuple(a for a in declared if a.amount), problems


def reconcile(batch: Mapping[str, Any], raw_lines: Sequence[Mapping[str, Any]]) -> Reconciliation:
    """The batch (an item of ``GET /account/details/remittance``) checked against its per-AWB lines."""
    rid = remittance_id(batch)
    lines = tuple(parse_line(raw, i) for i, raw in enumerate(raw_lines))
    adjusted, adjustments, problems = _adjustments(batch)
    bank = amount(batch.get("remitted_value"), "remittance remitted_value")
    at_fault = [line.awb for line in lines if line.problems()]
    problems = [p for line in lines for p in line.problems()] + problems
    twice = sorted(awb for awb, n in Counter(line.awb for line in lines).items() if n > 1)
    if twice:
        problems.append(f"AWB listed twice: {', '.join(twice)}")
        at_fault += [awb for awb in twice if awb not in at_fault]
    if not lines:
        problems.append("the batch lists no AWB lines")
    nets = sum((line.net for line in lines), ZERO)
    expected = nets - adjusted
    if bank != expected:
        problems.insert(0, f"bank transfer {rupees(bank)} ≠ Σ nets - adjustment {rupees(expected)}")
    for key, computed in (
        ("cod_payble", expected),
        ("deduction_value", sum((li.deductions for li in lines), ZERO) + adjusted),
    ):
        if batch.get(key) not in (None, ""):
            stated = amount(batch[key], f"remittance {key}")
            if stated != computed:
                problems.append(f"Shiprocket's {key} {rupees(stated)} ≠ {rupees(computed)} from its lines")
    involved = tuple(at_fault) if at_fault else tuple(line.awb for line in lines)
    return Reconciliation(
        remittance_id=rid,
        utr=str(batch.get("utr") or ""),
        remitted_on=remitted_on(batch),
        bank_transfer=bank,
        lines=lines,
        adjustment=adjusted,
        adjustments=adjustments,
        problems=tuple(problems) if problems else (),
        involved=involved if problems else (),
    )


def already_paid(invoice: Mapping[str, Any], remittance: str) -> str | None:
    """The id of a payment on ``invoice`` (a Books invoice with its ``payments``) referenced by ``remittance``."""
    for payment in invoice.get("payments") or ():
        if str(payment.get("reference_number") or "") == remittance and payment.get("payment_id"):
            return str(payment["payment_id"])
    return None


def payable(invoice: Mapping[str, Any], item: Line, remittance: str) -> str | None:
    """Why ``item``'s gross COD cannot be applied to ``invoice`` (None: it can, or it already was)."""
    number = invoice.get("invoice_number") or invoice.get("invoice_id")
    if already_paid(invoice, remittance):
        return None
    if str(invoice.get("status") or "") == "void":
        return f"AWB {item.awb}: invoice {number} is void"
    if not invoice.get("customer_id"):
        return f"AWB {item.awb}: invoice {number} has no customer"
    balance = amount(invoice.get("balance"), f"invoice {number} balance")
    if balance < item.gross:
        return (
            f"AWB {item.awb}: COD collected {rupees(item.gross)} exceeds the balance due {rupees(balance)}"
            f" of invoice {number}"
        )
    return None
