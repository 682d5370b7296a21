"""The arq worker: ``connectors worker`` runs it. Shared clients (database engine on the application role,
the core's gRPC channel, one HTTP client) are opened once in ``startup`` and kept on arq's ``ctx``.

The core's service token is the ``workers`` entry of ``CONNECTORS_SERVICE_TOKENS`` (else the first).
``CONNECTORS_HTTP_TIMEOUT_SECONDS`` (30) bounds each provider call. ``CONNECTORS_RECORD_LOCK_SECONDS`` (300)
is how long a record stays with a worker that stopped answering before the sweeper hands it to another; the
sweeper runs every ``CONNECTORS_SWEEP_SECONDS`` (5). ``CONNECTORS_RETRY_SCALE`` (1) compresses retry
delays; an event stored but never ingested is picked up after ``CONNECTORS_INBOX_STALE_SECONDS`` (10).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

import grpc
import httpx
from arq import cron
from arq.connections import RedisSettings
from httpx_aiohttp import AiohttpTransport
from sqlalchemy.orm import configure_mappers

from connector.v1 import connection_pb2_grpc
from connectors.changes import ChangeFeed
from connectors.core_client import Authed
from connectors.settings import Settings
from tenants.db import make_app_engine, make_sessions
from workers.calls import CoreStubs, Credentials
from workers.flows.context import Services
from workers.preview import preview_record
from workers.queue import QUEUE
from workers.runner import deliver_alert, ingest_event, run_record, sweep
from workers.runs import estimate_run, start_run
from workers.schedule import schedule_runs


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or Settings.from_env()
    configure_mappers()  # once, here, rather than inside the first job that touches a model
    # An attempt holds one connection through its provider calls (``one_connection``): one per job at once, and
    # a few for the sweeper and scheduler (overflow reconnects per use).
    engine = make_app_engine(settings, pool_size=WorkerSettings.max_jobs, max_overflow=4)
    channel = grpc.aio.insecure_channel(settings.core_addr)
    token = settings.service_token("workers")
    seconds = float(ctx.get("http_timeout") or os.environ.get("CONNECTORS_HTTP_TIMEOUT_SECONDS", "30"))
    # httpx's API over aiohttp's connections: httpx's own pool (httpcore on anyio) costs a provider call three
    # times the CPU, polling every idle socket on each request (``make bench``: bench.fulfilment_rate).
    http = httpx.AsyncClient(timeout=httpx.Timeout(seconds, connect=min(5.0, seconds)), transport=AiohttpTransport())
    redis = ctx["redis"]
    changes = ChangeFeed(redis)
    await changes.start(wait=0)  # until it is subscribed, every provider call asks the core for its token
    ctx["closers"] = [changes.stop, engine.dispose, channel.close, http.aclose]
    ctx["record_lock_seconds"] = float(os.environ.get("CONNECTORS_RECORD_LOCK_SECONDS", "300"))
    ctx["inbox_stale_seconds"] = float(os.environ.get("CONNECTORS_INBOX_STALE_SECONDS", "10"))
    ctx["services"] = Services(
        sessions=make_sessions(engine),
        core=CoreStubs.over(channel, token),
        connections=Authed(connection_pb2_grpc.ConnectionServiceStub(channel), (("authorization", f"Bearer {token}"),)),
        http=http,
        enqueue=redis.enqueue_job,
        credentials=Credentials(changes),
    )


async def shutdown(ctx: dict[str, Any]) -> None:
    for close in ctx.get("closers", []):
        await close()


def _sweep_seconds() -> set[int]:
    every = max(1, int(os.environ.get("CONNECTORS_SWEEP_SECONDS", "5")))
    return set(range(0, 60, every))


class WorkerSettings:
    functions: ClassVar[list[Any]] = [ingest_event, run_record, deliver_alert, start_run, preview_record, estimate_run]
    cron_jobs: ClassVar[list[Any]] = [
        cron(sweep, second=_sweep_seconds(), run_at_startup=True, unique=True),
        cron(schedule_runs, second=_sweep_seconds(), run_at_startup=True, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = QUEUE
    redis_settings = RedisSettings.from_dsn(Settings.from_env().redis_url)
    max_jobs = 20
    job_timeout = 600
    keep_result = 60
    max_tries = 1000  # our records count attempts themselves; a job lost mid-run is simply run again


def run(ready_file: Path | None = None) -> None:
    """Run a worker in the foreground until SIGINT/SIGTERM; once started, say so in ``ready_file``."""
    from arq.worker import run_worker

    async def started(ctx: dict[str, Any]) -> None:
        await startup(ctx)
        if ready_file is not None:
            tmp = ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"worker": {"queue": QUEUE, "pid": os.getpid()}}))
            tmp.replace(ready_file)

    run_worker(WorkerSettings, on_startup=started)  # type: ignore[arg-type]
