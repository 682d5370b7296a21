"""Sync runs and connection health as the portal shows them, from the core's SyncService and ConnectionService.

    list_runs, get_run              runs newest first with counts, progress and duration; one run
    trigger_run, estimate_run       a resync of a flow over a window; what it would take, before starting it
    run_records                     the records a run started
    connection_cards                every connection of the tenant with its health, for the dashboard

A merchant picks calendar dates in their own time zone; ``local_window`` turns them into the UTC instants the
core takes, here at the edge. The rest is pure too: protobuf to values, durations in words, the flows a
resync may name (``workers.flows.catalog``, read as data).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import grpc
from google.protobuf.duration_pb2 import Duration
from litestar import Request

from connector.v1 import common_pb2, connection_pb2, connection_pb2_grpc, sync_pb2, sync_pb2_grpc
from portal.records.service import RecordView, instant, iso, midnight, records_created, stamp
from portal.web.context import actor_of, resources_of, tenant_of
from portal.web.errors import Problem
from workers.flows import catalog

RUN_STATES: dict[int, str] = {
    sync_pb2.RUN_STATE_QUEUED: "queued",
    sync_pb2.RUN_STATE_DISCOVERING: "discovering",
    sync_pb2.RUN_STATE_RUNNING: "running",
    sync_pb2.RUN_STATE_COMPLETED: "completed",
    sync_pb2.RUN_STATE_COMPLETED_WITH_FAILURES: "completed_with_failures",
    sync_pb2.RUN_STATE_FAILED: "failed",
}
RUN_STATE_ENUMS: dict[str, int] = {word: value for value, word in RUN_STATES.items()}
RUN_STATE_LABELS = {
    "queued": "Waiting for a worker",
    "discovering": "Finding what changed",
    "running": "Running",
    "completed": "Completed",
    "completed_with_failures": "Completed with failures",
    "failed": "Failed",
}
FINISHED_STATES = ("completed", "completed_with_failures", "failed")
HEALTH: dict[int, str] = {
    connection_pb2.HEALTH_STATUS_OK: "ok",
    connection_pb2.HEALTH_STATUS_DEGRADED: "degraded",
    connection_pb2.HEALTH_STATUS_NEEDS_REAUTH: "needs_reauth",
    connection_pb2.HEALTH_STATUS_FAILING: "failing",
}
HEALTH_LABELS = {
    "ok": "Healthy",
    "degraded": "Slow or erroring at times",
    "needs_reauth": "Needs reconnecting",
    "failing": "Failing",
    "unknown": "Not checked yet",
}
PROVIDERS: dict[int, str] = {
    common_pb2.PROVIDER_ZOHO: "zoho",
    common_pb2.PROVIDER_SHIPROCKET: "shiprocket",
    common_pb2.PROVIDER_SHIPSTATION: "shipstation",
    common_pb2.PROVIDER_MAGENTO: "magento",
    common_pb2.PROVIDER_AMAZON: "amazon",
}
PROVIDER_LABELS = {
    "zoho": "Zoho",
    "shiprocket": "Shiprocket",
    "shipstation": "ShipStation",
    "magento": "Magento",
    "amazon": "Amazon",
}
FLOW_NAMES = {
    "fulfilment": ("Fulfilment", "Zoho sales orders shipped through Shiprocket"),
    "cod-remittance": ("COD remittance", "Shiprocket COD remittances posted to Zoho Books"),
    "shipstation-books": ("ShipStation to Books", "ShipStation orders and shipments into Zoho Books"),
    "tracking": ("Tracking", "Shiprocket statuses onto Zoho sales orders"),
    "returns": ("Returns", "reverse pickups in Shiprocket for returned orders"),
}
RUN_RECORD_PAGES = 5
"""A run's page lists at most this many pages of 200 records created while it ran."""


def flow_label(name: str) -> str:
    """A flow's short name for people ("Fulfilment"); the flow's own name when it has none."""
    return FLOW_NAMES.get(name, (name, ""))[0]


def flow_description(name: str) -> str:
    """What the flow does, in a few words ("" when unknown)."""
    return FLOW_NAMES.get(name, (name, ""))[1]


@dataclass(frozen=True)
class Flow:
    name: str
    can_resync: bool
    can_estimate: bool

    @property
    def label(self) -> str:
        return flow_label(self.name)

    @property
    def description(self) -> str:
        return flow_description(self.name)


def flows() -> list[Flow]:
    """Every flow of the workers' catalogue, with whether a resync (and an estimate) can name it."""
    return [Flow(name, spec.discover is not None, spec.estimate is not None) for name, spec in catalog.FLOWS.items()]


def words(seconds: float) -> str:
    """A duration for people: "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h" (pure)."""
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def seconds_of(duration: Duration) -> float:
    return float(duration.seconds) + duration.nanos / 1e9


# ------------------------------------------------------------------ windows in the merchant's days


def local_window(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants from the start of ``first`` to the end of ``last`` (both days included) in ``zone``;
    400 naming ``window_end`` when ``last`` is before ``first``."""
    if last < first:
        raise Problem.invalid("window_end", "must be on or after the start date")
    return midnight(first, zone), midnight(last + timedelta(days=1), zone)


def window_words(start: datetime | None, end: datetime | None, zone: ZoneInfo) -> str:
    """A run's window as the merchant reads it (pure): whole days in ``zone`` as dates, the last one included
    ("2026-11-01 to 2026-11-07", or one date), any other window as its two instants."""
    if start is None or end is None:
        return ""
    first, after = start.astimezone(zone), end.astimezone(zone)
    if first.time() == after.time() == datetime.min.time() and after > first:
        last = after.date() - timedelta(days=1)
        return first.date().isoformat() if last == first.date() else f"{first.date()} to {last}"
    return f"{first:%Y-%m-%d %H:%M} → {after:%Y-%m-%d %H:%M %Z}"


def parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Problem.invalid(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


def window_of(start: str, end: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A window from the API or a form: two dates (YYYY-MM-DD, both days included, in ``zone``) or two ISO 8601
    instants with their offsets (the end excluded). 400 naming the field that is neither."""
    start, end = start.strip(), end.strip()
    if not start:
        raise Problem.invalid("window_start", "is required (a date such as 2026-11-01)")
    if not end:
        raise Problem.invalid("window_end", "is required (a date such as 2026-11-07)")
    if len(start) == 10 and len(end) == 10:
        return local_window(parse_day(start, "window_start"), parse_day(end, "window_end"), zone)
    return _instant(start, "window_start"), _instant(end, "window_end")


def _instant(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Problem.invalid(field, f"{value!r} is neither a date (YYYY-MM-DD) nor an ISO 8601 instant") from None
    if parsed.tzinfo is None:
        raise Problem.invalid(field, "an instant needs its offset (2026-11-01T00:00:00+05:30), or give a date")
    return parsed.astimezone(UTC)


# ------------------------------------------------------------------ runs


@dataclass(frozen=True)
class Run:
    run_id: str
    flow: str
    trigger: str
    window_start: datetime | None
    window_end: datetime | None
    state: str
    received: int
    succeeded: int
    failed: int
    skipped: int
    pending: int
    expected: int
    progress: float
    error: str
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def state_label(self) -> str:
        return RUN_STATE_LABELS.get(self.state, self.state)

    @property
    def flow_label(self) -> str:
        return flow_label(self.flow)

    @property
    def duration(self) -> str:
        return words(self.seconds)

    @property
    def percent(self) -> int:
        return int(self.progress * 100)

    def window_in(self, zone: str) -> str:
        return window_words(self.window_start, self.window_end, ZoneInfo(zone))

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "flow": self.flow,
            "trigger": self.trigger,
            "window_start": iso(self.window_start),
            "window_end": iso(self.window_end),
            "state": self.state,
            "state_label": self.state_label,
            "received": self.received,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "skipped": self.skipped,
            "pending": self.pending,
            "expected": self.expected,
            "progress": round(self.progress, 4),
            "percent": f"{self.percent}%",
            "error": self.error or None,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "duration_seconds": round(self.seconds, 3),
            "duration": self.duration,
            "finished": self.finished,
        }


def run_view(message: sync_pb2.SyncRun) -> Run:
    return Run(
        run_id=message.run_id,
        flow=message.flow,
        trigger=message.trigger,
        window_start=instant(message.window_start),
        window_end=instant(message.window_end),
        state=RUN_STATES.get(message.state, "unknown"),
        received=message.received,
        succeeded=message.succeeded,
        failed=message.failed,
        skipped=message.skipped,
        pending=message.pending,
        expected=message.expected,
        progress=message.progress,
        error=message.error,
        started_at=instant(message.start_time),
        finished_at=instant(message.finish_time),
        seconds=seconds_of(message.duration),
    )


@dataclass(frozen=True)
class ProviderShare:
    provider: str
    calls: int
    limit: int
    period_seconds: float
    at_least_seconds: float

    @property
    def label(self) -> str:
        return PROVIDER_LABELS.get(self.provider, self.provider)

    @property
    def rate(self) -> str:
        return f"{self.limit} calls per {words(self.period_seconds)}" if self.limit else "no published limit"

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "calls": self.calls,
            "limit": self.limit or None,
            "period_seconds": self.period_seconds or None,
            "at_least_seconds": self.at_least_seconds,
        }


@dataclass(frozen=True)
class Estimate:
    flow: str
    window_start: datetime
    window_end: datetime
    sources: int
    calls: list[ProviderShare]
    at_least_seconds: float
    detail: str

    @property
    def at_least(self) -> str:
        return words(self.at_least_seconds)

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "window_start": iso(self.window_start),
            "window_end": iso(self.window_end),
            "sources": self.sources,
            "calls": [c.to_json() for c in self.calls],
            "at_least_seconds": self.at_least_seconds,
            "at_least": self.at_least,
            "detail": self.detail,
        }


def estimate_view(message: sync_pb2.EstimateRunResponse, flow: str, start: datetime, end: datetime) -> Estimate:
    return Estimate(
        flow=flow,
        window_start=start,
        window_end=end,
        sources=message.sources,
        calls=[
            ProviderShare(c.provider, c.calls, c.limit, seconds_of(c.period), seconds_of(c.at_least))
            for c in message.calls
        ],
        at_least_seconds=seconds_of(message.at_least),
        detail=message.detail,
    )


def _sync(request: Request[Any, Any, Any]) -> Any:
    return resources_of(request).stub(sync_pb2_grpc.SyncServiceStub)


def run_state(word: str | None) -> int:
    """A run state filter from a query (400 naming ``state`` for an unknown word; "" means any)."""
    word = (word or "").strip().lower()
    if not word or word == "any":
        return sync_pb2.RUN_STATE_UNSPECIFIED
    if word not in RUN_STATE_ENUMS:
        raise Problem.invalid("state", f"must be one of {', '.join(RUN_STATE_ENUMS)} or any")
    return RUN_STATE_ENUMS[word]


async def list_runs(
    request: Request[Any, Any, Any], flow: str = "", state: str = "", page_token: str = "", page_size: int = 25
) -> tuple[list[Run], str]:
    reply = await _sync(request).ListRuns(
        sync_pb2.ListRunsRequest(
            tenant_id=str(tenant_of(request)),
            flow=flow,
            state=run_state(state),  # type: ignore[arg-type]
            page_size=page_size,
            page_token=page_token,
        )
    )
    return [run_view(r) for r in reply.runs], str(reply.next_page_token)


async def get_run(request: Request[Any, Any, Any], run_id: str) -> Run:
    reply = await _sync(request).GetRun(sync_pb2.GetRunRequest(tenant_id=str(tenant_of(request)), run_id=run_id))
    return run_view(reply.run)


async def trigger_run(request: Request[Any, Any, Any], flow: str, start: datetime, end: datetime) -> Run:
    reply = await _sync(request).TriggerRun(
        sync_pb2.TriggerRunRequest(
            tenant_id=str(tenant_of(request)),
            flow=flow,
            window_start=stamp(start),
            window_end=stamp(end),
            actor=actor_of(request),
        )
    )
    return run_view(reply.run)


async def estimate_run(request: Request[Any, Any, Any], flow: str, start: datetime, end: datetime) -> Estimate:
    reply = await _sync(request).EstimateRun(
        sync_pb2.EstimateRunRequest(
            tenant_id=str(tenant_of(request)), flow=flow, window_start=stamp(start), window_end=stamp(end)
        )
    )
    return estimate_view(reply, flow, start, end)


async def run_records(request: Request[Any, Any, Any], run: Run) -> tuple[list[RecordView], bool]:
    """The records the run started, newest first, and whether there may be more than listed.

    RecordFilter cannot name a run: these are the flow's records created since the run started (until it
    finished), of which those whose run_id is the run's."""
    if run.started_at is None:
        return [], False
    before = run.finished_at + timedelta(seconds=1) if run.finished_at else None
    found, more = await records_created(request, run.flow, run.started_at, before, RUN_RECORD_PAGES)
    return [r for r in found if r.run_id == run.run_id], more


# ------------------------------------------------------------------ connections


@dataclass(frozen=True)
class ConnectionCard:
    connection_id: str
    provider: str
    name: str
    environment: str
    status: str
    checked_at: datetime | None
    latency_ms: int | None
    budget_used: float
    error_rate: float
    last_error: str
    token_expires_at: datetime | None

    @property
    def provider_label(self) -> str:
        return PROVIDER_LABELS.get(self.provider, self.provider)

    @property
    def status_label(self) -> str:
        return HEALTH_LABELS.get(self.status, self.status)

    def to_json(self) -> dict[str, Any]:
        return {
            "connection_id": self.connection_id,
            "provider": self.provider,
            "name": self.name,
            "environment": self.environment,
            "status": self.status,
            "checked_at": iso(self.checked_at),
            "latency_ms": self.latency_ms,
            "budget_used": self.budget_used,
            "error_rate": self.error_rate,
            "last_error": self.last_error or None,
        }


def connection_card(
    connection: connection_pb2.Connection, health: connection_pb2.ConnectionHealth | None
) -> ConnectionCard:
    """A connection and its health (None when the core could not say: the connection's own status then)."""
    provider = PROVIDERS.get(connection.provider, "unknown")
    environment = "sandbox" if connection.environment == common_pb2.ENVIRONMENT_SANDBOX else "production"
    status = HEALTH.get(health.status if health else connection.health_status, "unknown")
    latency = None
    if health is not None and health.HasField("latency") and health.HasField("last_check_time"):
        latency = int(seconds_of(health.latency) * 1000)
    return ConnectionCard(
        connection_id=connection.connection_id,
        provider=provider,
        name=connection.display_name or PROVIDER_LABELS.get(provider, provider),
        environment=environment,
        status=status,
        checked_at=instant(health.last_check_time) if health else None,
        latency_ms=latency,
        budget_used=health.budget_used if health else 0.0,
        error_rate=health.recent_error_rate if health else 0.0,
        last_error=health.last_error if health else "",
        token_expires_at=instant(health.token_expire_time) if health else None,
    )


async def connection_cards(request: Request[Any, Any, Any]) -> list[ConnectionCard]:
    """Every connection with its health, asked of the core all at once. One connection whose health cannot be
    read shows its last known status rather than taking the whole dashboard down."""
    stub = resources_of(request).stub(connection_pb2_grpc.ConnectionServiceStub)
    tenant = str(tenant_of(request))
    listed = await stub.ListConnections(connection_pb2.ListConnectionsRequest(tenant_id=tenant))

    async def health(connection: connection_pb2.Connection) -> connection_pb2.ConnectionHealth | None:
        try:
            reply = await stub.GetConnectionHealth(
                connection_pb2.GetConnectionHealthRequest(tenant_id=tenant, connection_id=connection.connection_id)
            )
        except grpc.aio.AioRpcError:
            return None
        return reply.health  # type: ignore[no-any-return]

    healths = await asyncio.gather(*(health(c) for c in listed.connections))
    return [connection_card(c, h) for c, h in zip(listed.connections, healths, strict=True)]
