"""Links: any one reference of an order finds all of its identities, within its tenant only."""

from __future__ import annotations

from tenants.db import tenant_session
from tests.conftest import Database
from workers.engine.links import Kind, connected, link


async def test_an_awb_finds_the_sales_order_invoice_payment_and_remittance(db: Database) -> None:
    a, b, sessions = await db.new_tenant(), await db.new_tenant(), db.sessions
    so = (Kind.ZOHO_SALESORDER, "4815000000044895")
    async with tenant_session(sessions, a) as session:
        await link(session, a, so, (Kind.SHIPROCKET_ORDER, "16161616"))
        await link(session, a, (Kind.SHIPROCKET_ORDER, "16161616"), (Kind.SHIPROCKET_SHIPMENT, "15151515"))
        await link(session, a, (Kind.SHIPROCKET_SHIPMENT, "15151515"), (Kind.AWB, "SR123456789"))
        await link(session, a, so, (Kind.BOOKS_INVOICE, "INV-000042"))
        await link(session, a, (Kind.BOOKS_INVOICE, "INV-000042"), (Kind.BOOKS_PAYMENT, "PAY-7"))
        await link(session, a, (Kind.BOOKS_PAYMENT, "PAY-7"), (Kind.REMITTANCE, "CRF-9"))
        await link(session, a, so, (Kind.SHIPROCKET_ORDER, "16161616"))  # again: no duplicate, no error
    async with tenant_session(sessions, a) as session:
        found = await connected(session, (Kind.AWB, "SR123456789"))
    assert found[Kind.ZOHO_SALESORDER] == {"4815000000044895"}
    assert found[Kind.BOOKS_INVOICE] == {"INV-000042"} and found[Kind.REMITTANCE] == {"CRF-9"}
    async with tenant_session(sessions, b) as session:
        assert await connected(session, (Kind.AWB, "SR123456789")) == {Kind.AWB: {"SR123456789"}}
