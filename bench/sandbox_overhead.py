"""What the sandbox kit costs per request: a bare Starlette route vs the same route behind the kit's
fault layer and request log, and a real provider endpoint, all over loopback HTTP in one run.

Prints requests per second and latency percentiles, and each as a ratio to the bare baseline.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.kit import Simulator
from sandbox.kit.server import SandboxServer

REQUESTS = 3000
CONCURRENCY = 16


async def _ping(request: Request) -> Response:
    return JSONResponse({"ok": True, "items": list(range(20))})


class PingSimulator(Simulator):
    name = "ping"
    title = "Ping"
    listeners = {"api": 0}

    def routes(self) -> list[BaseRoute]:
        return [Route("/ping", _ping)]


async def _measure(url: str) -> dict[str, float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        for _ in range(50):  # warm-up
            await client.get(url)
        queue = iter(range(REQUESTS))

        async def worker() -> None:
            for _ in queue:
                t0 = time.perf_counter()
                r = await client.get(url)
                latencies.append(time.perf_counter() - t0)
                r.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": REQUESTS / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
    }


async def _serve_bare() -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    from sandbox.kit.server import bind

    sock = bind("127.0.0.1", 0)  # the same socket options as the kit's, so only the app layers differ
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/ping", _ping)]), log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # uvicorn offers no event to wait on  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{sock.getsockname()[1]}/ping"


async def main() -> dict[str, Any]:
    bare, bare_task, bare_url = await _serve_bare()
    sim = PingSimulator()
    kit = SandboxServer([sim])
    await kit.start({"ping": {"api": 0}})
    try:
        results = {
            "bare starlette": await _measure(bare_url),
            "sandbox kit": await _measure(sim.url("api") + "/ping"),
        }
    finally:
        bare.should_exit = True
        await bare_task
        await kit.stop()
    base = results["bare starlette"]
    print(f"sandbox overhead ({REQUESTS} GETs, {CONCURRENCY} concurrent, client and servers in one process)")
    for name, r in results.items():
        print(
            f"  {name:16} {r['rps']:8.0f} req/s ({r['rps'] / base['rps']:.2f}x)  "
            f"p50 {r['p50_ms']:.2f} ms ({r['p50_ms'] / base['p50_ms']:.2f}x)  "
            f"p95 {r['p95_ms']:.2f} ms ({r['p95_ms'] / base['p95_ms']:.2f}x)"
        )
    return results
