"""The data layer on the real PostgreSQL server: migrations, database creation, tenant-scoped sessions."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from connectors.settings import Settings
from tenants.db import make_engine, make_sessions, tenant_session
from tenants.migrate import alembic_config, drop_database_async, ensure_database

VERSIONS = Path(__file__).resolve().parents[2] / "tenants" / "migrations" / "versions"


async def test_migrations_reach_head_and_create_the_tenants_table(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url))
    async with engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        columns = (
            await conn.execute(text("SELECT column_name FROM information_schema.columns WHERE table_name = 'tenants'"))
        ).scalars()
    await engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert version == sorted(p.name for p in VERSIONS.glob("0*.py"))[-1][:4]
    assert {"id", "slug", "name", "created_at"} <= set(columns)


async def test_tenant_session_acts_for_exactly_one_tenant(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url))
    sessions = make_sessions(engine)
    tenant = uuid.uuid4()
    async with tenant_session(sessions, tenant) as session:
        inside = (await session.execute(text("SELECT current_tenant_id()"))).scalar_one()
    async with sessions() as session:
        outside = (await session.execute(text("SELECT current_tenant_id()"))).scalar_one()
    await engine.dispose()
    assert inside == tenant
    assert outside is None


async def test_ensure_database_creates_an_absent_database_once() -> None:
    base = Settings.from_env().database_url.rsplit("/", 1)[0]
    url = f"{base}/connectors_scratch_{uuid.uuid4().hex[:8]}"
    try:
        assert await ensure_database(url) is True
        assert await ensure_database(url) is False
    finally:
        await drop_database_async(url)


async def test_unreachable_postgres_is_reported_with_how_to_start_it() -> None:
    with pytest.raises(ConnectionError, match=r"127\.0\.0\.1:1 .*pg_ctlcluster"):
        await ensure_database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
