"""The portal's dashboard under 50 concurrent signed-in sessions, beside a bare Litestar page in the same run.

Three server processes, started as the platform starts them: the core (``connectors core``), the portal
(``python -m portal``) and a bare endpoint (``serve_bare``: uvicorn + Litestar rendering a static page of the
dashboard's size through Jinja2, with no session, no core and no database). ``TENANTS`` merchants sign up
through the portal's JSON API, each with three connections and ``RECORDS`` records over the last fortnight
(a tenth of them dead, across the reasons) and a few runs; ``SESSIONS`` sessions (spread over the merchants)
then load ``GET /`` — connection health, the per-day chart, failures by reason, the latest runs — as fast as
they can for ``DURATION`` seconds, in interleaved rounds with the bare page.

Printed: p50 and p95 latency and throughput of both, and the dashboard's p95 as a multiple of the bare page's.
Needs PostgreSQL and Redis; makes and drops its own database and uses Redis db 13.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import grpc
import httpx
import uvicorn
from litestar import Litestar, get
from litestar.response import Template
from litestar.template import TemplateConfig

from bench.processes import free_port, spawn, stop
from connector.v1 import common_pb2, connection_pb2, connection_pb2_grpc
from connectors.core_client import Authed
from connectors.settings import Settings
from core.vault import Keyring
from tenants.migrate import drop_database_async, ensure_database, migrate

TENANTS = int(os.environ.get("BENCH_TENANTS", "10"))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "50"))
RECORDS = int(os.environ.get("BENCH_RECORDS", "2000"))
DURATION = float(os.environ.get("BENCH_DURATION", "5"))
ROUNDS = 3
TOKEN = "d" * 32
REDIS_DB = 13
PASSWORD = "bench password 2026"
REASONS = ("serviceability_failed", "provider_rejected", "unmapped_sku", "invalid_source_data")


# ----------------------------------------------------------------- the bare page (its own process)
def _bare_app(size: int) -> Litestar:
    filler = "<p>" + "x" * 70 + "</p>\n"
    page = "<!doctype html><html><body>{% for _ in rows %}" + filler + "{% endfor %}</body></html>"
    directory = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    (directory / "page.html").write_text(page)
    from litestar.plugins.jinja import JinjaTemplateEngine

    @get("/bare")
    async def bare() -> Template:
        return Template(template_name="page.html", context={"rows": range(max(1, size // len(filler)))})

    return Litestar(
        route_handlers=[bare],
        template_config=TemplateConfig(directory=directory, engine=JinjaTemplateEngine),
        openapi_config=None,
        logging_config=None,
    )


async def serve_bare(port: int, size: int, ready: Path) -> None:
    config = uvicorn.Config(_bare_app(size), host="127.0.0.1", port=port, access_log=False, log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    if server.started:
        ready.write_text(json.dumps({"url": f"http://127.0.0.1:{port}"}))
    await task


# ----------------------------------------------------------------- data
async def _merchant(portal: str, index: int) -> tuple[str, str]:
    """A merchant signed up through the portal: (tenant id, owner's email)."""
    email = f"owner{index}-{uuid.uuid4().hex[:6]}@bench.example"
    async with httpx.AsyncClient(base_url=portal, timeout=60) as http:
        await http.get("/login")
        r = await http.post(
            "/api/v1/signup",
            json={"company": f"Bench Merchant {index}", "name": "Owner", "email": email, "password": PASSWORD},
            headers={"x-csrftoken": http.cookies["csrftoken"]},
        )
        r.raise_for_status()
        return str(r.json()["tenant_id"]), email


async def _connections(core_addr: str, tenant: str) -> None:
    channel = grpc.aio.insecure_channel(core_addr)
    stub = Authed(connection_pb2_grpc.ConnectionServiceStub(channel), (("authorization", f"Bearer {TOKEN}"),))
    try:
        for provider, credentials in (
            (
                common_pb2.PROVIDER_ZOHO,
                connection_pb2.Credentials(
                    oauth_client=connection_pb2.OAuthClientCredentials(
                        client_id="1000.BENCH", client_secret="s", refresh_token="1000.r"
                    )
                ),
            ),
            (
                common_pb2.PROVIDER_SHIPROCKET,
                connection_pb2.Credentials(
                    password=connection_pb2.PasswordCredentials(email="api@bench.example", password="p")
                ),
            ),
            (
                common_pb2.PROVIDER_SHIPSTATION,
                connection_pb2.Credentials(api_key=connection_pb2.ApiKeyCredentials(api_key="k", api_secret="s")),
            ),
        ):
            region = {common_pb2.PROVIDER_ZOHO: "in", common_pb2.PROVIDER_SHIPROCKET: "in"}.get(provider, "us")
            await stub.CreateConnection(
                connection_pb2.CreateConnectionRequest(
                    tenant_id=tenant,
                    provider=provider,
                    region=region,
                    environment=common_pb2.ENVIRONMENT_SANDBOX,
                    credentials=credentials,
                )
            )
    finally:
        await channel.close()


async def _records(dsn: str, tenants: list[str]) -> None:
    """``RECORDS`` records per tenant over 14 days, a tenth dead, and five runs, inserted as the owner."""
    conn = await asyncpg.connect(dsn)
    try:
        for tenant in tenants:
            tid = uuid.UUID(tenant)
            rows = []
            for i in range(RECORDS):
                dead = i % 10 == 0
                rows.append(
                    (
                        uuid.uuid4(),
                        tid,
                        "fulfilment",
                        f"zoho_salesorder:{tid.hex[:6]}{i}",
                        "dead" if dead else "succeeded",
                        REASONS[i % len(REASONS)] if dead else None,
                        "the courier refused the pin code" if dead else None,
                        1 + i % 3,
                        timedelta(minutes=(i * 14 * 24 * 60) // RECORDS),
                    )
                )
            await conn.executemany(
                "INSERT INTO records (id, tenant_id, flow, source_ref, state, reason, last_error, attempts, "
                "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() - $9::interval, "
                "now() - $9::interval)",
                rows,
            )
            for day in range(5):
                await conn.execute(
                    "INSERT INTO sync_runs (id, tenant_id, flow, trigger, window_start, window_end, state, received, "
                    "succeeded, failed, expected, started_at, finished_at) VALUES ($1, $2, 'cod-remittance', "
                    "'schedule', now() - $3::interval, now() - $3::interval + interval '1 day', 'completed', 40, 38, "
                    "2, 40, now() - $3::interval, now() - $3::interval + interval '3 minutes')",
                    uuid.uuid4(),
                    tid,
                    timedelta(days=day),
                )
    finally:
        await conn.close()


async def _sessions(portal: str, owners: list[str]) -> list[httpx.AsyncClient]:
    clients = []
    for i in range(SESSIONS):
        client = httpx.AsyncClient(base_url=portal, timeout=60, limits=httpx.Limits(max_connections=1))
        await client.get("/login")
        r = await client.post(
            "/api/v1/session",
            json={"email": owners[i % len(owners)], "password": PASSWORD},
            headers={"x-csrftoken": client.cookies["csrftoken"]},
        )
        r.raise_for_status()
        clients.append(client)
    return clients


# ----------------------------------------------------------------- load
async def _load(clients: list[httpx.AsyncClient], path: str) -> tuple[list[float], int]:
    latencies: list[float] = []
    stop_at = time.perf_counter() + DURATION

    async def session(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            r = await client.get(path)
            if r.status_code != 200:
                raise RuntimeError(f"{path} answered {r.status_code}: {r.text[:300]}")
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(session(c) for c in clients))
    return latencies, len(latencies)


def _summary(latencies: list[float]) -> dict[str, float]:
    latencies = sorted(latencies)
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "rps": len(latencies) / (DURATION * ROUNDS),
    }


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
        "CONNECTORS_PORTAL_LOGIN_FAILURES_PER_HOUR": "1000",
    }
    env.pop("CONNECTORS_APP_DATABASE_URL", None)
    await ensure_database(database_url)
    procs: list[asyncio.subprocess.Process] = []
    clients: list[httpx.AsyncClient] = []
    try:
        await asyncio.to_thread(migrate, Settings(database_url=database_url))
        python = sys.executable
        procs.append(
            await spawn(
                [python, "-m", "connectors.cli", "core", "--ready-file", str(work / "core.json")],
                env,
                work / "core.json",
                work / "core.log",
            )
        )
        portal_port, bare_port = free_port(), free_port()
        procs.append(
            await spawn(
                [python, "-m", "portal", "--port", str(portal_port), "--ready-file", str(work / "portal.json")],
                env,
                work / "portal.json",
                work / "portal.log",
            )
        )
        portal = f"http://127.0.0.1:{portal_port}"
        merchants = [await _merchant(portal, i) for i in range(TENANTS)]
        for tenant, _ in merchants:
            await _connections(core_addr, tenant)
        await _records(database_url.replace("postgresql+asyncpg://", "postgresql://"), [t for t, _ in merchants])
        clients = await _sessions(portal, [email for _, email in merchants])
        size = len((await clients[0].get("/")).content)
        bare_code = (
            "import asyncio, sys; from pathlib import Path; from bench.dashboard_latency import serve_bare; "
            "asyncio.run(serve_bare(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])))"
        )
        procs.append(
            await spawn(
                [python, "-c", bare_code, str(bare_port), str(size), str(work / "bare.json")],
                env,
                work / "bare.json",
                work / "bare.log",
            )
        )
        bare_clients = [
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{bare_port}", timeout=60, limits=httpx.Limits(max_connections=1)
            )
            for _ in range(SESSIONS)
        ]
        clients += bare_clients
        results: dict[str, list[float]] = {"bare page": [], "dashboard": []}
        for _ in range(ROUNDS):  # interleaved: the machine's drift falls on both alike
            results["bare page"] += (await _load(bare_clients, "/bare"))[0]
            results["dashboard"] += (await _load(clients[:SESSIONS], "/"))[0]
        return {name: {**_summary(lat), "bytes": float(size)} for name, lat in results.items()}
    finally:
        for client in clients:
            await client.aclose()
        for proc in reversed(procs):
            await stop(proc)
        await drop_database_async(database_url)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        figures = await _run(Path(tmp))
    bare, dash = figures["bare page"], figures["dashboard"]
    print(
        f"\nPortal dashboard, {SESSIONS} concurrent sessions over {TENANTS} merchants "
        f"({RECORDS} records each), {ROUNDS}x{DURATION:.0f} s interleaved rounds:"
    )
    for name, f in figures.items():
        print(f"  {name:10} p50 {f['p50_ms']:7.1f} ms   p95 {f['p95_ms']:7.1f} ms   {f['rps']:7.1f} pages/s")
    print(
        f"  dashboard p95 = {dash['p95_ms'] / bare['p95_ms']:.1f}x the bare page's; "
        f"throughput {dash['rps'] / bare['rps']:.0%} of it (page of {dash['bytes'] / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    asyncio.run(main())
