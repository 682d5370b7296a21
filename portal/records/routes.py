"""Failed records and replay: pages and the JSON API beside them.

    /records                        VIEWER  records by state (failed by default), flow, reason or any reference,
                                            the failed ones grouped by reason in plain words
    POST /records/replay            ADMIN   dry run or replay the ticked records, or a whole (flow, reason) group
    /records/{record_id}            VIEWER  one record: state, refs, identities, its journal and whether it verifies
    POST /records/{record_id}/replay ADMIN  dry run or replay that record

Every replay carries a reason (kept in the record's journal and the audit log). A dry run shows what each
record's next attempt would read and send, and changes nothing; a replay sends dead records back to the step
they failed at and the next page says what went and what was refused.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import grpc
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, Template

from portal.records import service
from portal.records.service import Filters, Group, ReplayAnswer
from portal.resources import Slice
from portal.security.access import Access, allows, at
from portal.security.sessions import flash
from portal.sync.service import flow_label, flows
from portal.web.context import resources_of, session_of
from portal.web.errors import Problem, from_grpc
from portal.web.pages import done, page

StateQuery = Annotated[str | None, QueryParameter(name="state")]
"""``state`` is a name Litestar keeps for itself: the handlers call it ``state_``."""
INLINE_CODES = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
"""Core refusals a replay form shows beside the form (a missing reason, no worker for a dry run)."""


def _page_size(value: int | None) -> int:
    if value is None:
        return 50
    if not 1 <= value <= 200:
        raise Problem.invalid("page_size", "must be between 1 and 200")
    return value


async def _done_with(request: Request[Any, Any, Any], to: str, messages: list[str]) -> Redirect:
    """``done`` with several one-time messages."""
    token = request.scope.get("state", {}).get("session_token")
    for message in messages[:-1]:
        await flash(resources_of(request).queue, token, message)
    return await done(request, to, messages[-1] if messages else None)


@dataclass
class Posted:
    """A posted form, every value of every field (the ticked records share one name)."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def one(self, name: str) -> str:
        found = self.values.get(name) or [""]
        return found[-1].strip()

    def all(self, name: str) -> list[str]:
        return [v for v in self.values.get(name, []) if v.strip()]


async def _posted(request: Request[Any, Any, Any]) -> Posted:
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if key != "_csrf_token" and isinstance(value, str):
            values.setdefault(key, []).append(value)
    return Posted(values)


def _inline(exc: grpc.aio.AioRpcError) -> Problem:
    if exc.code() not in INLINE_CODES:
        raise exc
    return from_grpc(exc)


# ------------------------------------------------------------------ pages


async def _records_page(
    request: Request[Any, Any, Any],
    where: Filters,
    *,
    page_token: str = "",
    tz: str | None = None,
    replayed: list[str] | None = None,
    problem: Problem | None = None,
    why: str = "",
    status: int = 200,
) -> Template:
    zone = service.time_zone(tz)
    (found, next_token), groups, just = await asyncio.gather(
        service.list_records(request, where, page_token),
        service.reason_groups(request, zone, where.flow),
        service.records_by_id(request, replayed or []),
    )
    return await page(
        request, "records/index.html", status,
        records=found, next_token=next_token, where=where, groups=groups, replayed=just, problem=problem, why=why,
        flows=flows(), flow_label=flow_label, reasons=service.REASONS, states=service.STATE_LABELS, tz=zone.key,
        can_replay=allows(Access.ADMIN, session_of(request)), first_page=not page_token,
        failed=sum(g.count for g in groups),
    )  # fmt: skip


@get("/records", opt=at(Access.VIEWER))
async def records_page(
    request: Request[Any, Any, Any],
    state_: StateQuery = None,
    flow: FromQuery[str | None] = None,
    reason: FromQuery[str | None] = None,
    reference: FromQuery[str | None] = None,
    page_token: FromQuery[str | None] = None,
    replayed: FromQuery[str | None] = None,
    tz: FromQuery[str | None] = None,
) -> Template:
    where = service.filters(state_, flow, reason, reference, default="dead")
    ids = [i for i in (replayed or "").split(",") if i]
    return await _records_page(request, where, page_token=page_token or "", tz=tz, replayed=ids)


async def _preview_page(request: Request[Any, Any, Any], answer: ReplayAnswer, back: str) -> Template:
    known = {r.record_id: r for r in await service.records_by_id(request, [r.record_id for r in answer.results])}
    return await page(request, "records/preview.html", answer=answer, known=known, back=back, flow_label=flow_label)


@post("/records/replay", opt=at(Access.ADMIN))
async def replay_form(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await _posted(request)
    where = service.filters(form.one("state"), form.one("flow"), form.one("reason"), form.one("reference"), "dead")
    action, why = form.one("action"), form.one("why")
    try:
        if action in ("group_dry_run", "group_replay"):
            group = Group(form.one("group_flow"), form.one("group_reason"))
            if not group.reason:
                raise Problem.invalid("group_reason", "name the group's reason")
            answer = await service.replay(request, group=group, dry_run=action == "group_dry_run", why=why)
        elif action in ("dry_run", "replay"):
            ids = service.record_ids(form.all("record_id"))
            if not ids:
                raise Problem.invalid("record_id", "tick at least one record first")
            answer = await service.replay(request, ids=ids, dry_run=action == "dry_run", why=why)
        else:
            raise Problem.invalid("action", "choose Dry run or Replay")
    except Problem as problem:
        return await _records_page(request, where, problem=problem, why=why, status=problem.status)
    except grpc.aio.AioRpcError as exc:
        refused = _inline(exc)
        return await _records_page(request, where, problem=refused, why=why, status=refused.status)
    if answer.dry_run:
        return await _preview_page(request, answer, f"/records?{where.query()}")
    shown = ",".join(r.record_id for r in answer.results[: service.SHOWN_AFTER_REPLAY])
    return await _done_with(request, f"/records?{where.query(replayed=shown)}", service.replay_messages(answer))


async def _record_page(
    request: Request[Any, Any, Any],
    record_id: uuid.UUID,
    *,
    tz: str | None = None,
    problem: Problem | None = None,
    why: str = "",
    status: int = 200,
) -> Template:
    zone = service.time_zone(tz)
    detail = await service.get_record(request, str(record_id))
    return await page(
        request, "records/record.html", status,
        detail=detail, record=detail.record, problem=problem, why=why, flow_label=flow_label,
        states=service.STATE_LABELS, can_replay=allows(Access.ADMIN, session_of(request)), tz=zone.key,
    )  # fmt: skip


@get("/records/{record_id:uuid}", opt=at(Access.VIEWER))
async def record_page(
    request: Request[Any, Any, Any], record_id: FromPath[uuid.UUID], tz: FromQuery[str | None] = None
) -> Template:
    return await _record_page(request, record_id, tz=tz)


@post("/records/{record_id:uuid}/replay", opt=at(Access.ADMIN))
async def record_replay_form(request: Request[Any, Any, Any], record_id: FromPath[uuid.UUID]) -> Response[Any]:
    form = await _posted(request)
    action, why = form.one("action"), form.one("why")
    try:
        if action not in ("dry_run", "replay"):
            raise Problem.invalid("action", "choose Dry run or Replay")
        answer = await service.replay(request, ids=[str(record_id)], dry_run=action == "dry_run", why=why)
    except Problem as problem:
        return await _record_page(request, record_id, problem=problem, why=why, status=problem.status)
    except grpc.aio.AioRpcError as exc:
        refused = _inline(exc)
        return await _record_page(request, record_id, problem=refused, why=why, status=refused.status)
    if answer.dry_run:
        return await _preview_page(request, answer, f"/records/{record_id}")
    return await _done_with(request, f"/records/{record_id}", service.replay_messages(answer))


# ------------------------------------------------------------------ JSON API


@dataclass
class GroupBody:
    reason: str
    """The dead-letter reason: needs_reauth, unmapped_sku, serviceability_failed, provider_rejected,
    quota_exhausted or invalid_source_data."""
    flow: str = ""
    """One flow's records only (every flow's when empty)."""


@dataclass
class ReplayBody:
    reason: str
    """Why you replay: required, kept in each record's journal and in the audit log."""
    record_ids: list[str] | None = None
    """At most 200; or leave out and name a group."""
    group: GroupBody | None = None
    dry_run: bool = False
    """Show what each record's next attempt would send; change nothing."""


@get("/records", opt=at(Access.VIEWER))
async def api_records(
    request: Request[Any, Any, Any],
    state_: StateQuery = None,
    flow: FromQuery[str | None] = None,
    reason: FromQuery[str | None] = None,
    reference: FromQuery[str | None] = None,
    page_token: FromQuery[str | None] = None,
    page_size: FromQuery[int | None] = None,
) -> dict[str, Any]:
    """Records newest first, by ``state`` (pending, running, succeeded, skipped, dead; every state when not
    given), flow, dead-letter reason, or ``reference``: any identity of the business object (an order number,
    an AWB, an invoice number...)."""
    where = service.filters(state_, flow, reason, reference, default="any")
    found, token = await service.list_records(request, where, page_token or "", _page_size(page_size))
    return {"items": [r.to_json() for r in found], "next_page_token": token}


@get("/records/groups", opt=at(Access.VIEWER))
async def api_groups(
    request: Request[Any, Any, Any], flow: FromQuery[str | None] = None, tz: FromQuery[str | None] = None
) -> dict[str, Any]:
    """Failed (dead) records of the last year by reason, most first, each reason explained."""
    groups = await service.reason_groups(request, service.time_zone(tz), (flow or "").strip())
    return {"items": [g.to_json() for g in groups], "next_page_token": ""}


@get("/records/{record_id:uuid}", opt=at(Access.VIEWER))
async def api_record(request: Request[Any, Any, Any], record_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    """One record with its journal (each event's data: what was received, sent and answered), whether the
    journal's hash chain verifies, and every identity linked to it across systems."""
    return (await service.get_record(request, str(record_id))).to_json()


@post("/records/replay", opt=at(Access.ADMIN), status_code=200)
async def api_replay(request: Request[Any, Any, Any], data: JSONBody[ReplayBody]) -> dict[str, Any]:
    """Replay dead records from the step they failed at: the ones named, or a group's oldest 200 (``truncated``
    says there are more). With ``dry_run``, each result's ``preview`` says what would be read and sent, and
    nothing changes (503 when no worker answers in time)."""
    ids = service.record_ids(data.record_ids or [])
    group = Group(data.group.flow.strip(), data.group.reason.strip()) if data.group else None
    if ids and group:
        raise Problem.invalid("group", "give record_ids or a group, not both")
    answer = await service.replay(request, ids=ids, group=group, dry_run=data.dry_run, why=data.reason)
    return answer.to_json()


PAGES = [records_page, replay_form, record_page, record_replay_form]
API = [api_records, api_groups, api_record, api_replay]

SLICE = Slice.of_pages_and_api("records", PAGES, {"records": API})
