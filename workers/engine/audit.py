"""The hash chain of a record's audit log: pure functions, no I/O.

Each event's hash covers the previous event's hash and the event itself in a canonical JSON form, so
changing, removing or reordering any stored event breaks every hash after it. Event data has its secrets
removed before it is hashed and stored (``connectors.logs.redact``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.logs import redact

GENESIS = bytes(32)
KINDS = ("received", "sent", "answered", "decided", "failed", "dead_lettered", "replayed", "alerted", "note")


@dataclass(frozen=True)
class Event:
    record_id: str
    seq: int
    kind: str
    at: datetime
    data: dict[str, Any]
    prev_hash: bytes
    hash: bytes


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact: never through float
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot put {type(value).__name__} into an audit event")


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """The event data as stored: secrets redacted, and only JSON values (Decimals as exact strings)."""
    redacted = redact(data)
    result: dict[str, Any] = json.loads(json.dumps(redacted, default=_default))
    return result


def digest(prev_hash: bytes, record_id: str, seq: int, kind: str, at: datetime, data: dict[str, Any]) -> bytes:
    if at.tzinfo is None:
        raise ValueError("audit times must carry a time zone")
    body = json.dumps(
        {"record": record_id, "seq": seq, "kind": kind, "at": at.isoformat(), "data": data},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_default,
    ).encode()
    return hashlib.sha256(prev_hash + body).digest()


def chain(prev: Event | None, record_id: str, kind: str, at: datetime, data: dict[str, Any]) -> Event:
    """The next event after ``prev`` (None for the first)."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}; use one of {', '.join(KINDS)}")
    if at.tzinfo is None:
        raise ValueError("audit times must carry a time zone")
    at = at.astimezone(UTC)  # as PostgreSQL gives it back, so the hash verifies after a round trip
    seq = prev.seq + 1 if prev else 1
    prev_hash = prev.hash if prev else GENESIS
    stored = clean(data)
    return Event(record_id, seq, kind, at, stored, prev_hash, digest(prev_hash, record_id, seq, kind, at, stored))


def first_break(events: list[Event]) -> int | None:
    """The sequence number of the first event that does not follow from the ones before it, or None."""
    prev_hash, expected = GENESIS, 1
    for event in sorted(events, key=lambda e: e.seq):
        if event.seq != expected or event.prev_hash != prev_hash:
            return expected
        if event.hash != digest(prev_hash, event.record_id, event.seq, event.kind, event.at, event.data):
            return event.seq
        prev_hash, expected = event.hash, expected + 1
    return None
