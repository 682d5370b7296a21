"""Row-level security: every tenant table is isolated, through a role that is neither owner nor superuser."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tenants.db import tenant_session
from tests.conftest import Database


@pytest.fixture
def engines(db: Database) -> tuple[AsyncEngine, AsyncEngine]:
    return db.owner, db.app


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


async def test_a_tenant_sees_and_writes_only_its_own_rows(db: Database) -> None:
    a, b, sessions = await db.new_tenant(), await db.new_tenant(), db.sessions
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
