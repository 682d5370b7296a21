"""Orders per second through the fulfilment flow, and CPU time per order, against zero-latency sandboxes.

Every process as the platform runs it: the sandboxes (Zoho and Shiprocket), the core and one worker
(``connectors worker``, 20 jobs at once). Rate limits are lifted on both sides (the sandboxes' and the core's
budgets), so what is measured is our own cost: N confirmed Zoho sales orders are stored in the inbox as the
ingress stores them, their ingest jobs queued, and the clock runs until every record has succeeded (each with
its Shiprocket order, AWB and Zoho write-back). CPU seconds are read from /proc for each process.
Target (fulfilment-loop issue): at most 5 ms of worker CPU per order. Needs PostgreSQL and Redis; makes and
drops its own database and uses Redis db 13.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis
from sqlalchemy import func, select

from bench.processes import cpu_seconds, free_port, spawn, stop
from connector.v1 import connection_pb2_grpc, tenant_pb2, tenant_pb2_grpc
from connectors.core_client import Authed
from connectors.demo import demo_connection
from connectors.settings import Settings
from core.vault import Keyring
from sandbox.ports import free_port_offset
from tenants.db import make_app_engine, make_sessions, tenant_session
from tenants.migrate import drop_database_async, ensure_database, migrate
from tenants.models import InboxEvent, Record
from workers.queue import INGEST_EVENT, QUEUE, ingest_job_id

ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))
"""``BENCH_ORDERS``: how many orders; ``BENCH_PROFILE=out.txt`` samples the worker with py-spy meanwhile."""
TOKEN = "f" * 32
REDIS_DB = 13
UNLIMITED = {"zoho": {"api": {"limit": 1_000_000}}, "shiprocket": {"api": {"limit": 1_000_000}}}


async def _tenant(core_addr: str, sandboxes: dict[str, Any]) -> tuple[str, str]:
    channel = grpc.aio.insecure_channel(core_addr)
    meta = (("authorization", f"Bearer {TOKEN}"),)
    try:
        tenants = Authed(tenant_pb2_grpc.TenantServiceStub(channel), meta)
        tenant = (await tenants.CreateTenant(tenant_pb2.CreateTenantRequest(slug="bench", name="Bench"))).tenant
        connections = Authed(connection_pb2_grpc.ConnectionServiceStub(channel), meta)
        zoho = await connections.CreateConnection(demo_connection("zoho", sandboxes["zoho"]["demo"], tenant.tenant_id))
        await connections.CreateConnection(
            demo_connection("shiprocket", sandboxes["shiprocket"]["demo"], tenant.tenant_id)
        )
        return str(tenant.tenant_id), str(zoho.connection.connection_id)
    finally:
        await channel.close()


def _prepare_sandboxes(sandboxes: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Limits off, the wallet full, and ``count`` confirmed sales orders (their webhook bodies)."""
    zoho, shiprocket = sandboxes["zoho"]["admin_url"], sandboxes["shiprocket"]["admin_url"]
    with httpx.Client(timeout=60) as http:
        http.post(f"{zoho}/zoho/settings", json={"per_minute": 10**6, "daily_limit": 10**8, "concurrent": 10**4})
        http.post(f"{shiprocket}/wallet", json={"account": "demo", "balance": "100000000"}).raise_for_status()
        now = datetime.now(UTC)
        seeded = http.post(
            f"{zoho}/seed",
            json={
                "account": "demo",
                "orders": count,
                "status": "confirmed",
                "from": (now - timedelta(hours=1)).isoformat(),
                "to": now.isoformat(),
            },
        )
        seeded.raise_for_status()
        return [{**o, "status": "confirmed"} for o in seeded.json()["salesorders"]]


async def _store(settings: Settings, tenant: str, connection: str, orders: list[dict[str, Any]]) -> None:
    """What the ingress does for each order's webhook: the raw event in the inbox, then its ingest job."""
    engine = make_app_engine(settings)
    ids = [uuid.uuid4() for _ in orders]
    async with tenant_session(make_sessions(engine), uuid.UUID(tenant)) as session:
        for inbox_id, order in zip(ids, orders, strict=True):
            session.add(
                InboxEvent(
                    id=inbox_id,
                    tenant_id=uuid.UUID(tenant),
                    connection_id=uuid.UUID(connection),
                    provider="zoho",
                    dedup_key=f"bench:{inbox_id}",
                    headers={},
                    body=json.dumps({"salesorder": order}),
                )
            )
    await engine.dispose()
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    for inbox_id in ids:
        await pool.enqueue_job(
            INGEST_EVENT, tenant, str(inbox_id), _job_id=ingest_job_id(str(inbox_id)), _queue_name=QUEUE
        )
    await pool.aclose()


async def _wait_done(settings: Settings, tenant: str, count: int, seconds: float = 600) -> dict[str, int]:
    engine = make_app_engine(settings)
    sessions = make_sessions(engine)
    deadline = time.monotonic() + seconds
    try:
        while True:
            async with tenant_session(sessions, uuid.UUID(tenant)) as session:
                rows = (await session.execute(select(Record.state, func.count()).group_by(Record.state))).all()
            states = {state: n for state, n in rows}
            if states.get("succeeded", 0) + states.get("dead", 0) + states.get("skipped", 0) >= count:
                return states
            if time.monotonic() > deadline:
                raise TimeoutError(f"not done after {seconds:.0f} s: {states}")
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


def _profile(pid: int) -> subprocess.Popen[bytes] | None:
    """``BENCH_PROFILE=out.txt``: sample the worker with py-spy (on PATH) while the orders run."""
    out = os.environ.get("BENCH_PROFILE")
    if not out:
        return None
    argv = ["py-spy", "record", "-p", str(pid), "-o", out, "--format", "raw", "-r", "200", "--nonblocking"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _run(work: Path, count: int) -> dict[str, Any]:
    base = Settings.from_env()
    database_url = f"{base.database_url.rsplit('/', 1)[0]}/connectors_bench_{uuid.uuid4().hex[:8]}"
    redis_url = f"{base.redis_url.rsplit('/', 1)[0]}/{REDIS_DB}"
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    offset = free_port_offset()
    core_addr = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "CONNECTORS_DATABASE_URL": database_url,
        "CONNECTORS_REDIS_URL": redis_url,
        "CONNECTORS_CORE_ADDR": core_addr,
        "CONNECTORS_SANDBOX_PORT_OFFSET": str(offset),
        "CONNECTORS_SERVICE_TOKENS": f"workers:{TOKEN}",
        "CONNECTORS_MASTER_KEYS": Keyring.generate_entry("b1"),
        "CONNECTORS_RATE_LIMITS": json.dumps(UNLIMITED),
    }
    env.pop("CONNECTORS_APP_DATABASE_URL", None)
    settings = Settings(database_url=database_url, redis_url=redis_url, core_addr=core_addr)
    await ensure_database(database_url)
    procs = []
    python = sys.executable
    try:
        await asyncio.to_thread(migrate, Settings(database_url=database_url))
        sandbox_cmd = [python, "-m", "connectors.cli", "sandbox", "--only", "zoho,shiprocket"]
        sandbox = await spawn(
            [*sandbox_cmd, "--ready-file", str(work / "sandbox.json")], env, work / "sandbox.json", work / "sandbox.log"
        )
        procs.append(sandbox)
        sandboxes = json.loads((work / "sandbox.json").read_text())
        core = await spawn(
            [python, "-m", "connectors.cli", "core", "--ready-file", str(work / "core.json")],
            env,
            work / "core.json",
            work / "core.log",
        )
        procs.append(core)
        tenant, zoho = await _tenant(core_addr, sandboxes)
        orders = await asyncio.to_thread(_prepare_sandboxes, sandboxes, count)
        worker = await spawn(
            [python, "-m", "connectors.cli", "worker", "--ready-file", str(work / "worker.json")],
            env,
            work / "worker.json",
            work / "worker.log",
        )
        procs.append(worker)
        cpu0 = {name: cpu_seconds(p.pid) for name, p in (("worker", worker), ("core", core), ("sandboxes", sandbox))}
        profiler = _profile(worker.pid)
        t0 = time.perf_counter()
        await _store(settings, tenant, zoho, orders)
        states = await _wait_done(settings, tenant, count)
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            await asyncio.to_thread(profiler.wait)
        cpu = {
            name: cpu_seconds(p.pid) - cpu0[name]
            for name, p in (("worker", worker), ("core", core), ("sandboxes", sandbox))
        }
        return {"orders": count, "seconds": elapsed, "states": states, "cpu": cpu}
    finally:
        for proc in reversed(procs):
            await stop(proc)
        await drop_database_async(database_url)
        redis = Redis.from_url(redis_url)
        await redis.flushdb()
        await redis.aclose()


async def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        result = await _run(Path(tmp), ORDERS)
    n, cpu = result["orders"], result["cpu"]
    per_order = {name: seconds * 1000 / n for name, seconds in cpu.items()}
    print(f"\nfulfilment flow: {n} orders (confirmed → serviceability → Shiprocket order → AWB → Zoho write-back)")
    print(f"  {n / result['seconds']:8.1f} orders/s   ({result['seconds']:.1f} s; records {result['states']})")
    for name, ms in per_order.items():
        print(f"  {ms:8.2f} ms CPU per order in the {name}")
    verdict = "meets" if per_order["worker"] <= 5.0 else "misses"
    print(f"  worker CPU per order {per_order['worker']:.2f} ms {verdict} the target of at most 5 ms")
    return result


if __name__ == "__main__":
    asyncio.run(main())
