"""SyncService: trigger a run of a flow over a time window; read runs with counts and progress.

A run is a ``sync_runs`` row queued for a worker (``start_run``), which discovers the window's sources and
starts a record for each new one. Counts come from those records; the first read that finds every record of
a running run finished settles it (``completed`` or ``completed_with_failures``, with its finish time).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from arq.connections import ArqRedis
from google.protobuf.duration_pb2 import Duration
from redis.exceptions import RedisError
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import sync_pb2 as pb
from connector.v1 import sync_pb2_grpc
from core import audit, paging, providers, runs
from core.audit import Action
from core.errors import InvalidArgument, NotFound, WorkersUnavailable
from core.services.convert import timestamp
from core.services.records import actor, instant
from core.services.rpc import rpc
from core.tenancy import parse_id
from tenants.db import tenant_session
from tenants.models import Record, SyncRun
from workers.flows import catalog
from workers.queue import ESTIMATE_RUN, QUEUE, START_RUN, run_job_id

log = structlog.get_logger("core.sync")

STATES: dict[str, int] = {
    "queued": pb.RUN_STATE_QUEUED,
    "discovering": pb.RUN_STATE_DISCOVERING,
    "running": pb.RUN_STATE_RUNNING,
    "completed": pb.RUN_STATE_COMPLETED,
    "completed_with_failures": pb.RUN_STATE_COMPLETED_WITH_FAILURES,
    "failed": pb.RUN_STATE_FAILED,
}
STATE_NAMES: dict[int, str] = {value: name for name, value in STATES.items()}


ESTIMATE_TIMEOUT = 30.0


def provider_calls(provider: str, calls: int) -> pb.ProviderCalls:
    """A provider's share of a run, with the least time its rate limit (the tightest bucket) allows (pure)."""
    limits = providers.get(provider).rate_limits
    tightest = max(limits, key=lambda limit: limit.per / limit.limit) if limits else None
    share = pb.ProviderCalls(provider=provider, calls=calls)
    if tightest is not None:
        share.limit = int(tightest.limit)
        share.period.CopyFrom(Duration(seconds=int(tightest.per)))
        share.at_least.CopyFrom(Duration(seconds=int(calls * tightest.per / tightest.limit)))
    return share


def estimate_message(result: dict[str, Any]) -> pb.EstimateRunResponse:
    """A worker's ``estimate_run`` answer as the response (pure)."""
    shares = [provider_calls(provider, int(n)) for provider, n in sorted(result["calls"].items())]
    slowest = max((share.at_least.seconds for share in shares), default=0)
    return pb.EstimateRunResponse(
        sources=int(result["sources"]), calls=shares, at_least=Duration(seconds=slowest), detail=result["detail"]
    )


def runnable_flow(name: str) -> str:
    """The flow, if it can run over a window (it has ``discover``); INVALID_ARGUMENT naming ``flow`` if not."""
    spec = catalog.FLOWS.get(name)
    if spec is None or spec.discover is None:
        able = sorted(n for n, s in catalog.FLOWS.items() if s.discover is not None)
        known = f"flows that can: {', '.join(able)}" if able else "no flow can yet"
        what = "is not a flow" if spec is None else "cannot run over a window (it has no discover)"
        raise InvalidArgument.one("flow", f"{name!r} {what}; {known}")
    return name


def run_message(row: SyncRun, c: runs.Counts, now: datetime) -> pb.SyncRun:
    duration = Duration()
    duration.FromTimedelta(max((row.finished_at or now) - row.started_at, timedelta(0)))
    return pb.SyncRun(
        run_id=str(row.id),
        tenant_id=str(row.tenant_id),
        flow=row.flow,
        trigger=row.trigger,
        window_start=timestamp(row.window_start),
        window_end=timestamp(row.window_end),
        state=STATES.get(row.state, pb.RUN_STATE_UNSPECIFIED),  # type: ignore[arg-type]
        received=c.received,
        succeeded=c.succeeded,
        failed=c.failed,
        skipped=c.skipped,
        pending=c.pending,
        expected=c.expected or 0,
        progress=c.progress,
        error=row.error or "",
        start_time=timestamp(row.started_at),
        finish_time=timestamp(row.finished_at),
        duration=duration,
    )


async def _views(session: AsyncSession, rows: Sequence[SyncRun]) -> list[pb.SyncRun]:
    """The runs with their counts, settling (and persisting) each running run whose records all finished."""
    now = datetime.now(UTC)
    by_run: dict[uuid.UUID, dict[str, int]] = {row.id: {} for row in rows}
    if rows:
        grouped = await session.execute(
            select(Record.run_id, Record.state, func.count())
            .where(Record.run_id.in_(list(by_run)))
            .group_by(Record.run_id, Record.state)
        )
        for run_id, state, n in grouped:
            if run_id is not None:
                by_run[run_id][state] = n
    views = []
    for row in rows:
        c = runs.counts(row.received, row.skipped, row.expected, by_run[row.id])
        settled = runs.settled(row.state, c)
        if settled:
            done = await session.execute(
                update(SyncRun)
                .where(SyncRun.id == row.id, SyncRun.state == "running")
                .values(state=settled, finished_at=now, succeeded=c.succeeded, failed=c.failed, skipped=c.skipped)
                .returning(SyncRun.finished_at)
            )
            if done.scalar_one_or_none() is not None:
                row.state, row.finished_at = settled, now
        views.append(run_message(row, c, now))
    return views


class SyncService(sync_pb2_grpc.SyncServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], queue: ArqRedis) -> None:
        self.sessions = sessions
        self.queue = queue

    @rpc
    async def TriggerRun(self, request: pb.TriggerRunRequest, context: Any) -> pb.TriggerRunResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        flow = runnable_flow(request.flow)
        start, end = runs.check_window(instant(request, "window_start"), instant(request, "window_end"))
        who = actor(request.actor)
        run_id = uuid.uuid4()
        try:
            async with tenant_session(self.sessions, tenant_id) as session:
                row = SyncRun(
                    id=run_id,
                    tenant_id=tenant_id,
                    flow=flow,
                    trigger=runs.trigger(who.role),
                    window_start=start,
                    window_end=end,
                    state="queued",
                )
                session.add(row)
                await session.flush()
                details = {"flow": flow, "window_start": start.isoformat(), "window_end": end.isoformat()}
                await audit.write(session, tenant_id, who, Action.RUN_TRIGGER, str(run_id), "", details)
                await session.refresh(row)
        except IntegrityError:
            raise NotFound(f"tenant {tenant_id} does not exist") from None
        try:
            await self.queue.enqueue_job(
                START_RUN, str(tenant_id), str(run_id), _job_id=run_job_id(str(run_id)), _queue_name=QUEUE
            )
        except (OSError, RedisError) as exc:
            async with tenant_session(self.sessions, tenant_id) as session:
                await session.execute(
                    update(SyncRun)
                    .where(SyncRun.id == run_id)
                    .values(state="failed", error=f"not queued: {exc}", finished_at=func.now())
                )
            raise WorkersUnavailable(f"the run was not queued, the job queue is unreachable: {exc}") from None
        async with tenant_session(self.sessions, tenant_id) as session:
            return pb.TriggerRunResponse(run=(await _views(session, [row]))[0])

    @rpc
    async def EstimateRun(self, request: pb.EstimateRunRequest, context: Any) -> pb.EstimateRunResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        flow = runnable_flow(request.flow)
        if catalog.FLOWS[flow].estimate is None:
            raise InvalidArgument.one("flow", f"{flow!r} cannot estimate a run")
        start, end = runs.check_window(instant(request, "window_start"), instant(request, "window_end"))
        timeout = ESTIMATE_TIMEOUT
        remaining = context.time_remaining() if context is not None else None
        if remaining is not None:
            timeout = max(min(timeout, remaining - 0.5), 0.1)
        try:
            job = await self.queue.enqueue_job(
                ESTIMATE_RUN,
                str(tenant_id),
                flow,
                start.isoformat(),
                end.isoformat(),
                _job_id=f"estimate:{uuid.uuid4().hex}",
                _queue_name=QUEUE,
                _expires=timeout,
            )
            if job is None:
                raise WorkersUnavailable("the estimate was not queued")
            result = await job.result(timeout=timeout, poll_delay=0.1)
        except (OSError, RedisError) as exc:
            raise WorkersUnavailable(f"the job queue is unreachable: {exc}") from None
        except TimeoutError:
            raise WorkersUnavailable(
                f"no worker answered the estimate within {timeout:.1f} s; is `connectors worker` running?"
            ) from None
        if "error" in result:
            raise InvalidArgument.one("flow", str(result["error"]))
        return estimate_message(result)

    @rpc
    async def GetRun(self, request: pb.GetRunRequest, context: Any) -> pb.GetRunResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        run_id = parse_id(request.run_id, "run_id")
        async with tenant_session(self.sessions, tenant_id) as session:
            row = await session.get(SyncRun, run_id)
            if row is None:
                raise NotFound(f"run {run_id} does not exist")
            return pb.GetRunResponse(run=(await _views(session, [row]))[0])

    @rpc
    async def ListRuns(self, request: pb.ListRunsRequest, context: Any) -> pb.ListRunsResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        state = None
        if request.state != pb.RUN_STATE_UNSPECIFIED:
            if request.state not in STATE_NAMES:
                raise InvalidArgument.one("state", f"unknown run state {request.state}")
            state = STATE_NAMES[request.state]
        size = paging.page_size(request.page_size)
        stmt = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(size + 1)
        if request.flow:
            stmt = stmt.where(SyncRun.flow == request.flow)
        if state:
            stmt = stmt.where(SyncRun.state == state)
        if request.page_token:
            started, rid = paging.decode(request.page_token, 2)
            try:
                key = (datetime.fromisoformat(started), uuid.UUID(rid))
            except ValueError:
                raise InvalidArgument.one("page_token", "is not a token this service issued") from None
            stmt = stmt.where(tuple_(SyncRun.started_at, SyncRun.id) < key)
        async with tenant_session(self.sessions, tenant_id) as session:
            # Settle finished runs first, so a filter by state sees what they have become.
            running = (await session.execute(select(SyncRun).where(SyncRun.state == "running"))).scalars()
            await _views(session, list(running))
            rows = list((await session.execute(stmt)).scalars())
            views = await _views(session, rows[:size])
        token = ""
        if len(rows) > size:
            token = paging.encode(rows[size - 1].started_at.isoformat(), str(rows[size - 1].id))
        return pb.ListRunsResponse(runs=views, next_page_token=token)
