"""Row-level security: every tenant table is isolated, through a role that is neither owner nor superuser."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.settings import Settings
from tenants.db import make_app_engine, make_engine, make_sessions, tenant_session


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    settings = Settings(database_url=database_url)
    owner, app = make_engine(settings), make_app_engine(settings)
    yield owner, app
    await owner.dispose()
    await app.dispose()


async def _tenant(owner: AsyncEngine, slug: str) -> uuid.UUID:
    tenant = uuid.uuid4()
    async with owner.begin() as conn:
        await conn.execute(
            text("INSERT INTO tenants (id, slug, name) VALUES (:id, :slug, :slug)"), {"id": tenant, "slug": slug}
        )
    return tenant


async def test_every_tenant_table_has_forced_row_level_security(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    owner, _ = engines
    async with owner.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                           EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS (
                        SELECT 1 FROM information_schema.columns col
                        WHERE col.table_name = c.relname AND col.column_name = 'tenant_id')
                    """
                )
            )
        ).all()
    assert rows, "no tenant tables found"
    unprotected = [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity and r.has_policy)]
    assert unprotected == []


async def test_the_app_role_is_neither_owner_nor_superuser(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    _, app = engines
    async with app.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        owns = (await conn.execute(text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user"))).scalar_one()
    assert row.current_user == "connectors_app" and not row.rolsuper and not row.rolbypassrls
    assert owns == 0


async def test_a_tenant_sees_and_writes_only_its_own_rows(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    owner, app = engines
    a, b = await _tenant(owner, f"a-{uuid.uuid4().hex[:6]}"), await _tenant(owner, f"b-{uuid.uuid4().hex[:6]}")
    sessions = make_sessions(app)
    insert = text(
        "INSERT INTO connections (id, tenant_id, provider, region, environment, display_name, api_base_url) "
        "VALUES (:id, :tenant, 'shipstation', 'us', 'sandbox', 'ss', 'http://x')"
    )
    async with tenant_session(sessions, a) as session:
        await session.execute(insert, {"id": uuid.uuid4(), "tenant": a})
    async with tenant_session(sessions, b) as session:
        seen = (await session.execute(text("SELECT count(*) FROM connections"))).scalar_one()
    assert seen == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        async with tenant_session(sessions, b) as session:
            await session.execute(insert, {"id": uuid.uuid4(), "tenant": a})
    async with sessions() as session:
        outside = (await session.execute(text("SELECT count(*) FROM connections"))).scalar_one()
    assert outside == 0
