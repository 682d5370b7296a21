"""One parcel at a time: every attempt that reads and writes a parcel's shipment status (a tracking event, the
fulfilment's final write-back) holds the parcel's lock, so two of them never interleave and move it backwards."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from tenants.db import tenant_session
from tenants.models import Record
from workers.calls import CallFailed
from workers.engine.links import Kind
from workers.engine.outcomes import Outcome, Verdict
from workers.flows.context import FlowContext

TRACKING = "tracking"
"""The tracking flow's name: its records are where a parcel's decided statuses are kept."""
SOURCE = Kind.SHIPROCKET_TRACKING


def lock_key(tenant_id: uuid.UUID, awb: str) -> int:
    """A signed 64-bit advisory-lock key for one tenant's parcel."""
    digest = hashlib.blake2b(f"tracking:{tenant_id}:{awb}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


LOCK_WAIT = 60.0
"""Seconds an attempt waits for its parcel's lock before it gives the record back for a retry."""


@asynccontextmanager
async def parcel_lock(ctx: FlowContext, awb: str, wait: float = LOCK_WAIT) -> AsyncIterator[None]:
    """Run the attempt holding the parcel's advisory lock, on one pooled connection that the attempt's own
    transactions then use too (each still commits on its own), so an attempt needs one connection whether it
    waits or works. A worker that dies drops the connection, and the lock with it."""
    engine: AsyncEngine = ctx.services.sessions.kw["bind"]
    key = lock_key(ctx.tenant_id, awb)
    async with engine.connect() as connection:
        deadline, pause = asyncio.get_running_loop().time() + wait, 0.02
        while not (await connection.execute(select(func.pg_try_advisory_lock(key)))).scalar_one():
            await connection.commit()
            if asyncio.get_running_loop().time() > deadline:
                raise CallFailed(Verdict(Outcome.RETRY, None, f"parcel {awb} is busy (another status of it runs)"))
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)
        await connection.commit()
        shared = ctx.services
        ctx.services = replace(shared, sessions=async_sessionmaker(connection, expire_on_commit=False))
        try:
            yield
        finally:
            ctx.services = shared
            try:
                if connection.in_transaction():
                    await connection.rollback()
                await connection.execute(select(func.pg_advisory_unlock(key)))
                await connection.commit()
            except Exception:  # a broken connection: dropping it releases the lock (the steps are committed)
                await connection.invalidate()


async def furthest_decided(ctx: FlowContext, awb: str) -> tuple[int, str] | None:
    """The highest-ranked status a tracking record of this parcel (other than this one) decided forward
    (rank, words); None while no tracking event moved it."""
    async with tenant_session(ctx.services.sessions, ctx.tenant_id) as session:
        rows = (
            await session.execute(
                select(Record.target_refs).where(
                    Record.flow == TRACKING,
                    Record.source_ref.startswith(f"{SOURCE}:{awb}:", autoescape=True),
                    Record.id != ctx.record.id,
                    Record.target_refs["decision"].astext == "forward",
                )
            )
        ).scalars()
        decided = [(int(refs["rank"]), str(refs["words"])) for refs in rows]
    return max(decided) if decided else None
