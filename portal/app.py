"""The portal's Litestar app: its domain slices on shared resources, and the uvicorn server that runs it.

``create_app(settings, core_token=...)`` builds the app; its lifespan opens the resources (database engine,
arq pool, gRPC channel to the core, sessions; ``portal.resources``) at startup, lets each slice put what it
needs on ``app.state``, and closes them at shutdown. ``GET /healthz`` answers while the process serves.

Slices (each a module or package with a ``SLICE``): ``hooks`` (the webhook ingress), ``accounts`` (sign-up,
login, team), ``connections``, ``sync`` (history and resync), ``records`` (failed records and replay),
``preferences`` (a tenant's flow settings), ``support`` (the support console and the audit log).

Pages are server-rendered (Jinja2, ``portal/templates``); beside them, under ``/api/v1``, a JSON API does
everything the pages do, described by the OpenAPI schema at ``/api/schema/openapi.json``. Every route
declares an access level (``portal.security.access``); every state-changing request carries a CSRF token
(Litestar's double-submit cookie: the ``csrftoken`` cookie echoed in the ``x-csrftoken`` header or the
form's ``_csrf_token`` field), except the webhook ingress.

``serve(settings, host, port)`` runs it (``connectors portal``); ``python -m portal`` does the same from the
environment's settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import structlog
import uvicorn
from litestar import Litestar, Router, get
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.types import Scope

from connectors.settings import Settings
from portal import hooks
from portal.accounts import routes as accounts
from portal.connections import routes as connections
from portal.preferences import routes as preferences
from portal.records import routes as records
from portal.resources import Slice, open_resources
from portal.security.access import Access, SessionMiddleware, at, check_access
from portal.settings import PortalConfig
from portal.settings import core_token as settings_core_token
from portal.support import routes as support
from portal.sync import routes as sync
from portal.web.errors import HANDLERS, Problem, from_grpc
from portal.web.pages import STATIC, TEMPLATE_CONFIG

SLICES: tuple[Slice, ...] = (
    hooks.SLICE,
    accounts.SLICE,
    connections.SLICE,
    sync.SLICE,
    records.SLICE,
    preferences.SLICE,
    support.SLICE,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


log = structlog.get_logger("portal")


@get("/healthz", name="healthz", opt=at(Access.PUBLIC), include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def log_unexpected(exc: Exception, scope: Scope) -> None:
    """Log what became a 500 (client errors are answered, and logged by their slice where it matters).

    The route's name, never its path: ShipStation's webhook URLs carry their secret."""
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return
    if isinstance(exc, Problem) and exc.status < 500:
        return
    if isinstance(exc, grpc.aio.AioRpcError) and from_grpc(exc).status < 500:
        return
    handler = scope.get("route_handler")
    log.error(
        "request failed", route=getattr(handler, "name", None), error=f"{type(exc).__name__}: {exc}", exc_info=exc
    )


def create_app(settings: Settings, *, core_token: str, config: PortalConfig | None = None) -> Litestar:
    """The portal app; nothing is opened until its lifespan starts (under uvicorn, or a test client)."""
    config = config or PortalConfig.from_env(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        resources = await open_resources(settings, core_token, config)
        try:
            app.state.resources = resources
            app.state.sessions = resources.sessions_store
            for part in SLICES:
                for key, value in part.bind(resources).items():
                    app.state[key] = value
            yield
        finally:
            await resources.close()

    static = create_static_files_router(
        "/static", directories=[STATIC], opt=at(Access.PUBLIC), include_in_schema=False, name="static"
    )
    return Litestar(
        route_handlers=[healthz, static, *(part.router for part in SLICES)],
        lifespan=[lifespan],
        guards=[check_access],
        middleware=[SessionMiddleware()],
        csrf_config=CSRFConfig(
            secret=config.secret,
            cookie_secure=config.secure_cookies,
            cookie_samesite="lax",
            exclude=["^/hooks(/|$)"],
        ),
        template_config=TEMPLATE_CONFIG,
        exception_handlers=HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Connector platform portal API",
            version="1",
            description="Everything the portal's pages do, as JSON. Sign in with POST /api/v1/session; "
            "send the csrftoken cookie's value back in the x-csrftoken header with every change.",
            path="/api/schema",
            render_plugins=[JsonRenderPlugin()],
            openapi_router=Router("/api/schema", route_handlers=[], opt=at(Access.PUBLIC)),
            use_handler_docstrings=True,
        ),
        # Logging is the process's (structlog, ``connectors.logs``): Litestar must not reconfigure the root
        # logger, nor re-enable uvicorn's access log (ShipStation's webhook URLs carry their secret).
        logging_config=None,
        after_exception=[log_unexpected],
    )


class _Server(uvicorn.Server):
    """Uvicorn with SIGINT/SIGTERM handled on the event loop: a graceful stop and exit status 0 (uvicorn's own
    handling re-raises the signal once stopped, so the process would die of it, as if killed)."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()

    def stop(self) -> None:
        self.should_exit = True


async def run(
    settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, ready_file: Path | None = None
) -> bool:
    """Serve until SIGINT or SIGTERM; once listening, write ``{"portal": {"url": ...}}`` to ``ready_file``.

    False when the server never started (its startup failed; uvicorn logged why)."""
    app = create_app(settings, core_token=settings_core_token(settings))
    # No access log: ShipStation's webhook URLs carry their secret. Refused webhooks are logged by the slice.
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None, lifespan="on")
    server = _Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.05)
    if server.started and ready_file is not None:
        tmp = ready_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"portal": {"url": f"http://{host}:{port}"}}))
        tmp.replace(ready_file)
    await task
    return server.started


def serve(
    settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, ready_file: Path | None = None
) -> int:
    """``connectors portal``: configure logging and serve; 0 after a clean stop, 2 when it cannot start."""
    from connectors.logs import configure

    configure()
    try:
        settings_core_token(settings)
        started = asyncio.run(run(settings, host, port, ready_file))
    except (ValueError, OSError) as exc:
        print(f"connectors portal: {exc}", file=sys.stderr)
        return 2
    return 0 if started else 2
