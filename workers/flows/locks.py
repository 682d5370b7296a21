"""One attempt at a time on a business object: a PostgreSQL advisory lock named by the object (a parcel's AWB,
a ShipStation order, a customer's email), held for the part of an attempt that reads and then writes it.

    async with held(ctx, f"tracking:{awb}", what=f"parcel {awb}"):
        ...   # the attempt's own transactions run on the lock's connection, each committing on its own

A worker that dies drops its connection and the lock with it. An attempt that waits longer than ``wait``
gives its record back for a retry rather than holding a job slot.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from workers.calls import CallFailed
from workers.engine.outcomes import Outcome, Verdict
from workers.engine.pg import driver_of, one_connection
from workers.flows.context import FlowContext

WAIT = 60.0
"""Seconds an attempt waits for a lock before it gives the record back for a retry."""


def key_of(tenant_id: uuid.UUID, name: str) -> int:
    """A signed 64-bit advisory-lock key for one tenant's named object."""
    digest = hashlib.blake2b(f"{name.partition(':')[0]}:{tenant_id}:{name.partition(':')[2]}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


@asynccontextmanager
async def held(ctx: FlowContext, name: str, *, what: str, wait: float = WAIT) -> AsyncIterator[None]:
    """Run the block holding ``name``'s lock, on one pooled connection that the block's own transactions use
    too (the attempt's own, when it holds one), so an attempt needs one connection whether it waits or works.
    Not re-entrant: take one at a time."""
    key = key_of(ctx.tenant_id, name)
    async with one_connection(ctx.services.sessions) as sessions:
        connection: AsyncConnection = sessions.kw["bind"]
        # Taken and given back outside any transaction (session-level), straight on the driver: one round trip each.
        driver: Any = await driver_of(sessions)
        deadline, pause = asyncio.get_running_loop().time() + wait, 0.02
        while not await driver.fetchval(TRY_LOCK, key):
            if asyncio.get_running_loop().time() > deadline:
                raise CallFailed(Verdict(Outcome.RETRY, None, f"{what} is busy (another attempt on it runs)"))
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)
        shared = ctx.services
        ctx.services = replace(shared, sessions=sessions)
        try:
            yield
        finally:
            ctx.services = shared
            try:
                if connection.in_transaction():
                    await connection.rollback()
                await driver.fetchval(UNLOCK, key)
            except Exception:  # a broken connection: dropping it releases the lock (the steps are committed)
                await connection.invalidate()


TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
UNLOCK = "SELECT pg_advisory_unlock($1)"
