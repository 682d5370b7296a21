"""The dashboard, sync history and resync: pages and the JSON API beside them.

    /                       VIEWER  connection health, records per day (chart), failed records by reason, runs
    /sync                   VIEWER  runs with counts and durations, the per-day chart; ADMIN: the resync form
    POST /sync/runs         ADMIN   estimate a resync first, or start it (then its page)
    /sync/runs/{run_id}     VIEWER  one run, live while it runs, and the records it started

A merchant chooses dates in their own time zone (``tz``, Asia/Kolkata unless they say otherwise); the window
goes to the core as UTC instants. A support person with no tenant who lands on ``/`` is refused (403, as the
access level says) with a ``Refresh`` that takes their browser straight on to ``/support``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import grpc
from litestar import Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Template

from portal.records import service as records
from portal.resources import Slice
from portal.security.access import Access, allows, at
from portal.sync import service
from portal.sync.chart import Chart, Day, bar_chart
from portal.web.context import session_of
from portal.web.errors import Problem, from_grpc, on_http
from portal.web.pages import done, form_of, page

CHART_DAYS = 14
SUPPORT_HOME = "/support"
DASHBOARD_RUNS = 5
StateQuery = Annotated[str | None, QueryParameter(name="state")]
"""``state`` is a name Litestar keeps for itself: the handlers call it ``state_``."""
INLINE_CODES = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
"""Core refusals a resync form shows beside the form (a window too long, no worker to estimate) rather than
on an error page."""


def chart_of(summary: records.Summary) -> Chart:
    return bar_chart([Day(d.date, d.succeeded, d.failed) for d in summary.days])


def _page_size(value: int | None, default: int) -> int:
    if value is None:
        return default
    if not 1 <= value <= 200:
        raise Problem.invalid("page_size", "must be between 1 and 200")
    return value


# ------------------------------------------------------------------ the dashboard


def _support_home(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    """Support staff acting for no tenant have no dashboard: their home is the support console. They are refused
    (403, as the route's level says, for any client) and a browser is sent on to /support at once (Refresh)."""
    session = request.scope.get("state", {}).get("session")
    if session is None or not session.is_support or session.tenant_id is not None:
        return on_http(request, exc)
    problem = Problem(403, "Support staff act for no tenant, so have no dashboard: your home is the support console.")
    return Template(
        template_name="error.html",
        context={"problem": problem, "session": session, "flashes": [], "path": request.url.path},
        status_code=403,
        headers={"refresh": f"0; url={SUPPORT_HOME}"},
    )


@dataclass(frozen=True)
class Dashboard:
    cards: list[service.ConnectionCard]
    summary: records.Summary
    groups: list[records.ReasonGroup]
    runs: list[service.Run]

    def to_json(self) -> dict[str, Any]:
        return {
            "connections": [c.to_json() for c in self.cards],
            "summary": self.summary.to_json(),
            "failed_by_reason": [g.to_json() for g in self.groups],
            "runs": [r.to_json() for r in self.runs],
        }


async def _dashboard(request: Request[Any, Any, Any], tz: str | None) -> Dashboard:
    zone = records.time_zone(tz)
    since, until = records.last_days(CHART_DAYS, zone)
    cards, summary, groups, (runs, _) = await asyncio.gather(
        service.connection_cards(request),
        records.summarize(request, since, until, zone),
        records.reason_groups(request, zone),
        service.list_runs(request, page_size=DASHBOARD_RUNS),
    )
    return Dashboard(cards, summary, groups, runs)


@get("/", opt=at(Access.VIEWER), exception_handlers={PermissionDeniedException: _support_home})
async def dashboard_page(request: Request[Any, Any, Any], tz: FromQuery[str | None] = None) -> Template:
    board = await _dashboard(request, tz)
    return await page(
        request, "dashboard.html", board=board, chart=chart_of(board.summary), tz=board.summary.time_zone,
        failed=sum(g.count for g in board.groups),
    )  # fmt: skip


# ------------------------------------------------------------------ sync history and resync


@dataclass
class ResyncForm:
    flow: str = ""
    window_start: str = ""
    window_end: str = ""
    tz: str = records.DEFAULT_ZONE


def _default_form(tz: str) -> ResyncForm:
    today = datetime.now(UTC).astimezone(records.time_zone(tz)).date()
    able = [f.name for f in service.flows() if f.can_resync]
    return ResyncForm(able[0] if able else "", (today - timedelta(days=6)).isoformat(), today.isoformat(), tz)


async def _sync_page(
    request: Request[Any, Any, Any],
    *,
    flow: str = "",
    state: str = "",
    page_token: str = "",
    tz: str | None = None,
    form: ResyncForm | None = None,
    problem: Problem | None = None,
    estimate: service.Estimate | None = None,
    status: int = 200,
) -> Template:
    zone = records.time_zone(tz)
    since, until = records.last_days(CHART_DAYS, zone)
    (runs, next_token), summary = await asyncio.gather(
        service.list_runs(request, flow=flow, state=state, page_token=page_token),
        records.summarize(request, since, until, zone, flow),
    )
    return await page(
        request, "sync/index.html", status,
        runs=runs, next_token=next_token, flow=flow, state=state, tz=zone.key, summary=summary,
        chart=chart_of(summary), flows=service.flows(), states=service.RUN_STATE_LABELS, flow_label=service.flow_label,
        form=form or _default_form(zone.key), problem=problem, estimate=estimate,
        can_resync=allows(Access.ADMIN, session_of(request)), first_page=not page_token,
    )  # fmt: skip


@get("/sync", opt=at(Access.VIEWER))
async def sync_page(
    request: Request[Any, Any, Any],
    flow: FromQuery[str | None] = None,
    state_: StateQuery = None,
    page_token: FromQuery[str | None] = None,
    tz: FromQuery[str | None] = None,
) -> Template:
    return await _sync_page(request, flow=flow or "", state=state_ or "", page_token=page_token or "", tz=tz)


@post("/sync/runs", opt=at(Access.ADMIN))
async def resync_form(request: Request[Any, Any, Any]) -> Response[Any]:
    fields = await form_of(request)
    form = ResyncForm(
        fields.get("flow", "").strip(), fields.get("window_start", ""), fields.get("window_end", ""),
        fields.get("tz", "") or records.DEFAULT_ZONE,
    )  # fmt: skip
    try:
        if not form.flow:
            raise Problem.invalid("flow", "choose the flow to resync")
        zone = records.time_zone(form.tz)
        start, end = service.window_of(form.window_start, form.window_end, zone)
        if fields.get("action") == "estimate":
            estimate = await service.estimate_run(request, form.flow, start, end)
            return await _sync_page(request, tz=form.tz, form=form, estimate=estimate)
        run = await service.trigger_run(request, form.flow, start, end)
    except Problem as problem:
        return await _sync_page(request, tz=_safe_zone(form.tz), form=form, problem=problem, status=problem.status)
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in INLINE_CODES:
            raise
        refused = from_grpc(exc)
        return await _sync_page(request, tz=_safe_zone(form.tz), form=form, problem=refused, status=refused.status)
    return await done(
        request, f"/sync/runs/{run.run_id}?tz={form.tz}",
        f"Resync of {run.flow_label} started for {form.window_start} to {form.window_end}.",
    )  # fmt: skip


def _safe_zone(tz: str) -> str:
    try:
        return records.time_zone(tz).key
    except Problem:
        return records.DEFAULT_ZONE


@get("/sync/runs/{run_id:uuid}", opt=at(Access.VIEWER))
async def run_page(
    request: Request[Any, Any, Any], run_id: FromPath[uuid.UUID], tz: FromQuery[str | None] = None
) -> Template:
    zone = records.time_zone(tz)
    run = await service.get_run(request, str(run_id))
    found, more = await service.run_records(request, run)
    return await page(
        request, "sync/run.html", run=run, records=found, more=more, tz=zone.key, flow_label=service.flow_label,
    )  # fmt: skip


# ------------------------------------------------------------------ JSON API


@dataclass
class RunBody:
    flow: str
    window_start: str
    """A date (YYYY-MM-DD, in ``tz``) or an ISO 8601 instant with its offset."""
    window_end: str
    """A date (included) or an instant (excluded), as window_start."""
    tz: str | None = None
    """The time zone dates are in (Asia/Kolkata when not given)."""


def _window(data: RunBody) -> tuple[datetime, datetime]:
    if not data.flow.strip():
        raise Problem.invalid("flow", "is required")
    return service.window_of(data.window_start, data.window_end, records.time_zone(data.tz))


@get("/runs", opt=at(Access.VIEWER))
async def api_runs(
    request: Request[Any, Any, Any],
    flow: FromQuery[str | None] = None,
    state_: StateQuery = None,
    page_token: FromQuery[str | None] = None,
    page_size: FromQuery[int | None] = None,
) -> dict[str, Any]:
    """Sync runs, newest first, with counts, progress and duration; ``state`` one of queued, discovering, running,
    completed, completed_with_failures, failed."""
    size = _page_size(page_size, 50)
    runs, token = await service.list_runs(request, flow or "", state_ or "", page_token or "", size)
    return {"items": [r.to_json() for r in runs], "next_page_token": token}


@get("/runs/{run_id:uuid}", opt=at(Access.VIEWER))
async def api_run(request: Request[Any, Any, Any], run_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    """One run's counts and progress; ``finished`` is true once it completed or failed (poll until then)."""
    return (await service.get_run(request, str(run_id))).to_json()


@post("/runs", opt=at(Access.ADMIN), status_code=201)
async def api_trigger(request: Request[Any, Any, Any], data: JSONBody[RunBody]) -> dict[str, Any]:
    """Resync: run a flow over a window (at most 90 days). Dates are whole days in ``tz``."""
    start, end = _window(data)
    return (await service.trigger_run(request, data.flow.strip(), start, end)).to_json()


@post("/runs/estimate", opt=at(Access.ADMIN), status_code=200)
async def api_estimate(request: Request[Any, Any, Any], data: JSONBody[RunBody]) -> dict[str, Any]:
    """What a resync over the window would take (records, provider calls, the least time), before starting it;
    a worker asks the source. 503 when no worker answers in time."""
    start, end = _window(data)
    return (await service.estimate_run(request, data.flow.strip(), start, end)).to_json()


@get("/summary", opt=at(Access.VIEWER))
async def api_summary(
    request: Request[Any, Any, Any],
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    tz: FromQuery[str | None] = None,
    flow: FromQuery[str | None] = None,
) -> dict[str, Any]:
    """Records per calendar day of their creation in ``tz`` (succeeded, failed, skipped, pending) and the failed
    ones by reason. ``since`` and ``until`` are dates, both included (the last 14 days by default)."""
    zone = records.time_zone(tz)
    start, end = records.last_days(CHART_DAYS, zone)
    if since or until:
        first = service.parse_day(since, "since") if since else None
        last = service.parse_day(until, "until") if until else datetime.now(UTC).astimezone(zone).date()
        if first is None:
            first = last - timedelta(days=CHART_DAYS - 1)
        if last < first:
            raise Problem.invalid("until", "must be on or after since")
        start, end = service.local_window(first, last, zone)
    return (await records.summarize(request, start, end, zone, (flow or "").strip())).to_json()


@get("/dashboard", opt=at(Access.VIEWER))
async def api_dashboard(request: Request[Any, Any, Any], tz: FromQuery[str | None] = None) -> dict[str, Any]:
    """What the dashboard shows: every connection's health, the last 14 days per day, failed records by reason
    and the latest runs."""
    return (await _dashboard(request, tz)).to_json()


PAGES = [dashboard_page, sync_page, resync_form, run_page]
API = [api_runs, api_run, api_trigger, api_estimate, api_summary, api_dashboard]

SLICE = Slice.of_pages_and_api("sync", PAGES, {"sync": API})
