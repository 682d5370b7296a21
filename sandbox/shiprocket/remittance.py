"""COD remittance batches (pure): delivered COD shipments become remittable; a batch pays them out.

Each line is gross COD collected minus the freight and COD charges deducted; the batch's
``cod_payble`` is the sum of the nets, to the paisa. A batch can be made deliberately wrong
(``mismatch``) so that the money reaching the bank differs from the lines, for reconciliation tests.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sandbox.kit import SandboxError
from sandbox.shiprocket.formats import PAISA, ist, to_decimal
from sandbox.shiprocket.state import Account, Ids, Remittance, RemittanceLine, Shipment


def remittable(account: Account) -> list[Shipment]:
    """Delivered COD forward shipments not yet paid out, oldest delivery first."""
    found = [
        s
        for s in account.shipments.values()
        if s.delivered_at is not None
        and s.remitted_in is None
        and s.awb is not None
        and account.orders[s.order_id].cod
        and not account.orders[s.order_id].is_return
    ]
    return sorted(found, key=lambda s: (s.delivered_at or s.created_at, s.id))


def create_batch(account: Account, params: dict[str, Any], ids: Ids, now: datetime) -> Remittance:
    """Admin: pay out ``awbs`` (default: every remittable one).

    ``deductions``: ``"charges"`` (default, freight + COD charges per AWB) or ``"none"``.
    ``adjustment`` (+ ``adjustment_reason``): a batch-level deduction not tied to any AWB.
    ``mismatch``: an amount (e.g. ``"-150.00"``) added to what reaches the bank, so that it no longer
    equals ``cod_payble`` (Σ line nets - adjustment).
    """
    pool = {s.awb: s for s in remittable(account)}
    wanted = params.get("awbs")
    if wanted is None:
        chosen = list(pool.values())
    else:
        if not isinstance(wanted, list):
            raise SandboxError(400, {"error": "awbs must be a list of AWB codes"})
        missing = [a for a in wanted if str(a) not in pool]
        if missing:
            raise SandboxError(
                400, {"error": "not remittable (unknown, not delivered, prepaid or already paid)", "awbs": missing}
            )
        chosen = [pool[str(a)] for a in wanted]
    if not chosen:
        raise SandboxError(400, {"error": "no delivered COD shipments waiting for remittance"})
    mode = params.get("deductions", "charges")
    if mode not in ("charges", "none"):
        raise SandboxError(400, {"error": "deductions must be 'charges' or 'none'"})
    mismatch = to_decimal(params.get("mismatch", "0"))
    adjustment = to_decimal(params.get("adjustment", "0"))
    if mismatch is None or adjustment is None or adjustment < 0:
        raise SandboxError(400, {"error": "mismatch must be an amount and adjustment a positive amount"})
    lines: list[RemittanceLine] = []
    for s in chosen:
        order = account.orders[s.order_id]
        assert s.awb is not None
        lines.append(
            RemittanceLine(
                awb=s.awb,
                sr_order_id=order.id,
                channel_order_id=order.channel_order_id,
                shipment_id=s.id,
                cod_amount=order.total.quantize(PAISA),
                freight_charges=s.freight if mode == "charges" else Decimal(0),
                cod_charges=s.cod_charges if mode == "charges" else Decimal(0),
                delivered_at=s.delivered_at,
            )
        )
    crf_id = next(ids.crf)
    stamp = ist(now).strftime("%Y%m%d")
    utr = str(params.get("utr") or f"ICICN{stamp}{crf_id:011d}")
    batch = Remittance(
        crf_id=crf_id,
        utr=utr,
        created_at=now,
        lines=lines,
        remitted_value=Decimal(0),
        adjustment=adjustment.quantize(PAISA),
        adjustment_reason=str(params.get("adjustment_reason") or "Early COD charges"),
    )
    batch.remitted_value = (batch.cod_payable + mismatch.quantize(PAISA)).quantize(PAISA)
    for s in chosen:
        s.remitted_in = crf_id
    account.remittances.append(batch)
    return batch


def in_range(batch: Remittance, start: date | None, end: date | None) -> bool:
    day = ist(batch.created_at).date()
    return (start is None or day >= start) and (end is None or day <= end)
