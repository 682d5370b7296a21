"""The sandbox kit over real HTTP: admin surface, faults, compressed clock, request log, error bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.kit import FixedWindow, SandboxError, Simulator, set_account
from sandbox.kit.server import SandboxServer


class EchoSimulator(Simulator):
    name = "echo"
    title = "Echo"
    listeners = {"api": 0, "other": 0}

    def reset_state(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.limiter = FixedWindow(self.clock, limit=3, window=60)

    def error_response(self, request: Request | None, status: int, message: str) -> Response:
        return JSONResponse({"oops": message, "code": status}, status_code=status)

    def routes(self) -> list[BaseRoute]:
        async def create(request: Request) -> Response:
            set_account(request, "acct-1")
            self.items.append(await request.json())
            return JSONResponse({"n": len(self.items), "listener": self.listener_of(request)}, status_code=201)

        async def limited(request: Request) -> Response:
            decision = self.limiter.hit("k")
            if not decision.allowed:
                raise SandboxError(429, {"oops": "slow down"})
            return JSONResponse({"remaining": decision.remaining})

        async def now(request: Request) -> Response:
            return JSONResponse({"now": self.clock.time()})

        return [
            Route("/items", create, methods=["POST"]),
            Route("/limited", limited, methods=["GET"]),
            Route("/now", now, methods=["GET"]),
        ]

    def state(self, account: str | None) -> dict[str, Any]:
        return {"items": self.items}


@pytest.fixture
async def echo() -> AsyncIterator[tuple[EchoSimulator, httpx.AsyncClient]]:
    sim = EchoSimulator()
    server = SandboxServer([sim])
    await server.start({"echo": {"api": 0, "other": 0}})
    async with httpx.AsyncClient(base_url=sim.url("api"), timeout=5) as client:
        yield sim, client
    await server.stop()


async def test_unknown_path_and_method_get_the_provider_error_body(
    echo: tuple[EchoSimulator, httpx.AsyncClient],
) -> None:
    _, client = echo
    r = await client.get("/nope")
    assert r.status_code == 404 and r.json()["code"] == 404
    r = await client.get("/items")
    assert r.status_code == 405 and r.json()["code"] == 405


async def test_each_listener_knows_which_one_it_is(echo: tuple[EchoSimulator, httpx.AsyncClient]) -> None:
    sim, client = echo
    assert (await client.post("/items", json={"a": 1})).json()["listener"] == "api"
    r = await client.post(sim.url("other") + "/items", json={"a": 2})
    assert r.json()["listener"] == "other"


async def test_request_log_records_body_status_and_account(
    echo: tuple[EchoSimulator, httpx.AsyncClient],
) -> None:
    _, client = echo
    await client.post("/items", json={"sku": "A-1"})
    log = (await client.get("/_sandbox/requests", params={"path": "/items"})).json()["requests"]
    assert log[-1]["body"] == '{"sku":"A-1"}' and log[-1]["status"] == 201 and log[-1]["account"] == "acct-1"


async def test_status_fault_answers_with_provider_body_and_retry_after(
    echo: tuple[EchoSimulator, httpx.AsyncClient],
) -> None:
    sim, client = echo
    r = await client.post("/_sandbox/faults", json={"kind": "status", "status": 429, "count": 1, "retry_after": 7})
    assert r.status_code == 200
    first = await client.post("/items", json={})
    assert first.status_code == 429 and first.json()["code"] == 429 and first.headers["retry-after"] == "7"
    assert (await client.post("/items", json={})).status_code == 201
    assert len(sim.items) == 1


async def test_bad_fault_rule_is_refused_with_the_field_named(
    echo: tuple[EchoSimulator, httpx.AsyncClient],
) -> None:
    _, client = echo
    r = await client.post("/_sandbox/faults", json={"kind": "status", "status": 404})
    assert r.status_code == 400 and "429 or 5xx" in r.json()["error"]
    r = await client.post("/_sandbox/faults", json={"kind": "explode"})
    assert r.status_code == 400 and "kind must be one of" in r.json()["error"]


async def test_drop_after_commit_keeps_the_write_but_loses_the_answer(
    echo: tuple[EchoSimulator, httpx.AsyncClient],
) -> None:
    sim, client = echo
    await client.post("/_sandbox/faults", json={"kind": "drop_after_commit", "count": 1, "path_prefix": "/items"})
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/items", json={"x": 1})
    assert sim.items == [{"x": 1}]


async def test_timeout_fault_never_answers(echo: tuple[EchoSimulator, httpx.AsyncClient]) -> None:
    _, client = echo
    await client.post("/_sandbox/faults", json={"kind": "timeout", "count": 1, "hang_seconds": 5})
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/now", timeout=0.3)


async def test_compressed_clock_resets_a_minute_window_in_a_second(
    echo: tuple[EchoSimulator, httpx.AsyncClient],
) -> None:
    _, client = echo
    assert [(await client.get("/limited")).status_code for _ in range(4)] == [200, 200, 200, 429]
    await client.post("/_sandbox/clock", json={"advance_seconds": 61})
    assert (await client.get("/limited")).status_code == 200


async def test_clock_speed_and_bad_settings(echo: tuple[EchoSimulator, httpx.AsyncClient]) -> None:
    _, client = echo
    r = await client.post("/_sandbox/clock", json={"speed": 0})
    assert r.status_code == 400
    r = await client.post("/_sandbox/clock", json={"speed": 120})
    assert r.json()["speed"] == 120
    r = await client.post("/_sandbox/clock", json={"set": "2025-03-09T09:00:00"})
    assert r.status_code == 400 and "time zone" in r.json()["error"]
