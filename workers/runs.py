"""A sync run finds its records: ``start_run`` asks the flow's ``discover`` for every source changed in the
run's window (provider reads at backfill priority) and starts a record for each one not known yet.

    queued ──▶ discovering ──▶ running     (the core settles it once every record it started has finished)
                    └────────▶ failed      (discovery could not finish; ``error`` says why in plain words)

The row's counts follow discovery: ``expected`` the records this run started, ``skipped`` the sources already
known (a webhook's record, an earlier run's), ``received`` both. A job delivered again (its worker died
mid-discovery) discovers again and recounts rather than adds: the records it started are found by their
``run_id``, so nothing is counted or started twice. A pass beats (``heartbeat_at``) with every source and
checkpoint; the sweeper starts another pass of a run whose beat went stale (its worker died), which resumes
from the run's ``cursor`` when the flow keeps one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from arq import Retry
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.db import tenant_session
from tenants.models import Record, SyncRun
from workers.calls import CallFailed
from workers.engine import records
from workers.engine.outcomes import Outcome, Reason, Verdict, backoff
from workers.flows import catalog
from workers.flows.context import Services, TenantContext, flow_settings
from workers.flows.settings import SettingInvalid
from workers.flows.spec import FlowSpec
from workers.runner import enqueue_record

log = structlog.get_logger("workers.runs")

TRIES = 5
"""Job tries a discovery gets through a provider's passing trouble (429, 5xx, timeouts) before the run fails."""

DISCOVERING = ("queued", "discovering")

_PLAIN = {
    Reason.NEEDS_REAUTH: "a connection needs to be authorised again",
    Reason.QUOTA_EXHAUSTED: "the provider's quota is used up",
    Reason.PROVIDER_REJECTED: "the provider refused the request",
    Reason.INVALID_SOURCE_DATA: "the provider's answer could not be used",
}


def cannot_discover(flow: str, spec: FlowSpec | None, start: datetime | None, end: datetime | None) -> str | None:
    """Why this run cannot look for its records at all, in plain words; None when it can (pure)."""
    if spec is None:
        return f"there is no flow named {flow!r}"
    if spec.discover is None:
        return f"the {flow} flow starts from provider events only; it cannot look for records in a window"
    if start is None or end is None:
        return "the run has no window to look in (window_start and window_end are both needed)"
    if end <= start:
        return f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})"
    return None


def discovery_error(verdict: Verdict, tries: int) -> str:
    """A provider's refusal during discovery, as the run's error (pure)."""
    if verdict.reason is not None:
        return f"discovery failed: {_PLAIN.get(verdict.reason, str(verdict.reason))}: {verdict.message}"
    return f"discovery failed after {tries} tries: the provider did not answer usefully: {verdict.message}"


@dataclass
class Tally:
    """This pass's counts on top of what earlier passes of the same run left (pure bookkeeping)."""

    started_before: int
    """Records of this run that already exist (an earlier pass started them)."""
    skipped_before: int
    started: int = 0
    known: int = 0
    seen: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        # skipped: the most any pass found known; a source known once stays known, so this never double counts.
        expected = self.started_before + self.started
        skipped = max(self.skipped_before, self.known)
        return {"expected": expected, "skipped": skipped, "received": expected + skipped}


async def start_run(ctx: dict[str, Any], tenant_id: str, run_id: str) -> str:
    services: Services = ctx["services"]
    tenant, rid = uuid.UUID(tenant_id), uuid.UUID(run_id)
    async with tenant_session(services.sessions, tenant) as session:
        run = await session.get(SyncRun, rid, with_for_update=True)
        if run is None or run.state not in DISCOVERING:
            return f"nothing to do ({run.state if run else 'no such run'})"
        run.state, run.passes, run.heartbeat_at = "discovering", run.passes + 1, datetime.now(UTC)
        flow, start, end, cursor = run.flow, run.window_start, run.window_end, run.cursor
        tally = Tally(await _started_by(session, rid), run.skipped)
    spec = catalog.FLOWS.get(flow)
    problem = cannot_discover(flow, spec, start, end)
    if problem is not None:
        return await _fail(services, tenant, rid, problem)
    assert spec is not None and spec.discover is not None and start is not None and end is not None
    try:
        settings = await flow_settings(services, tenant)
    except SettingInvalid as exc:
        return await _fail(services, tenant, rid, f"the tenant's settings cannot be used: {exc}")
    tries = int(ctx.get("job_try") or 1)
    try:

        async def save(position: dict[str, Any]) -> None:
            async with tenant_session(services.sessions, tenant) as session:
                await session.execute(
                    update(SyncRun)
                    .where(SyncRun.id == rid, SyncRun.state == "discovering")
                    .values(cursor=position, heartbeat_at=func.now())
                )

        context = TenantContext(services, tenant, settings, cursor=cursor, saver=save)
        async for source, payload in spec.discover(context, start, end):
            if source in tally.seen:
                continue
            tally.seen.add(source)
            if not await _receive(services, tenant, rid, flow, source, payload, tally):
                return "stopped: the run is no longer discovering"
    except CallFailed as failed:
        if failed.verdict.outcome in (Outcome.RETRY, Outcome.UNKNOWN) and tries < TRIES:
            raise Retry(defer=failed.retry_after or backoff(tries)) from None
        return await _fail(services, tenant, rid, discovery_error(failed.verdict, tries))
    except Exception as exc:  # a defect in discover: the run says so rather than hanging in "discovering"
        log.exception("discovery crashed", run=run_id)
        return await _fail(services, tenant, rid, f"discovery failed: {type(exc).__name__}: {exc}")
    async with tenant_session(services.sessions, tenant) as session:
        await session.execute(
            update(SyncRun)
            .where(SyncRun.id == rid, SyncRun.state == "discovering")
            .values(state="running", **tally.counts())
        )
    return "running: " + ", ".join(f"{k} {v}" for k, v in tally.counts().items())


async def estimate_run(ctx: dict[str, Any], tenant_id: str, flow: str, start: str, end: str) -> dict[str, Any]:
    """The flow's estimate for the window, as the job's result: ``{"sources", "calls", "detail"}``, or
    ``{"error"}`` saying in plain words why there is none."""
    services: Services = ctx["services"]
    tenant = uuid.UUID(tenant_id)
    spec = catalog.FLOWS.get(flow)
    if spec is None or spec.estimate is None:
        return {"error": f"the {flow} flow cannot estimate a run"}
    try:
        settings = await flow_settings(services, tenant)
        found = await spec.estimate(
            TenantContext(services, tenant, settings), datetime.fromisoformat(start), datetime.fromisoformat(end)
        )
    except SettingInvalid as exc:
        return {"error": f"the tenant's settings cannot be used: {exc}"}
    except CallFailed as failed:
        return {"error": discovery_error(failed.verdict, 1).replace("discovery", "the estimate", 1)}
    return {"sources": found.sources, "calls": found.calls, "detail": found.detail}


async def _started_by(session: AsyncSession, rid: uuid.UUID) -> int:
    return int((await session.execute(select(func.count()).where(Record.run_id == rid))).scalar_one())


async def _receive(
    services: Services,
    tenant: uuid.UUID,
    rid: uuid.UUID,
    flow: str,
    source: str,
    payload: dict[str, Any],
    tally: Tally,
) -> bool:
    """One discovered source: its record started (or found), the counts saved with it. False once the run has
    left ``discovering`` (cancelled or failed meanwhile): nothing more is started."""
    try:
        async with tenant_session(services.sessions, tenant) as session:
            record, new = await records.receive(session, tenant, flow, source, payload, run_id=rid)
            ours = new or record.run_id == rid
            counted = Tally(tally.started_before, tally.skipped_before, tally.started + new, tally.known + (not ours))
            still = (
                await session.execute(
                    update(SyncRun)
                    .where(SyncRun.id == rid, SyncRun.state == "discovering")
                    .values(**counted.counts(), heartbeat_at=func.now())
                    .returning(SyncRun.id)
                )
            ).scalar_one_or_none()
            if still is None:
                raise _NotDiscovering  # rolls the record back: nothing is started for a run that stopped
    except _NotDiscovering:
        return False
    tally.started, tally.known = counted.started, counted.known
    if ours and record.state == "pending":  # new, or started by an earlier pass that may have died before this
        await enqueue_record(services, tenant, record, None if new else record.next_attempt_at)
    return True


class _NotDiscovering(Exception):
    pass


async def _fail(services: Services, tenant: uuid.UUID, rid: uuid.UUID, error: str) -> str:
    async with tenant_session(services.sessions, tenant) as session:
        await session.execute(
            update(SyncRun)
            .where(SyncRun.id == rid, SyncRun.state.in_(DISCOVERING))
            .values(state="failed", error=error, finished_at=datetime.now(UTC))
        )
    return f"failed: {error}"
