"""A US merchant for the ShipStation → Zoho Books flow: a ShipStation account of its own in the ShipStation
sandbox, a Zoho Books organisation in the US data centre (USD), both connected through a core of the test's
own (its budgets lifted unless a test asks for ShipStation's real 40 a minute), and an arq worker on Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import grpc
import httpx
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker
from sqlalchemy import select

from connector.v1 import (
    connection_pb2_grpc,
    sync_pb2,
    sync_pb2_grpc,
    tenant_pb2,
    tenant_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
)
from connectors.core_client import Authed
from connectors.demo import demo_connection
from connectors.settings import Settings
from core import providers
from core.server import Core, start
from tenants.db import make_app_engine, make_sessions, tenant_session
from tenants.models import Record, TenantSetting
from tests.core.conftest import CoreHandle
from tests.core.test_connections import new_tenant
from tests.workers.conftest import in_process_worker, workers_alive

UNLIMITED = {"zoho": {"api": {"limit": 1_000_000}}, "shipstation": {"api": {"limit": 1_000_000}}}


@dataclass
class Merchant:
    tenant: str
    zoho: str
    shipstation: str
    zoho_admin: str
    ss_admin: str
    ss_account: str
    ss_base: str
    ss_auth: tuple[str, str]
    core: Core
    channel: grpc.aio.Channel
    metadata: tuple[tuple[str, str], ...]
    settings: Settings
    arq: ArqRedis

    def stub(self, factory: Any) -> Any:
        return Authed(factory(self.channel), self.metadata)

    async def books(self, method: str, path: str, **kwargs: Any) -> Any:
        """Zoho Books as the merchant's accountant sees it (the token from the core)."""
        stub = self.stub(token_pb2_grpc.TokenServiceStub)
        token = await stub.GetAccessToken(
            token_pb2.GetAccessTokenRequest(tenant_id=self.tenant, connection_id=self.zoho)
        )
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.request(
                method,
                f"{token.base_url}/books/v3{path}",
                params={**dict(token.params), **kwargs.pop("params", {})},
                headers={token.header_name: token.header_value},
                **kwargs,
            )
        answer.raise_for_status()
        return json.loads(answer.text, parse_float=Decimal)

    async def books_all(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = await self.books("GET", path, params={**params, "page": page, "per_page": 200})
            rows += answer[key]
            if not answer["page_context"]["has_more_page"]:
                return rows
            page += 1

    def ss(self, method: str, path: str, **kwargs: Any) -> Any:
        """ShipStation's API with the merchant's own key pair (what their store or their staff do)."""
        answer = httpx.request(method, f"{self.ss_base}{path}", auth=self.ss_auth, timeout=30, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def seed(self, orders: int, start: datetime, end: datetime, **plan: Any) -> None:
        """Realistic orders in the merchant's ShipStation account over the window (the sandbox's seeder)."""
        body = {"account": self.ss_account, "orders": orders, "from": start.isoformat(), "to": end.isoformat(), **plan}
        httpx.post(f"{self.ss_admin}/seed", json=body, timeout=60).raise_for_status()

    def ss_clock(self, **body: Any) -> None:
        httpx.post(f"{self.ss_admin}/clock", json=body, timeout=10).raise_for_status()

    def ss_orders(self) -> list[dict[str, Any]]:
        """Every order of the merchant as ShipStation holds it now."""
        state = httpx.get(f"{self.ss_admin}/state", params={"account": self.ss_account}, timeout=60).json()
        orders: list[dict[str, Any]] = json.loads(json.dumps(state["accounts"][0]["order_list"]), parse_float=Decimal)
        return orders

    def ss_shipments(self) -> list[dict[str, Any]]:
        state = httpx.get(f"{self.ss_admin}/state", params={"account": self.ss_account}, timeout=60).json()
        found: list[dict[str, Any]] = json.loads(json.dumps(state["accounts"][0]["shipment_list"]), parse_float=Decimal)
        return found

    async def setting(self, key: str, value: Any) -> None:
        engine = make_app_engine(self.settings)
        async with tenant_session(make_sessions(engine), uuid.UUID(self.tenant)) as session:
            await session.merge(TenantSetting(tenant_id=uuid.UUID(self.tenant), key=key, value=value))
        await engine.dispose()

    async def records(self, prefix: str = "") -> list[Record]:
        engine = make_app_engine(self.settings)
        async with tenant_session(make_sessions(engine), uuid.UUID(self.tenant)) as session:
            rows = list(
                (
                    await session.execute(
                        select(Record).where(Record.flow == "shipstation-books", Record.source_ref.startswith(prefix))
                    )
                ).scalars()
            )
        await engine.dispose()
        return rows


async def merchant(
    core: CoreHandle, sandboxes: Any, *, limits: dict[str, Any] | None = None, time_scale: float = 1.0
) -> AsyncIterator[Merchant]:
    """The merchant, connected through a core of its own (``limits``: its rate limits, lifted by default)."""
    zoho_info, ss_info = sandboxes.fresh("zoho"), sandboxes.fresh("shipstation")
    zoho_admin, ss_admin = zoho_info["admin_url"], ss_info["admin_url"]
    suffix = uuid.uuid4().hex[:8]
    httpx.post(
        f"{zoho_admin}/zoho/settings", json={"per_minute": 10**6, "daily_limit": 10**8, "concurrent": 10**4}
    ).raise_for_status()
    books = httpx.post(
        f"{zoho_admin}/accounts",
        json={
            "account": f"us-{suffix}",
            "data_centre": "us",
            "name": "Evergreen Goods Inc",
            "currency_code": "USD",
            "time_zone": "America/Los_Angeles",
            "demo_data": False,
        },
    )
    books.raise_for_status()
    ss = httpx.post(f"{ss_admin}/accounts", json={"name": f"Evergreen {suffix}"})
    ss.raise_for_status()
    ss_account = ss.json()
    catalogue = dict(providers.CATALOGUE)  # the core's limits are process-wide: put them back afterwards
    settings = dataclasses.replace(core.settings, rate_limits=json.dumps(UNLIMITED if limits is None else limits))
    settings = dataclasses.replace(settings, budget_time_scale=time_scale)
    own = await start(settings, "127.0.0.1:0")
    tenant = await new_tenant(core)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{own.port}")
    connections = Authed(connection_pb2_grpc.ConnectionServiceStub(channel), core.metadata)
    zoho = await connections.CreateConnection(demo_connection("zoho", books.json(), tenant))
    shipstation = await connections.CreateConnection(demo_connection("shipstation", ss_account, tenant))
    worker_settings = Settings(
        database_url=core.settings.database_url,
        redis_url=core.settings.redis_url,
        core_addr=f"127.0.0.1:{own.port}",
        service_tokens=core.settings.service_tokens,
    )
    pool = await create_pool(RedisSettings.from_dsn(worker_settings.redis_url))
    try:
        yield Merchant(
            tenant,
            zoho.connection.connection_id,
            shipstation.connection.connection_id,
            zoho_admin,
            ss_admin,
            ss_account["account"],
            ss_info["base_url"],
            (ss_account["api_key"], ss_account["api_secret"]),
            own,
            channel,
            core.metadata,
            worker_settings,
            pool,
        )
    finally:
        await pool.aclose()
        await Authed(tenant_pb2_grpc.TenantServiceStub(channel), core.metadata).DeleteTenant(
            tenant_pb2.DeleteTenantRequest(tenant_id=tenant)
        )
        await channel.close()
        await own.stop(0)
        providers.CATALOGUE.clear()
        providers.CATALOGUE.update(catalogue)


async def worker(m: Merchant) -> AsyncIterator[Worker]:
    async with in_process_worker(m.settings, m.arq) as running:
        yield running


async def wait_run(m: Merchant, run_id: str, seconds: float = 300) -> sync_pb2.SyncRun:
    stub = m.stub(sync_pb2_grpc.SyncServiceStub)
    done = (sync_pb2.RUN_STATE_COMPLETED, sync_pb2.RUN_STATE_COMPLETED_WITH_FAILURES, sync_pb2.RUN_STATE_FAILED)
    for _ in range(int(seconds / 0.25)):
        run = (await stub.GetRun(sync_pb2.GetRunRequest(tenant_id=m.tenant, run_id=run_id))).run
        if run.state in done:
            return run
        workers_alive()
        await asyncio.sleep(0.25)
    stuck = [
        (r.source_ref, r.state, r.step, r.attempts, r.last_error)
        for r in await m.records()
        if r.state in ("pending", "running")
    ]
    raise AssertionError(f"run {run_id} not finished after {seconds} s: {run}; unfinished: {stuck[:10]}")


def by_key(rows: Sequence[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(r[key]): r for r in rows}
