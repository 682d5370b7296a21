"""A record's audit log in PostgreSQL: append (serialised per record) and verify."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.models import Record, RecordEvent
from workers.engine.audit import Event, chain, first_break


def _event(row: RecordEvent) -> Event:
    return Event(str(row.record_id), row.seq, row.kind, row.at, row.data, row.prev_hash, row.hash)


_LAST = text(
    """SELECT e.seq, e.hash FROM records r
       LEFT JOIN LATERAL (SELECT seq, hash FROM record_events WHERE record_id = r.id ORDER BY seq DESC LIMIT 1) e
       ON true
       WHERE r.id = :record FOR UPDATE OF r"""
)


async def append(
    session: AsyncSession, record: Record, kind: str, data: dict[str, Any], at: datetime | None = None
) -> Event:
    """Add an event after the record's last one; the record row is locked so appends never race (one round
    trip for the lock and the last link of the chain, one for the insert: this is on every record step)."""
    seq, last_hash = (await session.execute(_LAST, {"record": record.id})).one()
    prev = Event(str(record.id), seq, "", datetime.now(UTC), {}, b"", bytes(last_hash)) if seq else None
    event = chain(prev, str(record.id), kind, at or datetime.now(UTC), data)
    await session.execute(
        insert(RecordEvent).values(
            tenant_id=record.tenant_id,
            record_id=record.id,
            seq=event.seq,
            kind=event.kind,
            at=event.at,
            data=event.data,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )
    )
    return event


async def events(session: AsyncSession, record_id: uuid.UUID) -> list[Event]:
    rows = (
        await session.execute(select(RecordEvent).where(RecordEvent.record_id == record_id).order_by(RecordEvent.seq))
    ).scalars()
    return [_event(r) for r in rows]


async def verify(session: AsyncSession, record_id: uuid.UUID) -> int | None:
    """None when the log is intact, else the first sequence number that was altered, removed or reordered."""
    return first_break(await events(session, record_id))
