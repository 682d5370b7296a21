"""Shared fixtures: provider sandboxes as real processes, and a throwaway PostgreSQL database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from connectors.core_client import Authed
from connectors.settings import Settings
from core.server import Core, start
from core.vault import Keyring
from sandbox.ports import free_port as free_port  # re-exported for the tests
from sandbox.ports import free_port_offset as free_port_offset

ROOT = Path(__file__).resolve().parent.parent


class SandboxProcesses:
    """Starts ``connectors sandbox --only NAME`` once per provider per test session, all at one port offset
    (so the core's provider catalogue resolves to them as it would to ``make up``'s sandboxes)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.offset = free_port_offset()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.infos: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> dict[str, Any]:
        if name not in self.infos:
            self.infos[name] = self._start(name)
        return self.infos[name]

    def fresh(self, name: str) -> dict[str, Any]:
        """The provider's info after a reset of its state, faults, clock and logs."""
        info = self.get(name)
        admin = info["admin_url"]
        # The clock first, so the re-seeded demo data is dated by real time.
        httpx.post(f"{admin}/clock", json={"reset": True}, timeout=10).raise_for_status()
        httpx.post(f"{admin}/reset", timeout=10).raise_for_status()
        return info

    def _start(self, name: str) -> dict[str, Any]:
        ready = self.workdir / f"{name}.json"
        argv = [sys.executable, "-m", "connectors.cli", "sandbox", "--only", name, "--ready-file", str(ready)]
        env = {**os.environ, "CONNECTORS_SANDBOX_PORT_OFFSET": str(self.offset)}
        with (self.workdir / f"{name}.log").open("wb") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        deadline = time.monotonic() + 60
        while not ready.exists():
            try:
                proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} sandbox not ready after 60 s") from None
                continue
            output = (self.workdir / f"{name}.log").read_text()
            raise RuntimeError(f"{name} sandbox exited with {proc.returncode}:\n{output}")
        info: dict[str, Any] = json.loads(ready.read_text())[name]
        return info

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcesses]:
    procs = SandboxProcesses(tmp_path_factory.mktemp("sandboxes"))
    yield procs
    procs.stop_all()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A throwaway database on the real PostgreSQL server, migrated to head, dropped afterwards."""
    from tenants.migrate import drop_database, migrate

    base = Settings.from_env().database_url.rsplit("/", 1)[0]
    url = f"{base}/connectors_test_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url)
    migrate(settings, "head")
    os.environ["CONNECTORS_DATABASE_URL"] = url
    yield url
    drop_database(url)


@dataclass
class Database:
    """The session's database as its owner (migrations, tampering) and as the row-level-security app role."""

    owner: AsyncEngine
    app: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def new_tenant(self) -> uuid.UUID:
        """A tenant row, inserted as the owner (the app role acts for one tenant at a time)."""
        tenant = uuid.uuid4()
        async with self.owner.begin() as conn:
            await conn.execute(
                text("INSERT INTO tenants (id, slug, name) VALUES (:id, :slug, :slug)"),
                {"id": tenant, "slug": f"t-{tenant.hex[:12]}"},
            )
        return tenant


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    from tenants.db import make_app_engine, make_engine, make_sessions

    settings = Settings(database_url=database_url)
    owner, app = make_engine(settings), make_app_engine(settings)
    yield Database(owner, app, make_sessions(app))
    await owner.dispose()
    await app.dispose()


# ----------------------------------------------------------------- the core
TOKEN = "workers:" + "w" * 32


@dataclass
class CoreHandle:
    core: Core
    channel: grpc.aio.Channel
    settings: Settings
    metadata: tuple[tuple[str, str], ...] = (("authorization", "Bearer " + "w" * 32),)

    def stub(self, factory: Any) -> Any:
        """A service stub whose calls carry the service token."""
        return Authed(factory(self.channel), self.metadata)


def _zoho_app(demo: dict[str, Any]) -> dict[str, str]:
    return {"client_id": demo["client_id"], "client_secret": demo["client_secret"]}


@pytest.fixture(scope="session")
async def core(database_url: str, sandboxes: Any) -> AsyncIterator[CoreHandle]:
    # A Redis database of the test session's own, so budgets and locks start empty (15, or
    # CONNECTORS_TEST_REDIS_DB so that two sessions on one machine keep their queues apart).
    redis_db = os.environ.get("CONNECTORS_TEST_REDIS_DB", "15")
    redis_url = Settings.from_env().redis_url.rsplit("/", 1)[0] + "/" + redis_db
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        sandbox_port_offset=sandboxes.offset,
        service_tokens=TOKEN + ",portal:" + "p" * 32,
        master_keys=Keyring.generate_entry("k1"),
        # The platform's own Zoho app in the sandbox environment, as `make up` offers it.
        oauth_clients=json.dumps({"zoho:sandbox": _zoho_app(sandboxes.get("zoho")["demo"])}),
    )
    handle = await start(settings, "127.0.0.1:0")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}")
    yield CoreHandle(handle, channel, settings)
    await channel.close()
    await handle.stop(0)


T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    what: str,
    seconds: float = 60.0,
    explain: Callable[[], Awaitable[str]] | None = None,
) -> T:
    """``check()`` until it gives something, or fail saying what never happened (and ``explain()``'s account of
    why): for end-to-end waits on things no event announces."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                found = await check()
                if found:
                    return found
                await asyncio.sleep(0.2)
    except TimeoutError:
        account = await explain() if explain else ""
        raise AssertionError(f"{what} did not happen in {seconds:.0f} s\n{account}") from None
