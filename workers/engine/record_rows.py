"""A record's transitions straight on asyncpg, for the worker's hot path (``pg.tenant_tx``).

    locked = await lock(db, record_id)              # one round trip: the row, locked, and its chain's last link
    entry = records.advanced(locked.record, ...)    # the transition itself, pure (``records``)
    await write(db, locked, [entry], links=[...])   # one round trip: what changed, the audit events, the links

The same rows and audit events as ``records``' session functions, which apply the same transitions: the record
row is locked before its journal grows, so appends never race and every hash follows from the one before.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tenants.models import Record
from workers.engine.audit import Event, chain
from workers.engine.links import Pair
from workers.engine.records import Entry

COLUMNS = (
    "id",
    "tenant_id",
    "flow",
    "source_ref",
    "run_id",
    "state",
    "step",
    "attempts",
    "reason",
    "last_error",
    "target_refs",
    "payload",
    "next_attempt_at",
    "created_at",
    "updated_at",
)
CHANGEABLE = ("state", "step", "attempts", "reason", "last_error", "target_refs", "payload", "next_attempt_at")
"""What a transition may change; only the columns it did change are written."""
JSON_COLUMNS = frozenset({"target_refs", "payload"})

LOCK = (
    "SELECT r.id, r.tenant_id, r.flow, r.source_ref, r.run_id, r.state, r.step, r.attempts, r.reason, r.last_error,"
    " r.target_refs, r.payload, r.next_attempt_at, r.created_at, r.updated_at, e.seq AS last_seq, e.hash AS last_hash"
    " FROM records r LEFT JOIN LATERAL"
    " (SELECT seq, hash FROM record_events WHERE record_id = r.id ORDER BY seq DESC LIMIT 1) e ON true"
    " WHERE r.id = $1 FOR UPDATE OF r"
)
LOCK_WITH_SETTINGS = (
    "SELECT r.id, r.tenant_id, r.flow, r.source_ref, r.run_id, r.state, r.step, r.attempts, r.reason, r.last_error,"
    " r.target_refs, r.payload, r.next_attempt_at, r.created_at, r.updated_at, e.seq AS last_seq, e.hash AS last_hash,"
    " (SELECT jsonb_object_agg(key, value) FROM tenant_settings) AS settings"
    " FROM records r LEFT JOIN LATERAL"
    " (SELECT seq, hash FROM record_events WHERE record_id = r.id ORDER BY seq DESC LIMIT 1) e ON true"
    " WHERE r.id = $1 FOR UPDATE OF r"
)
RECEIVE = (
    "WITH r AS (INSERT INTO records (id, tenant_id, flow, source_ref, payload, run_id, state)"
    " VALUES ($1, $2, $3, $4, $5, $6, 'pending') ON CONFLICT ON CONSTRAINT records_one_per_source DO NOTHING"
    " RETURNING id, tenant_id, flow, source_ref, run_id, state, step, attempts, reason, last_error, target_refs,"
    " payload, next_attempt_at, created_at, updated_at),"
    " ev AS (INSERT INTO record_events (tenant_id, record_id, seq, kind, at, data, prev_hash, hash)"
    " SELECT r.tenant_id, r.id, $7, $8, $9, $10, $11, $12 FROM r)"
    " SELECT * FROM r"
)
"""The record and its first audit event ("received") in one statement; neither when the source is known."""
RECEIVED = (
    "SELECT id, tenant_id, flow, source_ref, run_id, state, step, attempts, reason, last_error, target_refs, payload,"
    " next_attempt_at, created_at, updated_at FROM records WHERE flow = $1 AND source_ref = $2 FOR UPDATE"
)


@dataclass
class Locked:
    """A record row locked in the current transaction, with what ``write`` needs to extend it."""

    record: Record
    last: Event | None
    """The last link of its audit chain (only ``seq`` and ``hash`` are read); None before its first event."""
    stored: dict[str, Any] = field(default_factory=dict)
    """The changeable columns as the row holds them, to write only what a transition changed."""
    settings: dict[str, Any] | None = None
    """The tenant's stored settings (key → value), when locked ``with_settings``."""


def _record(row: Any) -> Record:
    return Record(**{c: row[c] for c in COLUMNS})


def _stored(record: Record) -> dict[str, Any]:
    return {c: getattr(record, c) for c in CHANGEABLE}


def _locked(row: Any, record: Record, settings: dict[str, Any] | None = None) -> Locked:
    seq, last_hash = row.get("last_seq"), row.get("last_hash")
    last = Event(str(record.id), seq, "", datetime.now(UTC), {}, b"", bytes(last_hash)) if seq else None
    return Locked(record, last, _stored(record), settings)


async def lock(db: Any, record_id: uuid.UUID, *, with_settings: bool = False) -> Locked | None:
    """The record locked for this transaction (None when it is gone), and the tenant's settings if asked."""
    row = await db.fetchrow(LOCK_WITH_SETTINGS if with_settings else LOCK, record_id)
    if row is None:
        return None
    record = _record(row)
    return _locked(row, record, (row["settings"] or {}) if with_settings else None)


async def receive(
    db: Any, tenant_id: uuid.UUID, flow: str, source_ref: str, payload: dict[str, Any], run_id: uuid.UUID | None = None
) -> tuple[Record, bool]:
    """``records.receive``: the record for this source in this flow, created on first sight (True)."""
    record_id = uuid.uuid4()
    event = chain(
        None, str(record_id), "received", datetime.now(UTC), {"flow": flow, "source": source_ref, "payload": payload}
    )
    row = await db.fetchrow(
        RECEIVE,
        record_id,
        tenant_id,
        flow,
        source_ref,
        json.dumps(payload),
        run_id,
        event.seq,
        event.kind,
        event.at,
        json.dumps(event.data),
        event.prev_hash,
        event.hash,
    )
    if row is None:
        return _record(await db.fetchrow(RECEIVED, flow, source_ref)), False
    return _record(row), True


EVENT_FIELDS = 6
"""Parameters per audit event after the tenant and record ($1, $2): seq, kind, at, data, prev_hash, hash."""


@lru_cache(maxsize=64)
def _write_sql(events: int, links: bool, changed: tuple[str, ...]) -> str:
    """Events, links and the record's changed columns in one statement (data-modifying CTEs all run).
    Parameters: tenant, record, each event's fields, then four link arrays if any, then the changed values."""
    rows = ", ".join(
        "($1, $2, " + ", ".join(f"${3 + EVENT_FIELDS * i + f}" for f in range(EVENT_FIELDS)) + ")"
        for i in range(events)
    )
    parts = [
        f"ev AS (INSERT INTO record_events (tenant_id, record_id, seq, kind, at, data, prev_hash, hash) VALUES {rows})"  # noqa: S608 (placeholders only)
    ]
    n = 3 + EVENT_FIELDS * events
    if links:
        parts.append(
            "ln AS (INSERT INTO links (tenant_id, kind_a, ref_a, kind_b, ref_b, record_id)"  # noqa: S608 (placeholders only)
            " SELECT $1, l.kind_a, l.ref_a, l.kind_b, l.ref_b, $2"
            f" FROM unnest(${n}::text[], ${n + 1}::text[], ${n + 2}::text[], ${n + 3}::text[])"
            " AS l(kind_a, ref_a, kind_b, ref_b) ON CONFLICT DO NOTHING)"
        )
        n += 4
    if not changed:
        return f"WITH {', '.join(parts)} SELECT 1"
    sets = ", ".join(f"{column} = ${n + i}" for i, column in enumerate(changed))
    return f"WITH {', '.join(parts)} UPDATE records SET {sets}, updated_at = now() WHERE id = $2"  # noqa: S608 (column names from CHANGEABLE)


async def write(db: Any, locked: Locked, entries: list[Entry], links: list[Pair] | None = None) -> list[Event]:
    """Keep what the transitions changed in ``locked.record``, append their audit ``entries`` after the last link,
    and store ``links`` (their record is this one); ``locked`` then describes the row as written."""
    record = locked.record
    now = _stored(record)
    changed = tuple(c for c in CHANGEABLE if now[c] != locked.stored[c])
    args: list[Any] = [record.tenant_id, record.id]
    events, last = [], locked.last
    for kind, data in entries:
        last = chain(last, str(record.id), kind, datetime.now(UTC), data)
        events.append(last)
        args += [last.seq, last.kind, last.at, json.dumps(last.data), last.prev_hash, last.hash]
    if links:
        args += [list(column) for column in zip(*links, strict=True)]
    args += [json.dumps(now[c]) if c in JSON_COLUMNS else now[c] for c in changed]
    await db.execute(_write_sql(len(events), bool(links), changed), *args)
    locked.last, locked.stored = last, now
    return events
