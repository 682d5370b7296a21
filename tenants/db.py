"""The async engine and sessions (SQLAlchemy 2 on asyncpg).

Every tenant-owned query runs inside ``tenant_session(tenant_id)``, which sets the transaction-local
``app.tenant_id`` setting that row-level security policies read (see ARCHITECTURE.md, Data).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from connectors.settings import Settings


def make_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    """The owner's engine: migrations and cross-tenant maintenance (key rotation)."""
    return create_async_engine(settings.database_url, pool_pre_ping=True, **kwargs)


def make_app_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    """The application's engine, as the role row-level security binds to one tenant per transaction.

    No ping before each checkout (asyncpg's costs three round trips, on the hot path of every record step);
    connections are recycled instead, and a transaction that meets a dropped connection fails like any other
    I/O — its record is retried."""
    kwargs.setdefault("pool_recycle", 600)
    return create_async_engine(settings.app_url, **kwargs)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def tenant_session(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """A session in one transaction that acts for exactly one tenant; commits on success."""
    async with sessions() as session, session.begin():
        await session.execute(text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)})
        yield session
