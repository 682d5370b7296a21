"""GetAccessToken and AcquireBudget beside a bare grpc.aio echo service, in one run; the servers run in their
own process (``bench.core_server``) and this one only generates the load.

For each: the maximum throughput with 32 concurrent callers, then p50/p99 latency at half of that load.
Printed as ratios to the echo service. Needs PostgreSQL and Redis; makes and drops its own database.
Target (Core issue): at least 70 % of the echo's throughput, p99 at most 5 ms at half the maximum load.

The core runs with its default budget linger (``CONNECTORS_BUDGET_LINGER_MS``); "no linger" is a replica that
sends each budget call to Redis at once, for comparison.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration

from connector.v1 import (
    budget_pb2,
    budget_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
)
from connectors.core_client import Authed

CONCURRENCY = 32
DURATION = 2.0
ROUNDS = 7
LATENCY_ROUNDS = 3
TOKEN = "b" * 32


async def _granted_or_refused(call: Awaitable[Any]) -> None:
    """A refusal (RESOURCE_EXHAUSTED with its delay) is a full answer of the budget service too."""
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
            raise


async def _measure_all(info: dict[str, Any]) -> dict[str, dict[str, float]]:
    echo_channel = grpc.aio.insecure_channel(f"127.0.0.1:{info['echo_port']}")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{info['core_port']}")
    meta = (("authorization", f"Bearer {info['token']}"),)
    tokens = Authed(token_pb2_grpc.TokenServiceStub(channel), meta)
    budgets = Authed(budget_pb2_grpc.BudgetServiceStub(channel), meta)
    eager_channel = grpc.aio.insecure_channel(f"127.0.0.1:{info['eager_core_port']}")
    eager_budgets = Authed(budget_pb2_grpc.BudgetServiceStub(eager_channel), meta)
    echo = echo_channel.unary_unary(
        "/bench.Echo/Echo",
        request_serializer=token_pb2.GetAccessTokenRequest.SerializeToString,
        response_deserializer=token_pb2.GetAccessTokenRequest.FromString,
    )
    token_request = token_pb2.GetAccessTokenRequest(tenant_id=info["tenant_id"], connection_id=info["connection_id"])
    budget_request = budget_pb2.AcquireBudgetRequest(
        tenant_id=info["tenant_id"],
        connection_id=info["connection_id"],
        bucket="api",
        cost=1,
        max_wait=Duration(seconds=1),  # as workers ask: book the next slot rather than be refused
    )
    await tokens.GetAccessToken(token_request)
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "bare echo": lambda: echo(token_request, metadata=meta),  # the same message and metadata
        "GetAccessToken": lambda: tokens.GetAccessToken(token_request),
        "AcquireBudget": lambda: _granted_or_refused(budgets.AcquireBudget(budget_request)),
        "  no linger": lambda: _granted_or_refused(eager_budgets.AcquireBudget(budget_request)),
    }
    # Interleaved rounds and medians: the machine's drift (two cores shared by client, server and Redis) then
    # falls on every kind alike.
    rates: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(ROUNDS):
        for name, call in calls.items():
            rates[name].append(await _max_rate(call))
    latencies: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    for _ in range(LATENCY_ROUNDS):
        for name, call in calls.items():
            latencies[name].append(await _latency_at(call, statistics.median(rates[name]) / 2))
    results: dict[str, dict[str, float]] = {}
    for name in calls:
        results[name] = {
            "rps": statistics.median(rates[name]),
            "p50_ms": statistics.median(p50 for p50, _ in latencies[name]),
            "p99_ms": statistics.median(p99 for _, p99 in latencies[name]),
        }
    await echo_channel.close()
    await channel.close()
    await eager_channel.close()
    return results


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
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready.json"
        served = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.core_server", str(ready))
        try:
            while not ready.exists():  # the server process writes the file once everything listens
                if served.returncode is not None:
                    raise RuntimeError("bench.core_server exited early")
                await asyncio.sleep(0.05)
            info = json.loads(ready.read_text())
            results = await _measure_all(info)
        finally:
            served.terminate()
            await served.wait()
    echo_rps = results["bare echo"]["rps"]
    print(
        f"core throughput (median of {ROUNDS} interleaved {DURATION:.0f} s rounds, {CONCURRENCY} concurrent callers; "
        f"latency at half that load, median of {LATENCY_ROUNDS} rounds)"
    )
    for name, r in results.items():
        print(
            f"  {name:15} {r['rps']:8.0f} calls/s ({r['rps'] / echo_rps:5.0%} of echo)  "
            f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        )
    return results


if __name__ == "__main__":
    asyncio.run(main())
