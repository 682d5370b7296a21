"""The portal served by a real uvicorn on a free port, calling the session's real core (``core`` in
tests/conftest.py), PostgreSQL and Redis (db 15, as the core)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job, JobDef
from sqlalchemy import text

from connector.v1 import webhook_pb2, webhook_pb2_grpc
from connectors.settings import Settings
from portal.app import create_app
from portal.settings import PortalConfig, core_token
from tests.conftest import CoreHandle, Database, free_port
from tests.core.test_connections import connect, new_tenant
from workers.queue import QUEUE, ingest_job_id


class QuietServer(uvicorn.Server):
    """Uvicorn without its signal handlers: the test process keeps its own."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


def portal_settings(handle: CoreHandle, **changes: Any) -> Settings:
    """The core's settings (database, Redis db 15, service tokens) with the address the core listens on."""
    return dataclasses.replace(handle.settings, **{"core_addr": f"127.0.0.1:{handle.core.port}", **changes})


@contextlib.asynccontextmanager
async def serving(settings: Settings, **config: Any) -> AsyncIterator[str]:
    """The portal app under uvicorn on a free port until the block ends; yields its base URL. ``config``
    overrides ``PortalConfig`` fields (timeouts, throttling)."""
    port = free_port()
    config.setdefault("public_url", f"http://127.0.0.1:{port}")
    portal_config = PortalConfig(**config)
    app = create_app(settings, core_token=core_token(settings), config=portal_config)
    server = QuietServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers no event for "listening"
        if task.done():
            task.result()
            raise RuntimeError("the portal did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Portal:
    url: str
    settings: Settings
    core: CoreHandle
    db: Database
    queue: ArqRedis

    async def hooked(self, sandboxes: Any, provider: str) -> tuple[str, str, webhook_pb2.GetWebhookSetupResponse]:
        """A new tenant connected to the provider's demo merchant: (tenant, connection, webhook setup)."""
        tenant = await new_tenant(self.core)
        connection = (await connect(self.core, tenant, provider, sandboxes.get(provider))).connection_id
        setup = await self.core.stub(webhook_pb2_grpc.WebhookServiceStub).GetWebhookSetup(
            webhook_pb2.GetWebhookSetupRequest(tenant_id=tenant, connection_id=connection)
        )
        return tenant, connection, setup

    async def inbox(self, connection_id: str) -> list[Any]:
        """The connection's inbox rows, read as the owner (past row-level security), oldest first."""
        async with self.db.owner.connect() as conn:
            rows = await conn.execute(
                text("SELECT * FROM inbox WHERE connection_id = :c ORDER BY received_at, id"),
                {"c": uuid.UUID(connection_id)},
            )
            return list(rows.mappings().all())

    async def wait_for_inbox(self, connection_id: str, count: int, seconds: float = 15.0) -> list[Any]:
        async with asyncio.timeout(seconds):
            while len(rows := await self.inbox(connection_id)) < count:  # noqa: ASYNC110 - polling PostgreSQL
                await asyncio.sleep(0.05)
        return rows

    async def job(self, inbox_id: Any) -> JobDef | None:
        """The arq job ingesting this inbox row (queued, running or done), if there is one."""
        return await Job(ingest_job_id(str(inbox_id)), self.queue, _queue_name=QUEUE).info()

    async def tenant_jobs(self, tenant_id: str) -> list[JobDef]:
        """Every ingest job queued for the tenant, whatever its id."""
        found = []
        for job_id in await self.queue.zrange(QUEUE, 0, -1):
            info = await Job(job_id.decode(), self.queue, _queue_name=QUEUE).info()
            if info is not None and info.args and info.args[0] == tenant_id:
                found.append(info)
        return found


@pytest.fixture(scope="session")
async def portal(core: CoreHandle, db: Database) -> AsyncIterator[Portal]:
    settings = portal_settings(core)
    queue = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    try:
        async with serving(settings) as url:
            yield Portal(url, settings, core, db, queue)
    finally:
        await queue.aclose()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


class Visitor:
    """A browser-like client of the JSON API: keeps its cookies, and echoes the CSRF cookie in the header."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.AsyncClient(base_url=url, timeout=30, follow_redirects=False)

    async def __aenter__(self) -> Visitor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def csrf(self) -> str:
        if "csrftoken" not in self.client.cookies:
            await self.client.get("/login")
        return self.client.cookies["csrftoken"]

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers.setdefault("x-csrftoken", await self.csrf())
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def signup(self, company: str = "Acme Traders", email: str | None = None) -> dict[str, Any]:
        email = email or f"owner-{uuid.uuid4().hex[:8]}@example.in"
        r = await self.call(
            "POST", "/api/v1/signup", json={"company": company, "name": "Asha", "email": email, "password": PASSWORD}
        )
        assert r.status_code == 201, r.text
        return {**r.json(), "email": email}

    async def login(self, email: str, password: str = "") -> httpx.Response:
        return await self.call("POST", "/api/v1/session", json={"email": email, "password": password or PASSWORD})


PASSWORD = "correct horse battery"


from tests.portal.browser import browser, shots  # noqa: E402, F401 - the browser fixtures, for every portal test
