"""The jobs: a stored webhook becomes records (``ingest_event``), a record runs one attempt of its flow
(``run_record``), and the sweeper re-enqueues whatever Redis lost (``sweep``).

A record is run by one worker at a time (a Redis lock per record, expiring should the worker die); the row
in PostgreSQL says where it is, so any worker can pick it up at its last finished step.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from arq.constants import in_progress_key_prefix as IN_PROGRESS_PREFIX
from redis.asyncio import Redis
from sqlalchemy import func, select

from tenants.db import tenant_session
from tenants.models import AlertRow, InboxEvent, Record, SyncRun, Tenant, TenantSetting
from workers import alerts
from workers.calls import CallFailed
from workers.engine import record_rows, records
from workers.engine.outcomes import Outcome, Reason, Verdict
from workers.engine.pg import one_connection, tenant_tx
from workers.flows import catalog
from workers.flows.context import FlowContext, Services, Skipped, raise_alert
from workers.flows.settings import SettingInvalid, parse
from workers.queue import (
    DELIVER_ALERT,
    INGEST_EVENT,
    QUEUE,
    RUN_RECORD,
    START_RUN,
    alert_job_id,
    ingest_job_id,
    record_job_id,
    run_job_id,
)

log = structlog.get_logger("workers.runner")

LOCK_SECONDS = 300.0


async def enqueue_record(
    services: Services, tenant_id: uuid.UUID, record: Record, at: datetime | None = None, late: int | None = None
) -> None:
    await services.enqueue(
        RUN_RECORD,
        str(tenant_id),
        str(record.id),
        _job_id=record_job_id(str(record.id), record.attempts + 1, records.replays(record), late),
        _queue_name=QUEUE,
        _defer_until=at,
    )


INBOX_EVENT = "SELECT state, body, provider, connection_id FROM inbox WHERE id = $1 FOR UPDATE"
INGESTED = "UPDATE inbox SET state = 'ingested' WHERE id = $1"
UNROUTED = "UPDATE records SET state = 'dead', reason = $2, last_error = $3, updated_at = now() WHERE id = $1"


async def ingest_event(ctx: dict[str, Any], tenant_id: str, inbox_id: str) -> str:
    services: Services = ctx["services"]
    tenant = uuid.UUID(tenant_id)
    async with tenant_tx(services.sessions, tenant) as db:
        event = await db.fetchrow(INBOX_EVENT, uuid.UUID(inbox_id))
        if event is None or event["state"] != "new":
            return "already ingested"
        provider = event["provider"]
        try:
            body = json.loads(event["body"])
            routed = catalog.route(provider, body) if isinstance(body, dict) else []
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            routed, body = [], {"error": str(exc)}
        extra = {"inbox_id": inbox_id, "connection_id": str(event["connection_id"])}
        started: list[Record] = []
        for flow, source, payload in routed:
            record, new = await record_rows.receive(db, tenant, flow, source, {**payload, **extra})
            if new:
                started.append(record)
        if not routed:
            # Not a flow's business (an event we do not act on), yet kept as a record: nothing is lost.
            payload = {"provider": provider, "body": event["body"], **extra}
            record, _ = await record_rows.receive(db, tenant, "unrouted", f"inbox:{inbox_id}", payload)
            await db.execute(
                UNROUTED, record.id, str(Reason.INVALID_SOURCE_DATA), f"no flow acts on this {provider} event"
            )
        await db.execute(INGESTED, uuid.UUID(inbox_id))
    for record in started:
        await enqueue_record(services, tenant, record)
    return ", ".join(f"{flow}:{source}" for flow, source, _ in routed) or "unrouted"


async def run_record(ctx: dict[str, Any], tenant_id: str, record_id: str) -> str:
    services: Services = ctx["services"]
    redis: Redis = ctx["redis"]
    tenant, rid = uuid.UUID(tenant_id), uuid.UUID(record_id)
    lock = redis.lock(f"connectors:record-lock:{record_id}", timeout=ctx.get("record_lock_seconds", LOCK_SECONDS))
    # A random token of our own: redis-py's default (uuid1) asks a uuidd daemon over a socket first, every time.
    if not await lock.acquire(blocking=False, token=uuid.uuid4().hex):
        return "another worker is running it"
    try:
        return await _attempt(services, tenant, rid)
    finally:
        try:
            await lock.release()
        except Exception:
            log.warning("record lock expired while running", record=record_id)


async def _attempt(services: Services, tenant: uuid.UUID, rid: uuid.UUID) -> str:
    """One attempt, its steps' transactions on one connection held throughout; a failure is kept on a fresh
    one (the held one may be what failed)."""
    async with one_connection(services.sessions) as sessions:
        held = replace(services, sessions=sessions)
        async with tenant_tx(held.sessions, tenant) as db:
            locked = await record_rows.lock(db, rid, with_settings=True)
            if locked is None or locked.record.state not in ("pending", "running"):
                return f"nothing to do ({locked.record.state if locked else 'gone'})"
            record = locked.record
            await record_rows.write(db, locked, [records.begun(record)])
            stored = locked.settings or {}
        spec = catalog.FLOWS.get(record.flow)
        context: FlowContext | None = None
        try:
            if spec is None:
                raise CallFailed(
                    Verdict(Outcome.DEAD_LETTER, Reason.INVALID_SOURCE_DATA, f"unknown flow {record.flow}")
                )
            try:
                settings = parse(stored)
            except SettingInvalid as exc:
                raise CallFailed(Verdict(Outcome.DEAD_LETTER, Reason.INVALID_SOURCE_DATA, f"settings: {exc}")) from None
            source_connection = (record.payload or {}).get("connection_id")
            context = FlowContext(held, record, settings, uuid.UUID(source_connection) if source_connection else None)
            await spec.run(context)
        except Exception as exc:
            if context is not None and context.succeeded:  # after its last step was kept: nothing is lost
                log.warning("flow failed after its record succeeded", record=str(rid), error=repr(exc))
                return "succeeded"
            return await _stopped(services, tenant, rid, exc)
        if not context.succeeded:
            await _finish(held, tenant, rid, records.succeeded)
    return "succeeded"


async def _stopped(services: Services, tenant: uuid.UUID, rid: uuid.UUID, exc: Exception) -> str:
    """The attempt ended early: skipped, refused or failed by the provider, or crashed."""
    if isinstance(exc, Skipped):
        why = str(exc)
        await _finish(services, tenant, rid, lambda record: records.skipped(record, why))
        return "skipped"
    if isinstance(exc, CallFailed):
        return await _failed(services, tenant, rid, exc.verdict, exc.retry_after)
    # a defect or an unexpected answer: keep the record, retry, then dead-letter
    log.error("flow step crashed", record=str(rid), exc_info=exc)
    return await _failed(services, tenant, rid, Verdict(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}"), None)


async def _finish(
    services: Services, tenant: uuid.UUID, rid: uuid.UUID, transition: Callable[[Record], records.Entry]
) -> Record:
    """Apply ``transition`` to the record, locked afresh, in a transaction of its own."""
    async with tenant_tx(services.sessions, tenant) as db:
        locked = await record_rows.lock(db, rid)
        if locked is None:
            raise LookupError(f"record {rid} is gone")
        await record_rows.write(db, locked, [transition(locked.record)])
        return locked.record


async def _failed(
    services: Services, tenant: uuid.UUID, rid: uuid.UUID, verdict: Verdict, retry_after: float | None
) -> str:
    final = verdict

    def fail(record: Record) -> records.Entry:
        nonlocal final
        final, entry = records.failed(record, verdict, retry_after=retry_after)
        return entry

    record = await _finish(services, tenant, rid, fail)
    if final.outcome is Outcome.DEAD_LETTER:
        await raise_alert(
            services,
            tenant,
            "dead_letter",
            f"{record.flow} {record.source_ref} stopped: {final.reason}: {final.message}",
            {"flow": record.flow, "source": record.source_ref, "reason": str(final.reason), "error": final.message},
            record.id,
        )
        return f"dead: {final.reason}: {final.message}"
    await enqueue_record(services, tenant, record, record.next_attempt_at)
    return f"retry at {record.next_attempt_at}: {final.message}"


async def _held_by_dead(ctx: dict[str, Any], record: Record, stale: datetime) -> bool:
    """Whether the record's due job has been marked in progress for long though the record never began (a
    worker died between taking the job and its first write): arq keeps that id until its timeout, so the
    sweeper needs another."""
    due_since = record.next_attempt_at or record.updated_at
    if record.state != "pending" or due_since is None or due_since >= stale:
        return False
    job = record_job_id(str(record.id), record.attempts + 1, records.replays(record))
    return bool(await ctx["redis"].exists(f"{IN_PROGRESS_PREFIX}{job}"))


ALERT_ATTEMPTS = 8


async def deliver_alert(ctx: dict[str, Any], tenant_id: str, alert_id: str) -> str:
    """Send one stored alert over the tenant's channel; kept with its error when it cannot be sent."""
    services: Services = ctx["services"]
    tenant = uuid.UUID(tenant_id)
    async with tenant_session(services.sessions, tenant) as session:
        row = await session.get(AlertRow, uuid.UUID(alert_id))
        stored = await session.get(TenantSetting, {"tenant_id": tenant, "key": "alert_channel"})
        name = (await session.execute(select(Tenant.name).where(Tenant.id == tenant))).scalar_one_or_none()
    if row is None or row.state not in ("pending", "retrying"):
        return "nothing to send"
    error: str | None = None
    retry_in: float | None = None
    state = "sent"
    if stored is None:
        state, error = "no_channel", "the tenant has no alert channel configured"
    else:
        try:
            channel = alerts.parse_channel(stored.value)
            alert = alerts.Alert(
                str(row.id), tenant_id, alerts.AlertKind(row.kind), row.summary, row.details, row.created_at
            )
            await alerts.deliver(channel, alert, tenant_name=name or tenant_id, http=services.http)
        except (alerts.ChannelInvalid, ValueError) as exc:
            state, error = "failed", str(exc)
        except alerts.AlertUndelivered as exc:
            error = str(exc)
            last = row.attempts + 1 >= ALERT_ATTEMPTS
            state = "retrying" if exc.retryable and not last else "failed"
            retry_in = exc.retry_after or 2.0 ** (row.attempts + 1)
    async with tenant_session(services.sessions, tenant) as session:
        row = await session.get(AlertRow, uuid.UUID(alert_id), with_for_update=True)
        assert row is not None
        row.state, row.last_error, row.attempts = state, error, row.attempts + 1
        if state == "sent":
            row.sent_at = datetime.now(UTC)
    if state == "retrying" and retry_in is not None:
        await services.enqueue(
            DELIVER_ALERT,
            tenant_id,
            alert_id,
            _job_id=f"{alert_job_id(alert_id)}:{row.attempts}",
            _queue_name=QUEUE,
            _defer_by=timedelta(seconds=retry_in),
        )
    return state if error is None else f"{state}: {error}"


async def sweep(ctx: dict[str, Any]) -> int:
    """Re-enqueue what Redis may have lost: due records, inbox events never ingested, sync runs still queued a
    minute on, and runs whose discovering pass stopped beating (its worker died): their next pass, under a job
    id of its own (a job already queued or running under the same id is left alone)."""
    services: Services = ctx["services"]
    now = datetime.now(UTC)
    async with services.sessions() as session:
        tenants = list((await session.execute(select(Tenant.id))).scalars())
    queued = 0
    for tenant in tenants:
        async with tenant_session(services.sessions, tenant) as session:
            stale_for = timedelta(seconds=ctx.get("record_lock_seconds", 300))
            due = await records.due(session, now, stale_after=stale_for)
            waiting = list(
                (
                    await session.execute(
                        select(InboxEvent.id).where(
                            InboxEvent.state == "new",
                            InboxEvent.received_at < now - timedelta(seconds=ctx.get("inbox_stale_seconds", 10)),
                        )
                    )
                ).scalars()
            )
            stale = now - stale_for
            stuck = list(
                (
                    await session.execute(
                        select(SyncRun.id, SyncRun.passes).where(
                            ((SyncRun.state == "queued") & (SyncRun.started_at < now - timedelta(minutes=1)))
                            | (
                                (SyncRun.state == "discovering")
                                & (func.coalesce(SyncRun.heartbeat_at, SyncRun.started_at) < stale)
                            )
                        )
                    )
                ).all()
            )
        period = int(now.timestamp() // max(stale_for.total_seconds(), 1))
        for record in due:
            lost = await _held_by_dead(ctx, record, now - stale_for)
            await enqueue_record(services, tenant, record, late=period if lost else None)
        for run_id, passes in stuck:  # queued and never picked up, or discovering with a dead worker
            await services.enqueue(
                START_RUN, str(tenant), str(run_id), _job_id=run_job_id(str(run_id), passes), _queue_name=QUEUE
            )
        for inbox_id in waiting:
            await services.enqueue(
                INGEST_EVENT, str(tenant), str(inbox_id), _job_id=ingest_job_id(str(inbox_id)), _queue_name=QUEUE
            )
        queued += len(due) + len(waiting) + len(stuck)
    return queued
