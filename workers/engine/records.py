"""A record's life in PostgreSQL — the truth of where each business object is; Redis only carries jobs.

    pending ──begin──▶ running ──succeed──▶ succeeded      (or ──skip──▶ skipped: nothing to do)
       ▲                  │
       └──── fail (retry, with next_attempt_at) ◀┘──── fail (attempts used up / not retryable) ──▶ dead
    dead ──replay──▶ pending          (the same record, the same keys: never a second invoice)

Every transition appends to the record's hash-chained audit log. The sweeper re-enqueues ``due()`` records,
so a job Redis lost is run again. Each transition is a pure function (``begun``, ``advanced``, ``failed``...)
that changes the record in memory and names its audit entry, and a session function that appends it here;
``record_rows`` applies the same transitions straight on asyncpg, on the worker's hot path.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.models import Record
from workers.engine import journal
from workers.engine.outcomes import Outcome, Verdict, after_attempts, backoff

MAX_ATTEMPTS = 8
RETRY_SCALE = float(os.environ.get("CONNECTORS_RETRY_SCALE", "1"))
"""Compressed clock for tests and demos: every retry delay is multiplied by this (1 in production)."""


class TransitionRefused(Exception):
    """The record is not in a state that allows this transition."""


async def receive(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    flow: str,
    source_ref: str,
    payload: dict[str, Any],
    run_id: uuid.UUID | None = None,
) -> tuple[Record, bool]:
    """The record for this source in this flow, created on first sight (True) — a duplicate changes nothing."""
    inserted = (
        await session.execute(
            insert(Record)
            .values(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                flow=flow,
                source_ref=source_ref,
                payload=payload,
                run_id=run_id,
                state="pending",
            )
            .on_conflict_do_nothing(constraint="records_one_per_source")
            .returning(Record.id)
        )
    ).scalar_one_or_none()
    record = (
        await session.execute(
            select(Record).where(Record.flow == flow, Record.source_ref == source_ref).with_for_update()
        )
    ).scalar_one()
    if inserted is not None:
        await journal.append(session, record, "received", {"flow": flow, "source": source_ref, "payload": payload})
    return record, inserted is not None


Entry = tuple[str, dict[str, Any]]
"""What a transition puts in the record's audit log: the event's kind and data."""


def begun(record: Record) -> Entry:
    """``begin`` without the I/O: the record changed in memory, the audit entry to append."""
    if record.state not in ("pending", "running"):  # running: a worker died mid-attempt; this is the retry
        raise TransitionRefused(f"record {record.id} is {record.state}; only pending records run")
    record.state, record.attempts = "running", record.attempts + 1
    return "decided", {"attempt": record.attempts, "step": record.step}


def advanced(record: Record, step: str, target_refs: dict[str, str]) -> Entry:
    record.step = step
    record.target_refs = {**(record.target_refs or {}), **target_refs}
    return "decided", {"step": step, "refs": target_refs}


def succeeded(record: Record) -> Entry:
    record.state, record.reason, record.last_error, record.next_attempt_at = "succeeded", None, None, None
    return "decided", {"state": "succeeded", "refs": record.target_refs}


def skipped(record: Record, why: str) -> Entry:
    record.state, record.reason, record.last_error, record.next_attempt_at = "skipped", None, None, None
    return "decided", {"state": "skipped", "why": why}


def failed(
    record: Record,
    verdict: Verdict,
    *,
    retry_after: float | None = None,
    max_attempts: int | None = None,
    now: datetime | None = None,
) -> tuple[Verdict, Entry]:
    """``fail`` without the I/O: the final verdict, the record changed in memory, the audit entry to append."""
    final = after_attempts(verdict, record.attempts, max_attempts or MAX_ATTEMPTS)
    record.last_error = final.message
    if final.outcome is Outcome.DEAD_LETTER:
        record.state, record.reason, record.next_attempt_at = "dead", str(final.reason), None
        return final, ("dead_lettered", {"reason": record.reason, "error": final.message})
    delay = backoff(record.attempts, retry_after) * RETRY_SCALE
    record.state, record.next_attempt_at = "pending", (now or datetime.now(UTC)) + timedelta(seconds=delay)
    return final, ("failed", {"outcome": str(final.outcome), "error": final.message, "retry_in_s": delay})


async def begin(session: AsyncSession, record: Record) -> None:
    await journal.append(session, record, *begun(record))


async def advance(session: AsyncSession, record: Record, step: str, target_refs: dict[str, str]) -> None:
    """A step is done: remember what it created, so a retry starts after it."""
    await journal.append(session, record, *advanced(record, step, target_refs))


async def succeed(session: AsyncSession, record: Record) -> None:
    await journal.append(session, record, *succeeded(record))


async def skip(session: AsyncSession, record: Record, why: str) -> None:
    """Nothing to do for this record (already done elsewhere): it ends without being counted as a failure."""
    await journal.append(session, record, *skipped(record, why))


async def fail(
    session: AsyncSession,
    record: Record,
    verdict: Verdict,
    *,
    retry_after: float | None = None,
    max_attempts: int | None = None,
    now: datetime | None = None,
) -> Verdict:
    """Schedule a retry, or dead-letter with the verdict's reason once retrying is pointless or used up."""
    final, entry = failed(record, verdict, retry_after=retry_after, max_attempts=max_attempts, now=now)
    await journal.append(session, record, *entry)
    return final


async def replay(session: AsyncSession, record: Record, by: str, reason: str) -> None:
    """Send a dead record round again from the step it failed at; who and why go into the audit log."""
    if record.state != "dead":
        raise TransitionRefused(f"record {record.id} is {record.state}; only dead-lettered records are replayed")
    if not reason.strip():
        raise TransitionRefused("a replay needs a reason")
    record.state, record.next_attempt_at, record.attempts = "pending", None, 0
    record.payload = {**(record.payload or {}), REPLAYS: replays(record) + 1}
    await journal.append(session, record, "replayed", {"by": by, "reason": reason, "from_step": record.step})


REPLAYS = "_replays"
"""Kept in the payload: how often the record was replayed (its attempts count from 1 again each time)."""


def replays(record: Record) -> int:
    return int((record.payload or {}).get(REPLAYS, 0))


async def due(
    session: AsyncSession, now: datetime, limit: int = 500, stale_after: timedelta = timedelta(hours=1)
) -> list[Record]:
    """Pending records whose time has come, and running ones abandoned (their worker died)."""
    stale = now - stale_after
    stmt = (
        select(Record)
        .where(
            or_(
                (Record.state == "pending") & or_(Record.next_attempt_at.is_(None), Record.next_attempt_at <= now),
                (Record.state == "running") & (Record.updated_at < stale),
            )
        )
        .order_by(Record.next_attempt_at.nulls_first(), Record.created_at)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())
