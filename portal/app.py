"""The portal's Litestar app: its domain slices on shared resources, and the uvicorn server that runs it.

``create_app(settings, core_token=...)`` builds the app; its lifespan opens the resources (database engine,
arq pool, gRPC channel to the core; ``portal.resources``) at startup, lets each slice put what it needs on
``app.state``, and closes them at shutdown. Slices so far: ``hooks`` (the webhook ingress). ``GET /healthz``
answers while the process serves.

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

import structlog
import uvicorn
from litestar import Litestar, get
from litestar.exceptions import HTTPException
from litestar.types import Scope

from connectors.settings import Settings
from portal import hooks
from portal.resources import Slice, open_resources
from portal.settings import core_token as settings_core_token

SLICES: tuple[Slice, ...] = (hooks.SLICE,)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


log = structlog.get_logger("portal")


@get("/healthz", name="healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def log_unexpected(exc: Exception, scope: Scope) -> None:
    """Log what became a 500 (client errors are answered, and logged by their slice where it matters).

    The route's name, never its path: ShipStation's webhook URLs carry their secret."""
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return
    handler = scope.get("route_handler")
    log.error("request failed", route=getattr(handler, "name", None), error=f"{type(exc).__name__}: {exc}")


def create_app(settings: Settings, *, core_token: str) -> Litestar:
    """The portal app; nothing is opened until its lifespan starts (under uvicorn, or a test client)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        resources = await open_resources(settings, core_token)
        try:
            app.state.resources = resources
            for part in SLICES:
                for key, value in part.bind(resources).items():
                    app.state[key] = value
            yield
        finally:
            await resources.close()

    return Litestar(
        route_handlers=[healthz, *(part.router for part in SLICES)],
        lifespan=[lifespan],
        openapi_config=None,
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
