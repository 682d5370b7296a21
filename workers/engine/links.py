"""Identity across systems: which Zoho sales order is which Shiprocket order, shipment, AWB, Books
invoice, payment and remittance. Support finds every identity of an order from any one of them.
"""

from __future__ import annotations

import uuid
from collections import deque
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.models import Link


class Kind(StrEnum):
    ZOHO_SALESORDER = "zoho_salesorder"
    ZOHO_SALESORDER_NUMBER = "zoho_salesorder_number"
    SHIPROCKET_ORDER = "shiprocket_order"
    SHIPROCKET_SHIPMENT = "shiprocket_shipment"
    AWB = "awb"
    BOOKS_INVOICE = "books_invoice"
    BOOKS_PAYMENT = "books_payment"
    BOOKS_CREDITNOTE = "books_creditnote"
    BOOKS_EXPENSE = "books_expense"
    REMITTANCE = "remittance"
    SHIPROCKET_TRACKING = "shiprocket_tracking"
    ZOHO_SHIPMENTORDER = "zoho_shipmentorder"
    ZOHO_ADJUSTMENT = "zoho_adjustment"
    ZOHO_RETURN = "zoho_return"
    ZOHO_RETURN_QC = "zoho_return_qc"
    SHIPROCKET_RETURN_ORDER = "shiprocket_return_order"
    SHIPROCKET_RETURN_SHIPMENT = "shiprocket_return_shipment"
    RETURN_AWB = "return_awb"
    SHIPSTATION_ORDER = "shipstation_order"
    SHIPSTATION_ORDER_NUMBER = "shipstation_order_number"
    SHIPSTATION_SHIPMENT = "shipstation_shipment"
    SHIPSTATION_CUSTOMER = "shipstation_customer"
    TRACKING_NUMBER = "tracking_number"
    BOOKS_CONTACT = "books_contact"
    BOOKS_JOURNAL = "books_journal"


Ref = tuple[str, str]


Pair = tuple[str, str, str, str]
"""A link as stored: (kind_a, ref_a, kind_b, ref_b), the two identities in order."""


def ordered(a: Ref, b: Ref) -> Pair | None:
    """The stored form of "``a`` is ``b``" (one row whichever way round it is said); None when they are one."""
    if a == b:
        return None
    (kind_a, ref_a), (kind_b, ref_b) = sorted((a, b))
    return kind_a, ref_a, kind_b, ref_b


async def link(session: AsyncSession, tenant_id: uuid.UUID, a: Ref, b: Ref, record_id: uuid.UUID | None = None) -> None:
    """Record that ``a`` and ``b`` name the same business object (idempotent)."""
    pair = ordered(a, b)
    if pair is None:
        return
    kind_a, ref_a, kind_b, ref_b = pair
    await session.execute(
        insert(Link)
        .values(tenant_id=tenant_id, kind_a=kind_a, ref_a=ref_a, kind_b=kind_b, ref_b=ref_b, record_id=record_id)
        .on_conflict_do_nothing()
    )


async def connected(session: AsyncSession, start: Ref, max_hops: int = 8) -> dict[str, set[str]]:
    """Every identity reachable from ``start`` (itself included), by kind."""
    seen: set[Ref] = {start}
    frontier: deque[tuple[Ref, int]] = deque([(start, 0)])
    while frontier:
        (kind, ref), hops = frontier.popleft()
        if hops >= max_hops:
            continue
        rows = (
            await session.execute(
                select(Link.kind_a, Link.ref_a, Link.kind_b, Link.ref_b).where(
                    or_((Link.kind_a == kind) & (Link.ref_a == ref), (Link.kind_b == kind) & (Link.ref_b == ref))
                )
            )
        ).all()
        for ka, ra, kb, rb in rows:
            for other in ((ka, ra), (kb, rb)):
                if other not in seen:
                    seen.add(other)
                    frontier.append((other, hops + 1))
    found: dict[str, set[str]] = {}
    for kind, ref in seen:
        found.setdefault(kind, set()).add(ref)
    return found
