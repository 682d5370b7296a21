"""Fixtures for flows through the real parts: a tenant connected to the Zoho and Shiprocket sandboxes through
the session core, an arq worker on Redis running in the test's loop, and helpers to store an event as the
ingress does and to wait for a record's state in PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker
from sqlalchemy import select

from connector.v1 import tenant_pb2, tenant_pb2_grpc
from connectors.settings import Settings
from tenants.db import make_app_engine, make_sessions, tenant_session
from tenants.models import InboxEvent, Record
from tests.core.conftest import CoreHandle
from tests.core.test_connections import connect, new_tenant
from tests.zoho_merchant import ZohoMerchant
from workers.main import WorkerSettings
from workers.queue import INGEST_EVENT, QUEUE, ingest_job_id

ORG = "60012345678"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Loop:
    tenant: str
    zoho: str
    shiprocket: str
    zoho_info: dict[str, Any]
    shiprocket_info: dict[str, Any]
    settings: Settings
    arq: ArqRedis

    merchant: ZohoMerchant = field(init=False)

    def __post_init__(self) -> None:
        self.merchant = ZohoMerchant(self.zoho_info["demo"], ORG)

    async def zoho_api(self, method: str, path: str, **kwargs: Any) -> Any:
        """An Inventory call as the merchant makes it (one access token for the whole test)."""
        async with httpx.AsyncClient() as http:
            return (await self.merchant.call(http, method, path, **kwargs)).json()


@pytest.fixture
async def loop(core: CoreHandle, sandboxes: Any) -> AsyncIterator[Loop]:
    zoho_info, shiprocket_info = sandboxes.fresh("zoho"), sandboxes.fresh("shiprocket")
    tenant = await new_tenant(core)
    zoho = await connect(core, tenant, "zoho", zoho_info)
    shiprocket = await connect(core, tenant, "shiprocket", shiprocket_info)
    settings = Settings(
        database_url=core.settings.database_url,
        redis_url=core.settings.redis_url,
        core_addr=f"127.0.0.1:{core.core.port}",
        service_tokens=core.settings.service_tokens,
    )
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    yield Loop(tenant, zoho.connection_id, shiprocket.connection_id, zoho_info, shiprocket_info, settings, pool)
    await pool.aclose()
    # Gone with its records, so later tests' sweepers do not run this tenant's leftovers against fresh sandboxes.
    await core.stub(tenant_pb2_grpc.TenantServiceStub).DeleteTenant(tenant_pb2.DeleteTenantRequest(tenant_id=tenant))


@pytest.fixture
async def worker(loop: Loop) -> AsyncIterator[Worker]:
    async with in_process_worker(loop.settings, loop.arq) as running:
        yield running


@contextlib.asynccontextmanager
async def in_process_worker(settings: Settings, arq: ArqRedis) -> AsyncIterator[Worker]:
    """An arq worker on the test's own event loop (its cron jobs too) until the block ends."""
    running = Worker(
        functions=WorkerSettings.functions,
        cron_jobs=WorkerSettings.cron_jobs,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        queue_name=QUEUE,
        redis_pool=arq,
        ctx={"settings": settings, "http_timeout": 5.0},
        handle_signals=False,
        poll_delay=0.05,
        max_tries=1000,
    )
    task = asyncio.create_task(running.async_run())
    RUNNING.append(task)
    try:
        yield running
    finally:
        # Take no more jobs, let those it runs finish, and leave its loop at the end of a poll (a cancel in the
        # middle of one would cut a Redis pipeline off: none cut off mid-transaction or mid-pipeline).
        running.allow_pick_jobs = False
        running.burst, running.max_burst_jobs = True, 0
        RUNNING.remove(task)
        try:
            await asyncio.wait_for(asyncio.shield(task), 15)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except Exception:  # it had died already (workers_alive says so in the test)
            pass
        await WorkerSettings.on_shutdown(running.ctx)  # the pool is the fixture's (Worker.close() would close it)


RUNNING: list[asyncio.Task[Any]] = []
"""The in-process workers' tasks: a wait fails at once, with the reason, when one of them has died (a test's
timeout, say, raised inside it)."""


def workers_alive() -> None:
    for task in RUNNING:
        if task.done():
            raise AssertionError(f"the worker stopped: {task.exception()!r}") from task.exception()


def spawn_worker(settings: Settings, workdir: Path, name: str, **env: str) -> subprocess.Popen[bytes]:
    """``connectors worker`` in a process of its own (to be killed), ready when this returns; its log in
    ``workdir``. ``env``: more CONNECTORS_* knobs."""
    environ = {
        **os.environ,
        "CONNECTORS_DATABASE_URL": settings.database_url,
        "CONNECTORS_REDIS_URL": settings.redis_url,
        "CONNECTORS_CORE_ADDR": settings.core_addr,
        "CONNECTORS_SERVICE_TOKENS": settings.service_tokens,
        **env,
    }
    ready = workdir / f"{name}.json"
    with (workdir / f"{name}.log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "connectors.cli", "worker", "--ready-file", str(ready)],
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while not ready.exists():
        try:  # waits on the process itself: a worker that dies on start is seen at once
            proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            assert time.monotonic() < deadline, "worker not ready"
            continue
        raise AssertionError((workdir / f"{name}.log").read_text())
    return proc


async def store_event(loop: Loop, body: dict[str, Any], provider: str = "zoho") -> uuid.UUID:
    """What the ingress does with a verified webhook: the raw event in the inbox, then the job."""
    connection = loop.zoho if provider == "zoho" else loop.shiprocket
    return await store_inbox(loop.settings, loop.arq, loop.tenant, connection, provider, body)


async def store_inbox(
    settings: Settings, arq: ArqRedis, tenant: str, connection: str, provider: str, body: dict[str, Any]
) -> uuid.UUID:
    engine = make_app_engine(settings)
    inbox_id = uuid.uuid4()
    async with tenant_session(make_sessions(engine), uuid.UUID(tenant)) as session:
        session.add(
            InboxEvent(
                id=inbox_id,
                tenant_id=uuid.UUID(tenant),
                connection_id=uuid.UUID(connection),
                provider=provider,
                dedup_key=f"test:{inbox_id}",
                headers={},
                body=json.dumps(body),
            )
        )
    await engine.dispose()
    await arq.enqueue_job(INGEST_EVENT, tenant, str(inbox_id), _job_id=ingest_job_id(str(inbox_id)), _queue_name=QUEUE)
    return inbox_id


async def wait_for_record(loop: Loop, source: str, states: tuple[str, ...], seconds: float = 30) -> Record:
    engine = make_app_engine(loop.settings)
    sessions = make_sessions(engine)
    try:
        for _ in range(int(seconds / 0.1)):
            async with tenant_session(sessions, uuid.UUID(loop.tenant)) as session:
                record = (await session.execute(select(Record).where(Record.source_ref == source))).scalar_one_or_none()
            if record is not None and record.state in states:
                return record
            await asyncio.sleep(0.1)
        raise AssertionError(
            f"{source} did not reach {states}: {record and (record.state, record.step, record.last_error)}"
        )
    finally:
        await engine.dispose()
