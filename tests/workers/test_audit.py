"""The audit log: hash-chained, secrets removed, append-only for the application, tampering detected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tenants.db import tenant_session
from tenants.models import Record
from tests.conftest import Database
from workers.engine import journal
from workers.engine.audit import chain, first_break

IST = timezone(timedelta(hours=5, minutes=30))


def test_a_chain_verifies_and_any_change_breaks_it_from_that_event_on() -> None:
    at = datetime(2026, 11, 23, 10, 0, tzinfo=IST)
    events = [chain(None, "r1", "received", at, {"salesorder_id": "4815000000044895"})]
    events.append(chain(events[-1], "r1", "sent", at, {"order": {"sub_total": Decimal("1299.50")}}))
    events.append(chain(events[-1], "r1", "answered", at, {"status": 200}))
    assert first_break(events) is None
    assert events[1].data == {"order": {"sub_total": "1299.50"}}  # money stays exact
    forged = [
        events[0],
        events[1].__class__(**{**events[1].__dict__, "data": {"order": {"sub_total": "1.00"}}}),
        events[2],
    ]
    assert first_break(forged) == 2
    assert first_break([events[0], events[2]]) == 2


def test_secrets_are_removed_before_hashing_and_storing() -> None:
    event = chain(None, "r1", "sent", datetime.now(UTC), {"headers": {"Authorization": "Bearer abc.def.ghi"}, "x": 1})
    assert event.data == {"headers": {"Authorization": "[redacted]"}, "x": 1}


def test_bad_events_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="time zone"):
        chain(None, "r1", "sent", datetime(2026, 1, 1), {})
    with pytest.raises(ValueError, match="unknown audit event kind 'shouted'"):
        chain(None, "r1", "shouted", datetime.now(UTC), {})


async def test_stored_events_verify_and_the_app_role_can_only_append(db: Database) -> None:
    tenant, sessions, owner = await db.new_tenant(), db.sessions, db.owner
    async with tenant_session(sessions, tenant) as session:
        record = Record(tenant_id=tenant, flow="fulfilment", source_ref="SO-00001")
        session.add(record)
        await session.flush()
        await journal.append(session, record, "received", {"event": "salesorder.confirmed"}, datetime.now(IST))
        await journal.append(session, record, "sent", {"cod": Decimal("499.00")})
        await journal.append(session, record, "answered", {"awb": "SR123456789"})
        record_id = record.id
    async with tenant_session(sessions, tenant) as session:
        assert await journal.verify(session, record_id) is None
    with pytest.raises(DBAPIError, match="permission denied"):
        async with tenant_session(sessions, tenant) as session:
            await session.execute(text("UPDATE record_events SET data = '{}' WHERE record_id = :r"), {"r": record_id})
    async with owner.begin() as conn:  # someone with the owner's rights rewrites history
        await conn.execute(
            text('UPDATE record_events SET data = \'{"cod": "1.00"}\' WHERE record_id = :r AND seq = 2'),
            {"r": record_id},
        )
    async with tenant_session(sessions, tenant) as session:
        assert await journal.verify(session, record_id) == 2
