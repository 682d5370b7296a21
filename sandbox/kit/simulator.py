"""The base of every provider simulator: one ASGI app, its listeners, and the ``/_sandbox/`` admin surface.

A provider subclasses ``Simulator`` and supplies its routes, its own error body, and its state (kept
per merchant account). The kit adds, for every provider alike:

- the request log and the fault layer (``faults.py``) in front of the provider routes;
- the provider's own body for unknown paths, wrong methods and unexpected errors (never a trace);
- the admin surface, under ``/_sandbox/`` on every listener:

    GET    /_sandbox/                 what this simulator is, its URLs and admin endpoints
    POST   /_sandbox/reset            forget everything, then re-seed the demo merchant
    POST   /_sandbox/seed             provider-specific seeding (e.g. N orders over a time range)
    GET    /_sandbox/state            the state, optionally ``?account=``
    GET    /_sandbox/accounts         merchant accounts;  POST creates one and returns its credentials
    GET    /_sandbox/requests         the request log (filters: method, path, account, since_id, limit)
    DELETE /_sandbox/requests         clear it
    POST   /_sandbox/webhooks/emit    send a provider webhook to a target URL
    GET    /_sandbox/webhooks/deliveries
    GET/POST/DELETE /_sandbox/faults  inspect, add (one rule or ``{"rules": [...]}``), clear rules
    GET/POST /_sandbox/clock          read or set the sandbox clock (``speed``, ``advance_seconds``, ``set``)
    POST   /_sandbox/tokens/expire    expire access tokens (``account`` optional)
    POST   /_sandbox/tokens/revoke    revoke tokens (``account`` and ``kind`` optional)
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.kit.clock import Clock
from sandbox.kit.errors import ConnectionDropped, SandboxError
from sandbox.kit.faults import FaultRule, Faults
from sandbox.kit.requestlog import MAX_BODY, LoggedRequest, RequestLog
from sandbox.kit.tokens import TokenStore
from sandbox.kit.webhooks import WebhookSender

log = logging.getLogger("sandbox")

ADMIN_PREFIX = "/_sandbox"


class Simulator:
    """Subclass per provider. Override the hooks marked *provider hook*."""

    name: ClassVar[str]
    title: ClassVar[str]
    listeners: ClassVar[dict[str, int]]
    """Listener name → default port (from ``sandbox/ports.py``). Zoho has one per data centre and role."""
    webhook_delivered_statuses: ClassVar[frozenset[int] | None] = None
    """Answers the provider counts as a delivered webhook (default: any 2xx)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.tokens = TokenStore(self.clock)
        self.faults = Faults()
        self.requests = RequestLog()
        self.webhooks = WebhookSender(self.clock, delivered_statuses=self.webhook_delivered_statuses)
        self.host = "127.0.0.1"
        self.ports: dict[str, int] = dict(self.listeners)
        self._listener_by_port: dict[int, str] = {p: n for n, p in self.ports.items()}
        self._app: Starlette | None = None
        self.reset_state()
        self.seed_demo()

    # ----------------------------------------------------------------- provider hooks
    def routes(self) -> list[BaseRoute]:
        """*provider hook*: the provider's API routes."""
        raise NotImplementedError

    def admin_routes(self) -> list[BaseRoute]:
        """*provider hook*: extra admin routes (paths relative to ``/_sandbox``)."""
        return []

    def error_response(self, request: Request | None, status: int, message: str) -> Response:
        """*provider hook*: the provider's own error body for a status the kit produces."""
        return JSONResponse({"message": message}, status_code=status)

    def render_error(self, exc: SandboxError) -> Response:
        """*provider hook*: how a raised ``SandboxError`` is written (Magento: PHP's JSON encoding)."""
        if exc.text is not None:
            return Response(exc.text, status_code=exc.status, headers=exc.headers)
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    def reset_state(self) -> None:
        """*provider hook*: drop all provider state (accounts, records)."""

    def seed_demo(self) -> None:
        """*provider hook*: create the demo merchant with its fixed credentials."""

    def seed(self, params: dict[str, Any]) -> dict[str, Any] | Awaitable[dict[str, Any]]:
        """*provider hook*: seed records (``POST /_sandbox/seed``)."""
        raise SandboxError(400, {"error": "this simulator has no seeding"})

    def state(self, account: str | None) -> dict[str, Any]:
        """*provider hook*: the state for inspection."""
        return {}

    def accounts(self) -> list[dict[str, Any]]:
        """*provider hook*: the merchant accounts (public view)."""
        return []

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        """*provider hook*: create a merchant account; returns its credentials."""
        raise SandboxError(400, {"error": "this simulator cannot create accounts"})

    def emit_webhook(self, params: dict[str, Any]) -> Awaitable[dict[str, Any]] | dict[str, Any]:
        """*provider hook*: send a provider webhook (``POST /_sandbox/webhooks/emit``)."""
        raise SandboxError(400, {"error": "this provider sends no webhooks"})

    def account_hint(self, scope: Scope) -> str | None:
        """*provider hook*: the merchant account a request belongs to, before routing (for faults)."""
        return None

    def info(self) -> dict[str, Any]:
        """*provider hook*: base URLs and demo credentials (``connectors sandbox info --json``)."""
        return {"base_url": self.url(next(iter(self.listeners))), "admin_url": self.admin_url()}

    # ----------------------------------------------------------------- kit
    def bind(self, ports: dict[str, int], host: str = "127.0.0.1") -> None:
        """Record where each listener really listens, so URLs the simulator hands out point back to it."""
        self.host = host
        self.ports = dict(ports)
        self._listener_by_port = {p: n for n, p in self.ports.items()}

    def url(self, listener: str) -> str:
        return f"http://{self.host}:{self.ports[listener]}"

    def admin_url(self) -> str:
        return self.url(next(iter(self.listeners))) + ADMIN_PREFIX

    def listener_of(self, request: Request) -> str:
        listener: str | None = request.scope.get("state", {}).get("listener")
        if listener is None:
            server = request.scope.get("server") or ("", 0)
            listener = self._listener_by_port.get(server[1], next(iter(self.listeners)))
        return listener

    def reset(self) -> None:
        self.tokens.clear()
        self.faults.clear()
        self.requests.clear()
        self.webhooks.clear()
        self.reset_state()
        self.seed_demo()

    @property
    def app(self) -> Starlette:
        if self._app is None:
            self._app = self._build_app()
        return self._app

    def _build_app(self) -> Starlette:
        admin = [
            Route(ADMIN_PREFIX + r.path, r.endpoint, methods=r.methods)
            for r in self._kit_admin_routes() + self.admin_routes()
            if isinstance(r, Route)
        ]

        async def on_sandbox_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, SandboxError)
            return self.render_error(exc)

        async def on_http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)
            if request.url.path.startswith(ADMIN_PREFIX):
                return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
            return self.error_response(request, exc.status_code, str(exc.detail))

        async def on_crash(request: Request, exc: Exception) -> Response:
            log.exception("%s simulator crashed on %s %s", self.name, request.method, request.url.path)
            return self.error_response(request, 500, "Internal error")

        app = Starlette(
            routes=admin + self.routes(),
            exception_handlers={SandboxError: on_sandbox_error, HTTPException: on_http_error, 500: on_crash},
        )
        app.add_middleware(FaultLayer, simulator=self)
        return app

    # ----------------------------------------------------------------- admin surface
    def _kit_admin_routes(self) -> list[Route]:
        async def index(request: Request) -> Response:
            return JSONResponse(
                {
                    "simulator": self.name,
                    "title": self.title,
                    "listeners": {n: self.url(n) for n in self.ports},
                    "clock": self.clock.snapshot(),
                    "info": self.info(),
                    "provider_admin_routes": sorted(
                        f"{','.join(sorted((r.methods or set()) - {'HEAD'}))} {ADMIN_PREFIX}{r.path}"
                        for r in self.admin_routes()
                        if isinstance(r, Route)
                    ),
                    "admin": (__doc__ or "")
                    .split("admin surface, under ``/_sandbox/`` on every listener:")[-1]
                    .strip()
                    .splitlines(),
                }
            )

        async def reset(request: Request) -> Response:
            self.reset()
            return JSONResponse({"reset": True, "accounts": self.accounts()})

        async def seed(request: Request) -> Response:
            result = self.seed(await admin_json(request))
            if inspect.isawaitable(result):
                result = await result
            return JSONResponse(result)

        async def state(request: Request) -> Response:
            return JSONResponse(self.state(request.query_params.get("account")))

        async def accounts(request: Request) -> Response:
            if request.method == "POST":
                return JSONResponse(self.create_account(await admin_json(request)), status_code=201)
            return JSONResponse({"accounts": self.accounts()})

        async def requests(request: Request) -> Response:
            if request.method == "DELETE":
                self.requests.clear()
                return JSONResponse({"cleared": True})
            q = request.query_params
            try:
                since_id, limit = int(q.get("since_id", "0")), int(q.get("limit", "500"))
            except ValueError as exc:
                raise SandboxError(400, {"error": "since_id and limit must be integers"}) from exc
            items = self.requests.query(
                method=q.get("method"),
                path=q.get("path"),
                account=q.get("account"),
                since_id=since_id,
                limit=limit,
            )
            return JSONResponse({"requests": items, "count": len(items)})

        async def emit(request: Request) -> Response:
            result = self.emit_webhook(await admin_json(request))
            if inspect.isawaitable(result):
                result = await result
            return JSONResponse(result)

        async def deliveries(request: Request) -> Response:
            return JSONResponse({"deliveries": self.webhooks.snapshot()})

        async def faults(request: Request) -> Response:
            if request.method == "DELETE":
                self.faults.clear()
            elif request.method == "POST":
                body = await admin_json(request)
                if "seed" in body:
                    self.faults.reseed(body.pop("seed"))
                specs = body.get("rules", [body] if body else [])
                try:
                    rules = [FaultRule.parse(s) for s in specs]
                except (TypeError, ValueError) as exc:
                    raise SandboxError(400, {"error": f"bad fault rule: {exc}"}) from exc
                for rule in rules:
                    self.faults.add(rule)
            return JSONResponse({"rules": self.faults.snapshot()})

        async def clock(request: Request) -> Response:
            if request.method == "POST":
                body = await admin_json(request)
                if body.get("reset"):
                    self.clock.reset()
                try:
                    set_to = datetime.fromisoformat(body["set"]) if body.get("set") else None
                    self.clock.configure(
                        speed=body.get("speed"), advance_seconds=body.get("advance_seconds"), set_to=set_to
                    )
                except (TypeError, ValueError) as exc:
                    raise SandboxError(400, {"error": f"bad clock setting: {exc}"}) from exc
            return JSONResponse(self.clock.snapshot())

        async def tokens(request: Request) -> Response:
            body = await admin_json(request)
            action = request.path_params["action"]
            if action == "expire":
                n = self.tokens.expire_all(body.get("account"), body.get("kind", "access"))
            elif action == "revoke":
                n = self.tokens.revoke_all(body.get("account"), body.get("kind"))
            else:
                raise SandboxError(404, {"error": "action must be expire or revoke"})
            return JSONResponse({action: n})

        return [
            Route("/", index, methods=["GET"]),
            Route("/reset", reset, methods=["POST"]),
            Route("/seed", seed, methods=["POST"]),
            Route("/state", state, methods=["GET"]),
            Route("/accounts", accounts, methods=["GET", "POST"]),
            Route("/requests", requests, methods=["GET", "DELETE"]),
            Route("/webhooks/emit", emit, methods=["POST"]),
            Route("/webhooks/deliveries", deliveries, methods=["GET"]),
            Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route("/clock", clock, methods=["GET", "POST"]),
            Route("/tokens/{action}", tokens, methods=["POST"]),
        ]


async def admin_json(request: Request) -> dict[str, Any]:
    """The admin request's JSON object body (empty body → ``{}``); a clear 400 otherwise."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SandboxError(400, {"error": f"body is not JSON: {exc}"}) from exc
    if not isinstance(body, dict):
        raise SandboxError(400, {"error": "body must be a JSON object"})
    return body


def set_account(request: Request, account: str) -> None:
    """Tell the request log (and account-scoped faults) which merchant this request acted for."""
    request.scope.setdefault("state", {})["account"] = account


class FaultLayer:
    """Logs every provider request and applies the fault rules in front of the provider routes."""

    def __init__(self, app: ASGIApp, simulator: Simulator) -> None:
        self.app = app
        self.sim = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        server = scope.get("server") or ("", 0)
        state["listener"] = self.sim._listener_by_port.get(server[1], next(iter(self.sim.listeners)))
        method, path = scope["method"], scope["path"]
        chunks: list[bytes] = []

        async def logged_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        status: list[int] = []

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        entry = LoggedRequest(
            id=0,
            at=self.sim.clock.now().isoformat(),
            listener=state["listener"],
            method=method,
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])},
            body="",
        )
        fired = self.sim.faults.fire(method, path, self.sim.account_hint(scope))
        try:
            for rule in fired:
                if rule.kind == "latency":
                    await asyncio.sleep(rule.latency_ms / 1000)
            chosen = next((r for r in fired if r.kind != "latency"), None)
            entry.fault = chosen.kind if chosen else None
            if chosen is None:
                await self.app(scope, logged_receive, logged_send)
            elif chosen.kind == "status":
                await self._answer_fault(scope, logged_receive, logged_send, chosen)
            elif chosen.kind == "timeout":
                await self._hang(logged_receive, send, chosen.hang_seconds)
            else:
                await self._drop_after_commit(scope, logged_receive, send)
        finally:
            entry.body = b"".join(chunks)[:MAX_BODY].decode("utf-8", "replace")
            entry.status = status[0] if status else None
            entry.account = state.get("account")
            self.sim.requests.add(entry)

    async def _answer_fault(self, scope: Scope, receive: Receive, send: Send, rule: FaultRule) -> None:
        request = Request(scope, receive)
        response = self.sim.error_response(request, rule.status, _fault_message(rule.status))
        if rule.retry_after is not None:
            response.headers["Retry-After"] = str(rule.retry_after)
        await response(scope, receive, send)

    async def _hang(self, receive: Receive, send: Send, seconds: float) -> None:
        async def until_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until_disconnect(), timeout=seconds)
        await _hang_up(send)

    async def _drop_after_commit(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await _hang_up(send)


async def _hang_up(send: Send) -> None:
    """Start a response that never completes, so the server closes the connection mid-answer."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
    raise ConnectionDropped("fault injected: connection dropped")


def _fault_message(status: int) -> str:
    return {
        429: "Too many requests",
        500: "Internal error",
        502: "Bad gateway",
        503: "Service unavailable",
        504: "Gateway timeout",
    }.get(status, "Error")


RouteHandler = Callable[[Request], Awaitable[Response]]
