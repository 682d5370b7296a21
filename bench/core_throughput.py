"""GetAccessToken and AcquireBudget beside a bare grpc.aio echo service, in one run.

For each: the maximum throughput with 32 concurrent callers, then p50/p99 latency at half of that load.
Printed as ratios to the echo service. Needs PostgreSQL and Redis; makes and drops its own database.
Target (Core issue): at least 70 % of the echo's throughput, p99 at most 5 ms at half the maximum load.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from connector.v1 import (
    budget_pb2,
    budget_pb2_grpc,
    common_pb2,
    connection_pb2,
    connection_pb2_grpc,
    tenant_pb2,
    tenant_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
)
from connectors.core_client import Authed
from connectors.settings import Settings
from core.server import start
from core.vault import Keyring
from tenants.migrate import drop_database_async, ensure_database, migrate

CONCURRENCY = 32
DURATION = 4.0
TOKEN = "b" * 32


async def _echo_server() -> tuple[grpc.aio.Server, int]:
    def echo(request: bytes, context: Any) -> bytes:
        return request

    handler = grpc.method_handlers_generic_handler("bench.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


async def _granted_or_refused(call: Awaitable[Any]) -> None:
    """A refusal (RESOURCE_EXHAUSTED with its delay) is a full answer of the budget service too."""
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
            raise


async def _max_rate(call: Callable[[], Awaitable[Any]]) -> float:
    done = 0
    stop = time.perf_counter() + DURATION

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await call()
            done += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return done / DURATION


async def _latency_at(call: Callable[[], Awaitable[Any]], rate: float) -> tuple[float, float]:
    latencies: list[float] = []
    interval = 1 / rate
    tasks = []

    async def one() -> None:
        t0 = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - t0)

    start_at = time.perf_counter()
    n = int(rate * DURATION)
    for i in range(n):
        delay = start_at + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    latencies.sort()
    return statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.99)] * 1000


async def main() -> dict[str, dict[str, float]]:
    base = Settings.from_env()
    url = f"{base.database_url.rsplit('/', 1)[0]}/connectors_bench_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=url,
        redis_url=base.redis_url,
        service_tokens=f"bench:{TOKEN}",
        master_keys=Keyring.generate_entry("b1"),
        # A budget that never runs dry, so the bench measures the service rather than ShipStation's limit.
        budget_time_scale=1e6,
    )
    await ensure_database(url)
    await asyncio.to_thread(migrate, settings)
    echo_server, echo_port = await _echo_server()
    core = await start(settings, "127.0.0.1:0")
    try:
        echo_channel = grpc.aio.insecure_channel(f"127.0.0.1:{echo_port}")
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{core.port}")
        meta = (("authorization", f"Bearer {TOKEN}"),)
        tenants = Authed(tenant_pb2_grpc.TenantServiceStub(channel), meta)
        tenant = (
            await tenants.CreateTenant(tenant_pb2.CreateTenantRequest(slug="bench", name="Bench"))
        ).tenant.tenant_id
        connections = Authed(connection_pb2_grpc.ConnectionServiceStub(channel), meta)
        conn = (
            await connections.CreateConnection(
                connection_pb2.CreateConnectionRequest(
                    tenant_id=tenant,
                    provider=common_pb2.PROVIDER_SHIPSTATION,
                    region="us",
                    environment=common_pb2.ENVIRONMENT_SANDBOX,
                    credentials=connection_pb2.Credentials(
                        api_key=connection_pb2.ApiKeyCredentials(api_key="k", api_secret="s")
                    ),
                )
            )
        ).connection.connection_id
        tokens = Authed(token_pb2_grpc.TokenServiceStub(channel), meta)
        budgets = Authed(budget_pb2_grpc.BudgetServiceStub(channel), meta)
        echo = echo_channel.unary_unary("/bench.Echo/Echo")
        token_request = token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=conn)
        payload = token_request.SerializeToString()
        await tokens.GetAccessToken(token_request)
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "bare echo": lambda: echo(payload),
            "GetAccessToken": lambda: tokens.GetAccessToken(token_request),
            "AcquireBudget": lambda: _granted_or_refused(
                budgets.AcquireBudget(
                    budget_pb2.AcquireBudgetRequest(tenant_id=tenant, connection_id=conn, bucket="api", cost=1)
                )
            ),
        }
        results: dict[str, dict[str, float]] = {}
        for name, call in calls.items():
            rate = await _max_rate(call)
            p50, p99 = await _latency_at(call, rate / 2)
            results[name] = {"rps": rate, "p50_ms": p50, "p99_ms": p99}
        await echo_channel.close()
        await channel.close()
    finally:
        await core.stop(0)
        await echo_server.stop(0)
        await drop_database_async(url)
    echo_rps = results["bare echo"]["rps"]
    print(f"core throughput ({CONCURRENCY} concurrent callers, {DURATION:.0f} s each; latency at half the max load)")
    for name, r in results.items():
        print(
            f"  {name:15} {r['rps']:8.0f} calls/s ({r['rps'] / echo_rps:5.0%} of echo)  "
            f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        )
    return results
