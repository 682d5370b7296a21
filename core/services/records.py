"""RecordService: records by state, flow, time or any reference; one with its journal and links; replays.

A replay moves dead records to pending through ``workers.engine.records.replay`` (which journals who and why)
and queues ``run_record`` under the runner's job id for the next attempt, which counts the replays, so it
never collides with a kept result of an attempt before the replay. A dry run asks a worker for a preview
(``preview_record``) and waits for its answer; it changes nothing. A summary counts records per calendar day
of their creation in a time zone, and the dead ones per reason, in one grouped query each. Support staff give
a reason for every read, summary and replay, kept in the audit log.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import structlog
from arq.connections import ArqRedis
from arq.jobs import Job, ResultNotFound
from google.protobuf.timestamp_pb2 import Timestamp
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import record_pb2 as pb
from connector.v1 import record_pb2_grpc
from core import audit, paging
from core.audit import Action, Actor, Role
from core.errors import FieldViolation, InvalidArgument, NotFound, WorkersUnavailable
from core.services.convert import timestamp
from core.services.rpc import rpc
from core.tenancy import parse_id
from tenants.db import tenant_session
from tenants.models import Link, Record
from workers.engine import journal, links
from workers.engine import records as lifecycle
from workers.engine.audit import first_break
from workers.queue import PREVIEW_RECORD, QUEUE, RUN_RECORD, preview_job_id, record_job_id

log = structlog.get_logger("core.records")

MAX_REPLAY = 200
PREVIEW_TIMEOUT = 30.0
MAX_SUMMARY_DAYS = 366

ROLES: dict[int, Role] = {
    pb.ACTOR_ROLE_MERCHANT: Role.MERCHANT,
    pb.ACTOR_ROLE_SUPPORT: Role.SUPPORT,
    pb.ACTOR_ROLE_SYSTEM: Role.SYSTEM,
}
STATES: dict[int, str] = {
    pb.RECORD_STATE_PENDING: "pending",
    pb.RECORD_STATE_RUNNING: "running",
    pb.RECORD_STATE_SUCCEEDED: "succeeded",
    pb.RECORD_STATE_SKIPPED: "skipped",
    pb.RECORD_STATE_DEAD: "dead",
}
STATE_ENUMS: dict[str, int] = {name: value for value, name in STATES.items()}
OUTCOMES: dict[str, int] = {
    "would_send": pb.PREVIEW_OUTCOME_WOULD_SEND,
    "would_finish": pb.PREVIEW_OUTCOME_WOULD_FINISH,
    "would_fail": pb.PREVIEW_OUTCOME_WOULD_FAIL,
}


# ------------------------------------------------------------------ pure conversions and decisions
def actor(message: pb.Actor, field: str = "actor") -> Actor:
    """Who asks; INVALID_ARGUMENT naming ``actor.id`` / ``actor.role`` when either is missing."""
    problems = []
    if message.role not in ROLES:
        problems.append(FieldViolation(f"{field}.role", "must be ACTOR_ROLE_MERCHANT, _SUPPORT or _SYSTEM"))
    if not message.id.strip():
        problems.append(FieldViolation(f"{field}.id", "is required: who asks (kept in the audit log)"))
    if problems:
        raise InvalidArgument(problems)
    return Actor(message.id.strip(), ROLES[message.role])


def state_name(value: int, field: str) -> str | None:
    """The record state a filter names (None when unspecified)."""
    if value == pb.RECORD_STATE_UNSPECIFIED:
        return None
    if value not in STATES:
        raise InvalidArgument.one(field, f"unknown record state {value}")
    return STATES[value]


def instant(message: Any, field: str) -> datetime | None:
    """A Timestamp field as an aware UTC datetime; None when it is not set."""
    if not message.HasField(field):
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=UTC)


def record_ids(values: Sequence[str]) -> list[uuid.UUID]:
    """Each id parsed (INVALID_ARGUMENT naming ``record_ids[i]``), duplicates dropped, order kept."""
    if len(values) > MAX_REPLAY:
        raise InvalidArgument.one("record_ids", f"at most {MAX_REPLAY} a call, got {len(values)}")
    problems, ids = [], []
    for i, value in enumerate(values):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            problems.append(FieldViolation(f"record_ids[{i}]", f"must be a UUID, got {value!r}"))
    if problems:
        raise InvalidArgument(problems)
    return list(dict.fromkeys(ids))


def replay_refusal(record_id: uuid.UUID, state: str | None) -> str | None:
    """Why a record cannot be replayed (the words of ``workers.engine.records.replay``); None when it can."""
    if state is None:
        return f"record {record_id} does not exist"
    if state != "dead":
        return f"record {record_id} is {state}; only dead-lettered records are replayed"
    return None


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` names (UTC when empty); INVALID_ARGUMENT naming ``time_zone`` for any other
    name (abbreviations such as "IST" too: they mean different zones to different readers)."""
    name = name.strip() or "UTC"
    if name not in _zones():
        raise InvalidArgument.one("time_zone", f"{name!r} is not an IANA time zone name, e.g. Asia/Kolkata or UTC")
    return ZoneInfo(name)


def summary_days(since: datetime, until: datetime, zone: ZoneInfo) -> list[date]:
    """The calendar days in ``zone`` that the window [since, until) touches, oldest first; INVALID_ARGUMENT
    naming ``until`` for a window that is reversed or touches more than MAX_SUMMARY_DAYS days."""
    if until <= since:
        raise InvalidArgument.one("until", "must be after since")
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    count = (last - first).days + 1
    if count > MAX_SUMMARY_DAYS:
        raise InvalidArgument.one("until", f"the window touches {count} days in {zone.key}; at most {MAX_SUMMARY_DAYS}")
    return [first + timedelta(days=i) for i in range(count)]


def day_summaries(days: Sequence[date], counts: Mapping[date, Sequence[int]]) -> list[pb.DaySummary]:
    """Every day, with its (succeeded, failed, skipped, pending) counts or zeros."""
    summaries = []
    for day in days:
        succeeded, failed, skipped, pending = counts.get(day, (0, 0, 0, 0))
        summaries.append(
            pb.DaySummary(date=day.isoformat(), succeeded=succeeded, failed=failed, skipped=skipped, pending=pending)
        )
    return summaries


def _json(value: Any) -> str:
    return "" if value in (None, "", {}, []) else json.dumps(value, sort_keys=True, default=str)


def _call(call: dict[str, Any]) -> pb.ProviderCall:
    return pb.ProviderCall(
        provider=str(call.get("provider") or ""),
        method=str(call.get("method") or ""),
        path=str(call.get("path") or ""),
        params=_json(call.get("params")),
        body=_json(call.get("body")),
    )


def preview(result: dict[str, Any]) -> pb.Preview:
    """A worker's ``preview_record`` answer as a message."""
    sends = result.get("would_send")
    return pb.Preview(
        flow=str(result.get("flow") or ""),
        step=str(result.get("step") or ""),
        reads=[_call(r) for r in result.get("reads") or ()],
        would_send=_call(sends) if isinstance(sends, dict) else None,
        outcome=OUTCOMES.get(str(result.get("outcome")), pb.PREVIEW_OUTCOME_UNSPECIFIED),  # type: ignore[arg-type]
        message=str(result.get("message") or ""),
    )


def record_message(row: Record) -> pb.Record:
    return pb.Record(
        record_id=str(row.id),
        flow=row.flow,
        source_ref=row.source_ref,
        state=STATE_ENUMS.get(row.state, pb.RECORD_STATE_UNSPECIFIED),  # type: ignore[arg-type]
        step=row.step,
        attempts=row.attempts,
        reason=row.reason or "",
        last_error=row.last_error or "",
        target_refs={str(k): str(v) for k, v in (row.target_refs or {}).items() if v is not None},
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
        next_attempt_time=timestamp(row.next_attempt_at),
        run_id=str(row.run_id) if row.run_id else "",
    )


def _source_identity(source_ref: str) -> tuple[str, str]:
    kind, _, ref = source_ref.partition(":")
    return kind, ref


# ------------------------------------------------------------------ queries
def _source_ref_part() -> ColumnElement[str]:
    return func.substr(Record.source_ref, func.strpos(Record.source_ref, ":") + 1)


async def _reference(session: AsyncSession, reference: str) -> ColumnElement[bool]:
    """Records of any identity of the business object ``reference`` names: the source's own reference, a
    target ref, or anything the links table connects to them."""
    kinds = set(
        (
            await session.execute(
                select(Link.kind_a)
                .where(Link.ref_a == reference)
                .union(select(Link.kind_b).where(Link.ref_b == reference))
            )
        ).scalars()
    )
    kinds |= set(
        (
            await session.execute(
                select(func.split_part(Record.source_ref, ":", 1)).where(_source_ref_part() == reference).distinct()
            )
        ).scalars()
    )
    identities: set[tuple[str, str]] = set()
    for kind in kinds:
        for k, refs in (await links.connected(session, (kind, reference))).items():
            identities |= {(k, r) for r in refs}
    refs = {reference} | {r for _, r in identities}
    targets = func.jsonb_each_text(Record.target_refs).table_valued("key", "value", name="target")
    matches: list[ColumnElement[bool]] = [
        _source_ref_part() == reference,
        select(literal(1)).select_from(targets).where(targets.c.value.in_(refs)).exists(),
    ]
    if identities:
        pairs = sorted(identities)
        matches.append(Record.source_ref.in_([f"{k}:{r}" for k, r in pairs]))
        linked = select(Link.record_id).where(
            Link.record_id.is_not(None),
            or_(tuple_(Link.kind_a, Link.ref_a).in_(pairs), tuple_(Link.kind_b, Link.ref_b).in_(pairs)),
        )
        matches.append(Record.id.in_(linked))
    return or_(*matches)


def _filtered(request: pb.ListRecordsRequest) -> Select[Record]:
    f = request.filter
    stmt = select(Record)
    state = state_name(f.state, "filter.state")
    if state:
        stmt = stmt.where(Record.state == state)
    if f.flow:
        stmt = stmt.where(Record.flow == f.flow)
    if f.reason:
        stmt = stmt.where(Record.reason == f.reason)
    after, before = instant(f, "created_after"), instant(f, "created_before")
    if after and before and before <= after:
        raise InvalidArgument.one("filter.created_before", "must be after filter.created_after")
    if after:
        stmt = stmt.where(Record.created_at >= after)
    if before:
        stmt = stmt.where(Record.created_at < before)
    return stmt


async def _answer(job: Job | None, wait: float) -> Any:
    if job is None:  # the id is new each time, so arq cannot have it already
        raise RuntimeError("the preview job was not queued")
    return await job.result(timeout=wait, poll_delay=0.1)


class RecordService(record_pb2_grpc.RecordServiceServicer):
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], queue: ArqRedis, preview_timeout: float = PREVIEW_TIMEOUT
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.preview_timeout = preview_timeout

    @rpc
    async def ListRecords(self, request: pb.ListRecordsRequest, context: Any) -> pb.ListRecordsResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        who = actor(request.actor)
        reference = request.filter.reference.strip()
        reason = audit.require_reason(who, request.reason) if reference else request.reason.strip()
        size = paging.page_size(request.page_size)
        stmt = _filtered(request).order_by(Record.created_at.desc(), Record.id.desc()).limit(size + 1)
        if request.page_token:
            created, rid = paging.decode(request.page_token, 2)
            try:
                key = (datetime.fromisoformat(created), uuid.UUID(rid))
            except ValueError:
                raise InvalidArgument.one("page_token", "is not a token this service issued") from None
            stmt = stmt.where(tuple_(Record.created_at, Record.id) < key)
        async with tenant_session(self.sessions, tenant_id) as session:
            if reference:
                stmt = stmt.where(await _reference(session, reference))
            rows = list((await session.execute(stmt)).scalars())
            # A support search by reference that finds nothing read nothing of this tenant's, and its log must
            # not carry another merchant's AWB: only a search that found records is audited.
            if who.role is Role.SUPPORT and (rows or not reference):
                details = {"reference": reference, "flow": request.filter.flow, "state": request.filter.state}
                await audit.write(session, tenant_id, who, Action.RECORD_LIST, reference or "records", reason, details)
        token = ""
        if len(rows) > size:
            rows = rows[:size]
            token = paging.encode(rows[-1].created_at.isoformat(), str(rows[-1].id))
        return pb.ListRecordsResponse(records=[record_message(r) for r in rows], next_page_token=token)

    @rpc
    async def GetRecord(self, request: pb.GetRecordRequest, context: Any) -> pb.GetRecordResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        who = actor(request.actor)
        reason = audit.require_reason(who, request.reason)
        record_id = parse_id(request.record_id, "record_id")
        async with tenant_session(self.sessions, tenant_id) as session:
            row = await session.get(Record, record_id)
            if row is None:
                raise NotFound(f"record {record_id} does not exist")
            events = await journal.events(session, record_id)
            identities = await links.connected(session, _source_identity(row.source_ref))
            if who.role is Role.SUPPORT:
                look = Action.RECORD_UNMASK if request.personal_data_shown else Action.RECORD_VIEW
                await audit.write(session, tenant_id, who, look, str(record_id), reason)
        broken = first_break(events)
        return pb.GetRecordResponse(
            record=record_message(row),
            events=[
                pb.RecordEvent(
                    seq=e.seq,
                    kind=e.kind,
                    at=timestamp(e.at),
                    data=json.dumps(e.data, sort_keys=True, ensure_ascii=False),
                    hash=e.hash.hex(),
                )
                for e in events
            ],
            chain_verified=broken is None,
            chain_break_seq=broken or 0,
            links=[pb.Identity(kind=k, ref=r) for k in sorted(identities) for r in sorted(identities[k])],
        )

    @rpc
    async def SummarizeRecords(self, request: pb.SummarizeRecordsRequest, context: Any) -> pb.SummarizeRecordsResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        zone = time_zone(request.time_zone)
        since, until = instant(request, "since"), instant(request, "until") or datetime.now(UTC)
        if since is None:
            raise InvalidArgument.one("since", "is required: the start of the window")
        days = summary_days(since, until, zone)
        who = actor(request.actor)
        reason = audit.require_reason(who, request.reason)
        window = [Record.created_at >= since, Record.created_at < until]
        if request.flow:
            window.append(Record.flow == request.flow)
        day = func.date(func.timezone(zone.key, Record.created_at)).label("day")
        per_day = (
            select(
                day,
                func.count().filter(Record.state == "succeeded"),
                func.count().filter(Record.state == "dead"),
                func.count().filter(Record.state == "skipped"),
                func.count().filter(Record.state.in_(("pending", "running"))),
            )
            .where(*window)
            .group_by(day)
        )
        per_reason = (
            select(func.coalesce(Record.reason, ""), func.count(), func.max(Record.updated_at))
            .where(*window, Record.state == "dead")
            .group_by(Record.reason)
            .order_by(func.count().desc(), Record.reason)
        )
        async with tenant_session(self.sessions, tenant_id) as session:
            counts = {d: (ok, dead, skip, wait) for d, ok, dead, skip, wait in await session.execute(per_day)}
            reasons = list(await session.execute(per_reason))
            if who.role is Role.SUPPORT:
                details = {
                    "since": since.isoformat(),
                    "until": until.isoformat(),
                    "flow": request.flow,
                    "time_zone": zone.key,
                }
                await audit.write(session, tenant_id, who, Action.RECORD_SUMMARY, "records", reason, details)
        return pb.SummarizeRecordsResponse(
            days=day_summaries(days, counts),
            reasons=[
                pb.ReasonSummary(reason=name, count=n, last_update_time=timestamp(newest))
                for name, n, newest in reasons
            ],
        )

    @rpc
    async def ReplayRecords(self, request: pb.ReplayRecordsRequest, context: Any) -> pb.ReplayRecordsResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        who = actor(request.actor)
        reason = audit.require_reason(who, request.reason, always=True)
        ids = record_ids(request.record_ids)
        if not ids and not request.HasField("filter"):
            raise InvalidArgument.one("record_ids", "give the records to replay, or a filter")
        async with tenant_session(self.sessions, tenant_id) as session:
            truncated = False
            if not ids:
                ids, truncated = await self._dead(session, request.filter)
            if request.dry_run:
                results = await self._refusals(session, tenant_id, ids, who, reason)
            else:
                results = await self._replay(session, tenant_id, ids, who, reason)
        if request.dry_run:
            await self._previews(tenant_id, results, context)
        else:
            await self._enqueue(tenant_id, results)
        return pb.ReplayRecordsResponse(results=results, truncated=truncated)

    async def _dead(self, session: AsyncSession, f: pb.ReplayFilter) -> tuple[list[uuid.UUID], bool]:
        """The oldest dead records the filter matches (at most MAX_REPLAY), and whether more did."""
        conditions = [Record.state == "dead"]
        if f.flow:
            conditions.append(Record.flow == f.flow)
        if f.reason:
            conditions.append(Record.reason == f.reason)
        since = instant(f, "since")
        if since:
            conditions.append(Record.created_at >= since)
        stmt = select(Record.id).where(and_(*conditions)).order_by(Record.created_at, Record.id).limit(MAX_REPLAY + 1)
        ids = list((await session.execute(stmt)).scalars())
        return ids[:MAX_REPLAY], len(ids) > MAX_REPLAY

    async def _replay(
        self, session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID], who: Actor, reason: str
    ) -> list[pb.ReplayResult]:
        rows = {
            r.id: r
            for r in (await session.execute(select(Record).where(Record.id.in_(ids)).with_for_update())).scalars()
        }
        results = []
        for rid in ids:
            row = rows.get(rid)
            refusal = replay_refusal(rid, row.state if row else None)
            job_id = ""
            if row is not None and refusal is None:
                try:
                    await lifecycle.replay(session, row, by=str(who), reason=reason)
                except lifecycle.TransitionRefused as exc:
                    refusal = str(exc)
                else:  # the runner's own id for the next attempt, which carries the replay (attempts restart)
                    job_id = record_job_id(str(rid), row.attempts + 1, lifecycle.replays(row))
            details = {"from_step": row.step if row else None, "job_id": job_id, "refused": refusal}
            await audit.write(session, tenant_id, who, Action.RECORD_REPLAY, str(rid), reason, details)
            results.append(
                pb.ReplayResult(record_id=str(rid), accepted=refusal is None, refusal=refusal or "", job_id=job_id)
            )
        return results

    async def _refusals(
        self, session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID], who: Actor, reason: str
    ) -> list[pb.ReplayResult]:
        states = {
            rid: state
            for rid, state in await session.execute(select(Record.id, Record.state).where(Record.id.in_(ids)))
        }
        results = []
        for rid in ids:
            refusal = replay_refusal(rid, states.get(rid))
            await audit.write(
                session, tenant_id, who, Action.RECORD_REPLAY_PREVIEW, str(rid), reason, {"refused": refusal}
            )
            results.append(pb.ReplayResult(record_id=str(rid), accepted=refusal is None, refusal=refusal or ""))
        return results

    async def _enqueue(self, tenant_id: uuid.UUID, results: list[pb.ReplayResult]) -> None:
        for result in results:
            if not result.job_id:
                continue
            try:
                await self.queue.enqueue_job(
                    RUN_RECORD, str(tenant_id), result.record_id, _job_id=result.job_id, _queue_name=QUEUE
                )
            except (OSError, RedisError) as exc:  # the record is pending in PostgreSQL: the sweeper queues it
                log.warning("replay not queued; the sweeper will", record=result.record_id, error=str(exc))
                result.job_id = ""

    async def _previews(self, tenant_id: uuid.UUID, results: list[pb.ReplayResult], context: Any) -> None:
        """Ask the workers for each accepted record's preview, all at once, and wait for the answers."""
        wanted = [r for r in results if r.accepted]
        if not wanted:
            return
        timeout = self.preview_timeout
        remaining = context.time_remaining()
        if remaining is not None:  # answer within the caller's deadline, with a moment to spare
            timeout = max(min(timeout, remaining - 0.5), 0.1)
        try:
            jobs = [
                await self.queue.enqueue_job(
                    PREVIEW_RECORD,
                    str(tenant_id),
                    r.record_id,
                    _job_id=preview_job_id(r.record_id, uuid.uuid4().hex),
                    _queue_name=QUEUE,
                    _expires=timeout,  # a worker that turns up later does not work out a stale preview
                )
                for r in wanted
            ]
        except (OSError, RedisError) as exc:
            raise WorkersUnavailable(f"the job queue is unreachable: {exc}") from None
        answers = await asyncio.gather(*(_answer(job, timeout) for job in jobs), return_exceptions=True)
        if any(isinstance(a, (TimeoutError, ResultNotFound)) for a in answers):
            raise WorkersUnavailable(
                f"no worker answered the dry run within {timeout:.1f} s; is `connectors worker` running?"
            )
        for result, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, dict):
                result.preview.CopyFrom(preview(answer))
            else:
                failed = f"the preview failed: {type(answer).__name__}: {answer}"
                result.preview.CopyFrom(pb.Preview(outcome=pb.PREVIEW_OUTCOME_WOULD_FAIL, message=failed))
