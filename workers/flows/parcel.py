"""One parcel at a time: every attempt that reads and writes a parcel's shipment status (a tracking event, the
fulfilment's final write-back) holds the parcel's lock, so two of them never interleave and move it backwards."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager

from workers.engine.links import Kind
from workers.engine.pg import tenant_tx
from workers.flows import locks
from workers.flows.context import FlowContext

TRACKING = "tracking"
"""The tracking flow's name: its records are where a parcel's decided statuses are kept."""
SOURCE = Kind.SHIPROCKET_TRACKING


def lock_key(tenant_id: uuid.UUID, awb: str) -> int:
    """A signed 64-bit advisory-lock key for one tenant's parcel."""
    return locks.key_of(tenant_id, f"tracking:{awb}")


LOCK_WAIT = locks.WAIT
"""Seconds an attempt waits for its parcel's lock before it gives the record back for a retry."""


def parcel_lock(ctx: FlowContext, awb: str, wait: float = LOCK_WAIT) -> AbstractAsyncContextManager[None]:
    """Run the attempt holding the parcel's advisory lock (``locks.held``)."""
    return locks.held(ctx, f"tracking:{awb}", what=f"parcel {awb}", wait=wait)


async def furthest_decided(ctx: FlowContext, awb: str) -> tuple[int, str] | None:
    """The highest-ranked status a tracking record of this parcel (other than this one) decided forward
    (rank, words); None while no tracking event moved it."""
    async with tenant_tx(ctx.services.sessions, ctx.tenant_id) as db:
        rows = await db.fetch(FORWARD_DECIDED, TRACKING, f"{_like_escaped(f'{SOURCE}:{awb}:')}%", ctx.record.id)
    decided = [(int(refs["rank"]), str(refs["words"])) for refs in (row["target_refs"] for row in rows)]
    return max(decided) if decided else None


FORWARD_DECIDED = (
    "SELECT target_refs FROM records WHERE flow = $1 AND source_ref LIKE $2 ESCAPE '/' AND id <> $3"
    " AND target_refs ->> 'decision' = 'forward'"
)


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE (with ESCAPE '/')."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")
