"""The webhook ingress (verify through the core, dedup, persist, enqueue, acknowledge) beside a bare Litestar
endpoint that does one asyncpg insert into the same inbox table, in one run.

Three server processes, each started as the platform starts it, so the load generator (this process) does
not slow them: the core (``connectors core``), the portal (``python -m portal``) and the bare endpoint
(``serve_bare`` below, uvicorn with the same settings as the portal). Every request carries a new Zoho
sales-order event signed with the connection's webhook secret, so every ingress request is a new event: one
VerifyWebhook call, one transaction inserting the inbox row, one arq job. The load is HTTP/1.1 keep-alive
from a minimal client, so that the client's own parsing costs both sides alike.

Throughput with 32 concurrent senders (median of interleaved rounds), then p50/p99 latency at half of that
load, printed as ratios to the bare endpoint. Needs PostgreSQL and Redis; makes and drops its own database
and uses Redis db 14 (removing the jobs it queued). Target (Portal issue): at least 80 % of the bare
endpoint's throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import uvicorn
from litestar import Litestar, Request, post
from litestar.datastructures import State
from litestar.params import FromPath
from redis.asyncio import Redis

from bench.processes import free_port, spawn, stop
from connector.v1 import (
    common_pb2,
    connection_pb2,
    connection_pb2_grpc,
    tenant_pb2,
    tenant_pb2_grpc,
    webhook_pb2,
    webhook_pb2_grpc,
)
from connectors.core_client import Authed
from connectors.settings import Settings
from core.vault import Keyring
from tenants.migrate import drop_database_async, ensure_database, migrate
from workers.queue import QUEUE

CONCURRENCY = 32
DURATION = 2.0
ROUNDS = 7
LATENCY_ROUNDS = 3
TOKEN = "b" * 32
REDIS_DB = 14


# ----------------------------------------------------------------- the bare endpoint (its own process)
def _bare_app(dsn: str, tenant_id: str) -> Litestar:
    """``POST /bare/{connection_id}``: read the body, insert it into the inbox with one asyncpg call, answer
    202 with the row's id: what any ingress must do at the least, with nothing of ours around it."""
    tenant = uuid.UUID(tenant_id)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    @post("/bare/{connection_id:str}", status_code=202)
    async def bare(request: Request[Any, Any, State], connection_id: FromPath[str]) -> dict[str, str]:
        body = await request.body()
        event_id = uuid.uuid4()
        await request.app.state.pool.execute(
            "INSERT INTO inbox (id, tenant_id, connection_id, provider, dedup_key, headers, body) "
            "VALUES ($1, $2, $3, 'zoho', $4, '{}', $5)",
            event_id,
            tenant,
            uuid.UUID(connection_id),
            f"bare:{event_id}",
            body.decode(),
        )
        return {"status": "accepted", "event_id": str(event_id)}

    return Litestar(route_handlers=[bare], lifespan=[lifespan], openapi_config=None, logging_config=None)


async def serve_bare(port: int, tenant_id: str, ready: Path) -> None:
    """Serve the bare endpoint until SIGTERM (run by ``main`` in a subprocess)."""
    dsn = Settings.from_env().database_url.replace("postgresql+asyncpg://", "postgresql://")
    config = uvicorn.Config(
        _bare_app(dsn, tenant_id), host="127.0.0.1", port=port, access_log=False, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    if server.started:
        ready.write_text(json.dumps({"url": f"http://127.0.0.1:{port}"}))
    await task


# ----------------------------------------------------------------- the load generator (this process)
class Connection:
    """One HTTP/1.1 keep-alive connection that posts and reads the status and body of each answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, f"127.0.0.1:{port}")

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        lines = [f"POST {path} HTTP/1.1", f"host: {self.host}", f"content-length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@dataclass
class Target:
    name: str
    port: int
    path: str
    expected: int


def _event(secret: str) -> tuple[bytes, dict[str, str]]:
    """A new Zoho sales-order event (a dedup key never seen before), signed as Zoho signs it."""
    so_id = str(uuid.uuid4().int)[:19]
    body = json.dumps(
        {
            "salesorder": {
                "salesorder_id": so_id,
                "salesorder_number": f"SO-{so_id[-5:]}",
                "status": "confirmed",
                "customer_name": "Asha Traders",
                "total": 4130.0,
                "line_items": [{"item_id": "4815000000044100", "name": "Kurta", "quantity": 3, "rate": 1176.0}],
                "last_modified_time": "2026-01-07T12:06:10+0530",
            }
        }
    ).encode()
    signed = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"content-type": "application/json;charset=UTF-8", "x-zoho-webhook-signature": signed}


async def _max_rate(target: Target, secret: str) -> float:
    done = 0
    stop = time.perf_counter() + DURATION

    async def sender() -> None:
        nonlocal done
        conn = await Connection.open(target.port)
        try:
            while time.perf_counter() < stop:
                body, headers = _event(secret)
                status = await conn.post(target.path, body, headers)
                if status != target.expected:
                    raise RuntimeError(f"{target.name} answered {status}")
                done += 1
        finally:
            await conn.close()

    await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
    return done / DURATION


async def _latency_at(target: Target, secret: str, rate: float) -> tuple[float, float]:
    """p50 and p99 (ms) of requests started at ``rate`` per second over a pool of connections."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(CONCURRENCY):
        idle.put_nowait(await Connection.open(target.port))
    latencies: list[float] = []

    async def one() -> None:
        body, headers = _event(secret)
        t0 = time.perf_counter()
        conn = await idle.get()
        try:
            status = await conn.post(target.path, body, headers)
        finally:
            idle.put_nowait(conn)
        if status != target.expected:
            raise RuntimeError(f"{target.name} answered {status}")
        latencies.append(time.perf_counter() - t0)

    interval, n = 1 / rate, int(rate * DURATION)
    start_at = time.perf_counter()
    tasks = []
    for i in range(n):
        delay = start_at + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    while not idle.empty():
        await idle.get_nowait().close()
    latencies.sort()
    return statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.99)] * 1000


async def _measure_all(targets: list[Target], secret: str) -> dict[str, dict[str, float]]:
    # Interleaved rounds and medians: the machine's drift falls on both alike.
    rates: dict[str, list[float]] = {t.name: [] for t in targets}
    for _ in range(ROUNDS):
        for target in targets:
            rates[target.name].append(await _max_rate(target, secret))
    latencies: dict[str, list[tuple[float, float]]] = {t.name: [] for t in targets}
    for _ in range(LATENCY_ROUNDS):
        for target in targets:
            latencies[target.name].append(await _latency_at(target, secret, statistics.median(rates[target.name]) / 2))
    return {
        t.name: {
            "rps": statistics.median(rates[t.name]),
            "p50_ms": statistics.median(p50 for p50, _ in latencies[t.name]),
            "p99_ms": statistics.median(p99 for _, p99 in latencies[t.name]),
        }
        for t in targets
    }


# ----------------------------------------------------------------- orchestration
async def _connect(core_addr: str) -> tuple[str, str, webhook_pb2.GetWebhookSetupResponse]:
    """A tenant with a Zoho connection (never called: webhooks need no provider) and its webhook setup."""
    channel = grpc.aio.insecure_channel(core_addr)
    meta = (("authorization", f"Bearer {TOKEN}"),)
    try:
        tenants = Authed(tenant_pb2_grpc.TenantServiceStub(channel), meta)
        tenant = (await tenants.CreateTenant(tenant_pb2.CreateTenantRequest(slug="bench", name="Bench"))).tenant
        connections = Authed(connection_pb2_grpc.ConnectionServiceStub(channel), meta)
        request = connection_pb2.CreateConnectionRequest(
            tenant_id=tenant.tenant_id,
            provider=common_pb2.PROVIDER_ZOHO,
            region="in",
            environment=common_pb2.ENVIRONMENT_SANDBOX,
            credentials=connection_pb2.Credentials(
                oauth_client=connection_pb2.OAuthClientCredentials(
                    client_id="1000.BENCH", client_secret="bench-secret", refresh_token="1000.bench.refresh"
                )
            ),
        )
        connection = (await connections.CreateConnection(request)).connection
        webhooks = Authed(webhook_pb2_grpc.WebhookServiceStub(channel), meta)
        setup = await webhooks.GetWebhookSetup(
            webhook_pb2.GetWebhookSetupRequest(tenant_id=tenant.tenant_id, connection_id=connection.connection_id)
        )
        return str(tenant.tenant_id), str(connection.connection_id), setup
    finally:
        await channel.close()


async def _forget_jobs(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        job_ids = await redis.zrange(QUEUE, 0, -1)
        for start in range(0, len(job_ids), 1000):
            chunk = job_ids[start : start + 1000]
            await redis.zrem(QUEUE, *chunk)
            await redis.delete(*(b"arq:job:" + job_id for job_id in chunk))
    finally:
        await redis.aclose()


async def _run(work: Path) -> dict[str, dict[str, float]]:
    base = Settings.from_env()
    database_url = f"{base.database_url.rsplit('/', 1)[0]}/connectors_bench_{uuid.uuid4().hex[:8]}"
    redis_url = f"{base.redis_url.rsplit('/', 1)[0]}/{REDIS_DB}"
    core_addr = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "CONNECTORS_DATABASE_URL": database_url,
        "CONNECTORS_REDIS_URL": redis_url,
        "CONNECTORS_CORE_ADDR": core_addr,
        "CONNECTORS_SERVICE_TOKENS": f"portal:{TOKEN}",
        "CONNECTORS_MASTER_KEYS": Keyring.generate_entry("b1"),
    }
    env.pop("CONNECTORS_APP_DATABASE_URL", None)
    await ensure_database(database_url)
    procs: list[asyncio.subprocess.Process] = []
    try:
        await asyncio.to_thread(migrate, Settings(database_url=database_url))
        python = sys.executable
        core_cmd = [python, "-m", "connectors.cli", "core", "--ready-file", str(work / "core.json")]
        procs.append(await spawn(core_cmd, env, work / "core.json", work / "core.log"))
        tenant, connection, setup = await _connect(core_addr)
        portal_port, bare_port = free_port(), free_port()
        portal_cmd = [python, "-m", "portal", "--port", str(portal_port), "--ready-file", str(work / "portal.json")]
        procs.append(await spawn(portal_cmd, env, work / "portal.json", work / "portal.log"))
        bare_code = (
            "import asyncio, sys; from pathlib import Path; from bench.webhook_ingest import serve_bare; "
            "asyncio.run(serve_bare(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])))"
        )
        bare_cmd = [python, "-c", bare_code, str(bare_port), tenant, str(work / "bare.json")]
        procs.append(await spawn(bare_cmd, env, work / "bare.json", work / "bare.log"))
        targets = [
            Target("bare insert", bare_port, f"/bare/{connection}", 202),
            Target("webhook ingest", portal_port, setup.path, 202),
        ]
        return await _measure_all(targets, setup.secret)
    finally:
        for proc in reversed(procs):
            await stop(proc)
        await drop_database_async(database_url)
        await _forget_jobs(redis_url)


async def main() -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        results = await _run(Path(tmp))
    bare = results["bare insert"]["rps"]
    print(
        f"webhook ingest (median of {ROUNDS} interleaved {DURATION:.0f} s rounds, {CONCURRENCY} concurrent senders; "
        f"latency at half that load, median of {LATENCY_ROUNDS} rounds)"
    )
    for name, r in results.items():
        print(
            f"  {name:15} {r['rps']:8.0f} req/s ({r['rps'] / bare:5.0%} of bare)  "
            f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        )
    return results


if __name__ == "__main__":
    asyncio.run(main())
