"""Polled flows: every few seconds the worker's ``schedule_runs`` cron looks at each tenant, and for each flow
with a ``schedule`` whose interval has passed since its last scheduled run it starts a run (trigger
``schedule``) over the window from that run's end, less the flow's overlap, to now. A first poll reaches back
the overlap only: older history is a backfill someone asks for (``connectors sync``).

One scheduled run of a flow at a time per tenant: while one is still queued or discovering, none is added.
A tenant without every provider the flow needs connected is not polled.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select

from tenants.db import tenant_session
from tenants.models import SyncRun, Tenant, TenantSetting
from workers.flows import catalog
from workers.flows.context import Services
from workers.flows.settings import SettingInvalid, parse
from workers.flows.spec import FlowSpec
from workers.queue import QUEUE, START_RUN, run_job_id

log = structlog.get_logger("workers.schedule")

TRIGGER = "schedule"
POLLED: tuple[FlowSpec, ...] = tuple(s for s in catalog.SPECS if s.schedule is not None and s.discover is not None)


def next_window(
    last_end: datetime | None, last_busy: bool, every: int, overlap: int, now: datetime
) -> tuple[datetime, datetime] | None:
    """The window of the run to start now, or None when it is not yet time (pure)."""
    if every <= 0 or last_busy:
        return None
    if last_end is None:
        return now - timedelta(seconds=overlap), now
    if now < last_end + timedelta(seconds=every):
        return None
    return last_end - timedelta(seconds=overlap), now


async def schedule_runs(ctx: dict[str, Any]) -> int:
    services: Services = ctx["services"]
    if not POLLED:
        return 0
    async with services.sessions() as session:
        tenants = list((await session.execute(select(Tenant.id))).scalars())
    started = 0
    for tenant in tenants:
        try:
            started += await _tenant(services, tenant, datetime.now(UTC))
        except Exception:  # one tenant's trouble (the core unreachable, a bad row) never stops the others
            log.exception("scheduling failed", tenant=str(tenant))
    return started


async def _tenant(services: Services, tenant: uuid.UUID, now: datetime) -> int:
    async with tenant_session(services.sessions, tenant) as session:
        stored = {row.key: row.value for row in (await session.execute(select(TenantSetting))).scalars()}
    try:
        settings = parse(stored)
    except SettingInvalid:
        return 0  # the settings page says what is wrong; records that run meanwhile dead-letter with it
    due = [(spec, *spec.schedule(settings)) for spec in POLLED if spec.schedule is not None]
    due = [entry for entry in due if entry[1] > 0]
    if not due:
        return 0
    connected = {provider for provider, _ in await services.connections_of(tenant)}
    started = 0
    for spec, every, overlap in due:
        if not set(spec.needs) <= connected:
            continue
        run_id = await _start(services, tenant, spec.name, every, overlap, now)
        if run_id is not None:
            await services.enqueue(
                START_RUN, str(tenant), str(run_id), _job_id=run_job_id(str(run_id)), _queue_name=QUEUE
            )
            started += 1
    return started


async def _start(
    services: Services, tenant: uuid.UUID, flow: str, every: int, overlap: int, now: datetime
) -> uuid.UUID | None:
    async with tenant_session(services.sessions, tenant) as session:
        last = (
            await session.execute(
                select(SyncRun)
                .where(SyncRun.flow == flow, SyncRun.trigger == TRIGGER)
                .order_by(SyncRun.window_end.desc().nulls_last())
                .limit(1)
                .with_for_update()
            )
        ).scalar_one_or_none()
        window = next_window(
            last.window_end if last else None,
            bool(last and last.state in ("queued", "discovering")),
            every,
            overlap,
            now,
        )
        if window is None:
            return None
        run_id = uuid.uuid4()
        session.add(
            SyncRun(
                id=run_id,
                tenant_id=tenant,
                flow=flow,
                trigger=TRIGGER,
                window_start=window[0],
                window_end=window[1],
                state="queued",
            )
        )
    return run_id
