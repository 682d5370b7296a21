"""Tenant transactions straight on asyncpg, for the worker's hot path (a record's steps, the effect ledger).

    async with tenant_tx(services.sessions, tenant_id) as db:      # db: an asyncpg connection
        row = await db.fetchrow("SELECT ... FOR UPDATE", record_id)

The same pool, row-level security and all-or-nothing as ``tenants.db.tenant_session``, at a fraction of its
CPU: BEGIN and the tenant's ``set_config`` travel in one message, and statements skip the ORM, whose unit of
work and identity map cost several times the round trips they wrap (a record step is a few short transactions,
each on every order). The connection is the engine's pooled one, or, when ``sessions`` are bound to one
(``one_connection``: a record's attempt holds one for all its steps, and its advisory locks are taken on it),
that one. JSON columns go in as JSON text and come back decoded (the codecs SQLAlchemy's asyncpg dialect sets
on every pooled connection).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import greenlet_spawn


def _begin_for(tenant_id: uuid.UUID, read_only: bool) -> str:
    # One simple-protocol message for both: parameters are not allowed there, so the tenant is inlined, which
    # is safe for a UUID (re-parsed here: hex digits and dashes only).
    tenant = uuid.UUID(str(tenant_id))
    mode = " READ ONLY" if read_only else ""
    return f"BEGIN{mode}; SELECT set_config('app.tenant_id', '{tenant}', true)"


@asynccontextmanager
async def _transaction(db: Any, tenant_id: uuid.UUID, read_only: bool) -> AsyncIterator[Any]:
    await db.execute(_begin_for(tenant_id, read_only))
    try:
        yield db
    except BaseException:
        if not db.is_closed():
            await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")


@asynccontextmanager
async def tenant_tx(sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> AsyncIterator[Any]:
    """One transaction acting for exactly one tenant, on a raw asyncpg connection; commits on success."""
    bind = sessions.kw["bind"]
    read_only = bool(bind.sync_engine.get_execution_options().get("postgresql_readonly"))
    if isinstance(bind, AsyncConnection):  # a held connection (``one_connection``): its holder returns it
        async with _transaction(await driver_of(sessions), tenant_id, read_only) as db:
            yield db
        return
    engine: AsyncEngine = bind
    pooled = await engine.raw_connection()
    driver: Any = pooled.driver_connection
    healthy = False
    try:
        async with _transaction(driver, tenant_id, read_only) as db:
            yield db
        healthy = True
    except Exception:
        healthy = not driver.is_closed() and not driver.is_in_transaction()
        raise
    finally:
        # A connection left mid-transaction (a rollback that failed) is dropped, never handed to the next user.
        await greenlet_spawn(pooled.close if healthy else pooled.invalidate)


@asynccontextmanager
async def one_connection(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions whose every transaction (``tenant_tx`` and ORM sessions alike) runs on one pooled connection, held
    until the block ends: an attempt checks out one connection, not one per step. Already bound to one, they
    are handed back as they are (its holder returns it). A connection the block left broken is dropped."""
    bind = sessions.kw["bind"]
    if isinstance(bind, AsyncConnection):
        yield sessions
        return
    engine: AsyncEngine = bind
    async with engine.connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        try:
            yield async_sessionmaker(connection, expire_on_commit=False, info={_DRIVER: driver})
        finally:
            try:
                if connection.in_transaction():
                    await connection.rollback()
                broken = driver.is_closed() or driver.is_in_transaction()
            except Exception:
                broken = True
            if broken:
                await connection.invalidate()


_DRIVER = "connectors.driver_connection"
"""Where ``one_connection``'s sessions keep their asyncpg connection (found once, not on every transaction)."""


async def driver_of(sessions: async_sessionmaker[AsyncSession]) -> Any:
    """The asyncpg connection under sessions bound to one connection."""
    driver = sessions.kw.get("info", {}).get(_DRIVER)
    if driver is None:
        driver = (await sessions.kw["bind"].get_raw_connection()).driver_connection
    return driver
