"""A record's life on the real PostgreSQL: received once, retried with backoff, dead-lettered, replayed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenants.db import tenant_session
from tests.conftest import Database
from workers.engine import journal, records
from workers.engine.outcomes import Reason, judge


@pytest.fixture
async def tenant(db: Database) -> tuple[async_sessionmaker[AsyncSession], uuid.UUID]:
    return db.sessions, await db.new_tenant()


async def test_a_duplicate_source_is_one_record(tenant: tuple[async_sessionmaker[AsyncSession], uuid.UUID]) -> None:
    sessions, tenant_id = tenant
    async with tenant_session(sessions, tenant_id) as session:
        first, created = await records.receive(session, tenant_id, "fulfilment", "SO-00001", {"salesorder_id": "1"})
        again, created_again = await records.receive(
            session, tenant_id, "fulfilment", "SO-00001", {"salesorder_id": "1"}
        )
        assert created and not created_again and first.id == again.id
        assert [e.kind for e in await journal.events(session, first.id)] == ["received"]


async def test_retries_back_off_then_dead_letter_and_replay_starts_again(
    tenant: tuple[async_sessionmaker[AsyncSession], uuid.UUID],
) -> None:
    sessions, tenant_id = tenant
    now = datetime.now(UTC)
    async with tenant_session(sessions, tenant_id) as session:
        record, _ = await records.receive(session, tenant_id, "fulfilment", "SO-00002", {})
        await records.begin(session, record)
        await records.advance(session, record, "shiprocket_order", {"shiprocket_order_id": "16161616"})
        verdict = await records.fail(session, record, judge("shiprocket", 503, "Service unavailable"), now=now)
        assert record.state == "pending" and record.next_attempt_at == now + timedelta(seconds=2)
        assert record.id not in [r.id for r in await records.due(session, now)]
        assert record.id in [r.id for r in await records.due(session, now + timedelta(seconds=3))]
        for _ in range(records.MAX_ATTEMPTS - 1):
            await records.begin(session, record)
            verdict = await records.fail(session, record, judge("shiprocket", 503, "Service unavailable"), now=now)
        assert (
            record.state == "dead"
            and verdict.reason is Reason.PROVIDER_REJECTED
            and "8 attempts" in (record.last_error or "")
        )
        with pytest.raises(records.TransitionRefused, match="needs a reason"):
            await records.replay(session, record, by="support@platform", reason=" ")
        await records.replay(session, record, by="support@platform", reason="Shiprocket outage over")
        assert record.state == "pending" and record.step == "shiprocket_order"  # resumes after the done step
        assert record.target_refs == {"shiprocket_order_id": "16161616"}
        assert await journal.verify(session, record.id) is None


async def test_a_rejected_request_is_dead_lettered_at_once_with_the_providers_message(
    tenant: tuple[async_sessionmaker[AsyncSession], uuid.UUID],
) -> None:
    sessions, tenant_id = tenant
    async with tenant_session(sessions, tenant_id) as session:
        record, _ = await records.receive(session, tenant_id, "fulfilment", "SO-00003", {})
        await records.begin(session, record)
        await records.fail(session, record, judge("shiprocket", 422, "The billing pincode field is required."))
        assert record.state == "dead" and record.reason == "provider_rejected"
        assert record.last_error == "The billing pincode field is required."
        with pytest.raises(records.TransitionRefused, match="only pending records run"):
            await records.begin(session, record)
