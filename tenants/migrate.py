"""``connectors migrate``: create the database if it is absent, then run Alembic to a revision."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, make_url

from connectors.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings, revision: str = "head") -> None:
    asyncio.run(ensure_database(settings.database_url))
    command.upgrade(alembic_config(settings.database_url), revision)


async def ensure_database(database_url: str) -> bool:
    """Create the database named in the URL if it does not exist. True when it was created."""
    url = make_url(database_url)
    name = url.database
    if not name:
        raise ValueError(f"the database URL names no database: {url.render_as_string(hide_password=True)}")
    conn = await _connect_maintenance(url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{_identifier(name)}"')
        return not exists
    finally:
        await conn.close()


async def drop_database_async(database_url: str) -> None:
    url = make_url(database_url)
    conn = await _connect_maintenance(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_identifier(url.database or "")}" WITH (FORCE)')
    finally:
        await conn.close()


def drop_database(database_url: str) -> None:
    asyncio.run(drop_database_async(database_url))


async def _connect_maintenance(url: URL) -> Any:
    try:
        return await asyncpg.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            database="postgres",
            timeout=5,
        )
    except (TimeoutError, OSError) as exc:
        where = f"{url.host or '127.0.0.1'}:{url.port or 5432}"
        raise ConnectionError(
            f"PostgreSQL is not reachable at {where} ({exc}). Start it with "
            "'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', "
            "or point CONNECTORS_DATABASE_URL at a running server."
        ) from exc


def _identifier(name: str) -> str:
    if not name or '"' in name or "\x00" in name:
        raise ValueError(f"unsafe database name: {name!r}")
    return name
