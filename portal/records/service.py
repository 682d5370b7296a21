"""Records as the portal shows them: read from the core's RecordService and turned into plain values that
the pages and the JSON API share.

    list_records, get_record        one page of records by filter; one record with its journal and links
    replay                          chosen records or a whole (flow, reason) group, or a dry run of them
    summarize                       records per calendar day in a time zone, and the dead ones per reason

Everything else here is pure: protobuf to values, the dead-letter reasons in plain words, pretty JSON, and
the one-line messages a replay leaves for the next page.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from litestar import Request

from connector.v1 import record_pb2, record_pb2_grpc
from portal.web.context import actor_of, resources_of, tenant_of
from portal.web.errors import Problem

STATES: dict[int, str] = {
    record_pb2.RECORD_STATE_PENDING: "pending",
    record_pb2.RECORD_STATE_RUNNING: "running",
    record_pb2.RECORD_STATE_SUCCEEDED: "succeeded",
    record_pb2.RECORD_STATE_SKIPPED: "skipped",
    record_pb2.RECORD_STATE_DEAD: "dead",
}
STATE_ENUMS: dict[str, int] = {word: value for value, word in STATES.items()}
STATE_WORDS = {
    "dead": "Failed",
    "pending": "Waiting",
    "running": "Running",
    "succeeded": "Succeeded",
    "skipped": "Skipped",
}
"""A state in a word, for badges."""
STATE_LABELS = {
    "dead": "Failed (dead-lettered)",
    "pending": "Waiting",
    "running": "Running",
    "succeeded": "Succeeded",
    "skipped": "Skipped (nothing needed)",
}
OUTCOMES: dict[int, str] = {
    record_pb2.PREVIEW_OUTCOME_WOULD_SEND: "would_send",
    record_pb2.PREVIEW_OUTCOME_WOULD_FINISH: "would_finish",
    record_pb2.PREVIEW_OUTCOME_WOULD_FAIL: "would_fail",
}
OUTCOME_LABELS = {
    "would_send": "Would send a change to the provider",
    "would_finish": "Nothing left to send: would just finish",
    "would_fail": "Would fail again before sending",
    "": "No preview",
}

MAX_REPLAY = 200
"""The core replays at most this many records a call (a group: the oldest that many; call again for the rest)."""
GROUP_DAYS = 365
"""Failed records are grouped by reason over the records created in this many days (the summary's limit)."""


@dataclass(frozen=True)
class ReasonText:
    """A dead-letter reason in plain words: what happened, and what to do before replaying."""

    title: str
    meaning: str
    fix: str


REASONS: dict[str, ReasonText] = {
    "needs_reauth": ReasonText(
        "Needs reconnecting",
        "The provider no longer accepts the platform's access to your account (a revoked or expired login).",
        "Reconnect the account on the Connections page, then replay.",
    ),
    "unmapped_sku": ReasonText(
        "Unknown SKU",
        "An item's SKU has no match in the other system, so the order cannot be built there.",
        "Create the item or map the SKU in the other system, then replay.",
    ),
    "serviceability_failed": ReasonText(
        "No courier can take it",
        "No courier allowed by your settings serves this pickup and delivery pincode (or this weight or payment mode).",
        "Allow more couriers in Settings or correct the delivery address, then replay.",
    ),
    "provider_rejected": ReasonText(
        "Refused by the provider",
        "The provider refused what was sent; its answer, below as the last error, says why "
        "(an unknown pickup location, a missing field...).",
        "Fix what the error names where it lives (at the provider, or in the source order), then replay: "
        "a replay sends the same request again.",
    ),
    "quota_exhausted": ReasonText(
        "Provider quota used up",
        "The provider's API quota for the day ran out before this record was done.",
        "Replay once the quota resets (usually at the provider's midnight) or after raising it.",
    ),
    "invalid_source_data": ReasonText(
        "Something missing in the source",
        "The order, shipment or remittance itself is incomplete or does not add up "
        "(no address or pincode, an AWB no order carries, totals that differ...).",
        "Correct it in the source system, then replay.",
    ),
}
UNKNOWN_REASON = ReasonText(
    "Failed", "The record failed without a recorded reason.", "Read its last error and its journal."
)

IDENTITY_LABELS = {
    "zoho_salesorder": "Zoho sales order",
    "zoho_salesorder_number": "Zoho sales order number",
    "zoho_shipmentorder": "Zoho shipment",
    "zoho_adjustment": "Zoho stock adjustment",
    "zoho_return": "Zoho return",
    "zoho_return_qc": "Zoho return QC",
    "shiprocket_order": "Shiprocket order",
    "shiprocket_shipment": "Shiprocket shipment",
    "shiprocket_tracking": "Shiprocket tracking update",
    "shiprocket_return_order": "Shiprocket return order",
    "shiprocket_return_shipment": "Shiprocket return shipment",
    "awb": "AWB",
    "return_awb": "Return AWB",
    "books_invoice": "Books invoice",
    "books_payment": "Books payment",
    "books_creditnote": "Books credit note",
    "books_expense": "Books expense",
    "books_contact": "Books contact",
    "books_journal": "Books journal",
    "remittance": "COD remittance",
    "shipstation_order": "ShipStation order",
    "shipstation_order_number": "ShipStation order number",
    "shipstation_shipment": "ShipStation shipment",
    "shipstation_customer": "ShipStation customer",
    "tracking_number": "Tracking number",
}


NUMBER_REFS = ("salesorder_number", "order_number", "invoice_number")
"""Target refs that hold the number a merchant knows a record's order by."""


def explain(reason: str) -> ReasonText:
    return REASONS.get(reason, UNKNOWN_REASON)


def identity_label(kind: str) -> str:
    return IDENTITY_LABELS.get(kind, kind.replace("_", " "))


def instant(stamp: Timestamp) -> datetime | None:
    """A Timestamp as an aware UTC datetime (None when unset)."""
    if not stamp.seconds and not stamp.nanos:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def stamp(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def pretty_json(text: str) -> str:
    """JSON text indented for people (as it came when it is not JSON; "" for nothing)."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return text


def json_value(text: str) -> Any:
    """JSON text as a value for the API (the text itself when it is not JSON; None for nothing)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


# ------------------------------------------------------------------ values


@dataclass(frozen=True)
class RecordView:
    record_id: str
    flow: str
    source_ref: str
    state: str
    step: str
    attempts: int
    reason: str
    last_error: str
    target_refs: dict[str, str]
    created_at: datetime | None
    updated_at: datetime | None
    next_attempt_at: datetime | None
    run_id: str

    @property
    def source_kind(self) -> str:
        return self.source_ref.partition(":")[0]

    @property
    def source_id(self) -> str:
        return self.source_ref.partition(":")[2]

    @property
    def source_label(self) -> str:
        return f"{identity_label(self.source_kind)} {self.source_id}".strip()

    @property
    def number(self) -> str:
        """The order's number people know it by, once a step has read it ("" before)."""
        return next((self.target_refs[k] for k in NUMBER_REFS if self.target_refs.get(k)), "")

    @property
    def title(self) -> str:
        return f"{self.source_label} ({self.number})" if self.number else self.source_label

    @property
    def explained(self) -> ReasonText | None:
        return explain(self.reason) if self.reason else None

    @property
    def state_word(self) -> str:
        return STATE_WORDS.get(self.state, self.state)

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "flow": self.flow,
            "source_ref": self.source_ref,
            "state": self.state,
            "step": self.step,
            "attempts": self.attempts,
            "reason": self.reason or None,
            "last_error": self.last_error or None,
            "target_refs": self.target_refs,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "next_attempt_at": iso(self.next_attempt_at),
            "run_id": self.run_id or None,
        }


def record_view(message: record_pb2.Record) -> RecordView:
    return RecordView(
        record_id=message.record_id,
        flow=message.flow,
        source_ref=message.source_ref,
        state=STATES.get(message.state, "unknown"),
        step=message.step,
        attempts=message.attempts,
        reason=message.reason,
        last_error=message.last_error,
        target_refs=dict(sorted(message.target_refs.items())),
        created_at=instant(message.create_time),
        updated_at=instant(message.update_time),
        next_attempt_at=instant(message.next_attempt_time),
        run_id=message.run_id,
    )


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    at: datetime | None
    data: str
    """The event's data as JSON, indented."""
    raw: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "at": iso(self.at), "data": json_value(self.raw), "hash": self.hash}


@dataclass(frozen=True)
class Identity:
    kind: str
    ref: str

    @property
    def label(self) -> str:
        return identity_label(self.kind)


@dataclass(frozen=True)
class RecordDetail:
    record: RecordView
    events: list[Event]
    chain_verified: bool
    chain_break_seq: int
    links: list[Identity]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.record.to_json(),
            "events": [e.to_json() for e in self.events],
            "chain_verified": self.chain_verified,
            "chain_break_seq": self.chain_break_seq or None,
            "links": [{"kind": i.kind, "ref": i.ref} for i in self.links],
        }


def detail_view(message: record_pb2.GetRecordResponse) -> RecordDetail:
    return RecordDetail(
        record=record_view(message.record),
        events=[
            Event(e.seq, e.kind, instant(e.at), pretty_json(e.data), e.data, e.hash)
            for e in sorted(message.events, key=lambda e: e.seq)
        ],
        chain_verified=message.chain_verified,
        chain_break_seq=message.chain_break_seq,
        links=[Identity(i.kind, i.ref) for i in message.links],
    )


@dataclass(frozen=True)
class Call:
    """A provider call a dry run would make (params and body as indented JSON)."""

    provider: str
    method: str
    path: str
    params: str
    body: str
    raw_params: str = ""
    raw_body: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "method": self.method,
            "path": self.path,
            "params": json_value(self.raw_params),
            "body": json_value(self.raw_body),
        }


def call_view(message: record_pb2.ProviderCall) -> Call:
    return Call(
        message.provider,
        message.method,
        message.path,
        pretty_json(message.params),
        pretty_json(message.body),
        message.params,
        message.body,
    )


@dataclass(frozen=True)
class PreviewView:
    flow: str
    step: str
    reads: list[Call]
    would_send: Call | None
    outcome: str
    message: str

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "step": self.step,
            "reads": [r.to_json() for r in self.reads],
            "would_send": self.would_send.to_json() if self.would_send else None,
            "outcome": self.outcome or None,
            "message": self.message,
        }


def preview_view(message: record_pb2.Preview) -> PreviewView:
    return PreviewView(
        flow=message.flow,
        step=message.step,
        reads=[call_view(r) for r in message.reads],
        would_send=call_view(message.would_send) if message.HasField("would_send") else None,
        outcome=OUTCOMES.get(message.outcome, ""),
        message=message.message,
    )


@dataclass(frozen=True)
class ReplayResult:
    record_id: str
    accepted: bool
    refusal: str
    job_id: str
    preview: PreviewView | None

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "accepted": self.accepted,
            "refusal": self.refusal or None,
            "job_id": self.job_id or None,
            "preview": self.preview.to_json() if self.preview else None,
        }


@dataclass(frozen=True)
class ReplayAnswer:
    dry_run: bool
    why: str
    results: list[ReplayResult]
    truncated: bool

    @property
    def accepted(self) -> list[ReplayResult]:
        return [r for r in self.results if r.accepted]

    @property
    def refused(self) -> list[ReplayResult]:
        return [r for r in self.results if not r.accepted]

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "items": [r.to_json() for r in self.results],
            "accepted": len(self.accepted),
            "refused": len(self.refused),
            "truncated": self.truncated,
        }


def replay_answer(message: record_pb2.ReplayRecordsResponse, dry_run: bool, why: str) -> ReplayAnswer:
    return ReplayAnswer(
        dry_run=dry_run,
        why=why,
        results=[
            ReplayResult(
                r.record_id,
                r.accepted,
                r.refusal,
                r.job_id,
                preview_view(r.preview) if dry_run and r.HasField("preview") else None,
            )
            for r in message.results
        ],
        truncated=message.truncated,
    )


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


MAX_REFUSAL_MESSAGES = 10


def replay_messages(answer: ReplayAnswer) -> list[str]:
    """What a replay leaves for the next page, one message each (pure): how many went, and why each refused
    one did not (the first few; the rest counted)."""
    accepted, refused = answer.accepted, answer.refused
    messages = []
    if not answer.results:
        messages.append("No failed records matched; nothing was replayed.")
    else:
        head = f"Replayed {plural(len(accepted), 'record')}" if accepted else "Nothing was replayed"
        tail = f"; {len(refused)} refused" if refused else ""
        who = "It runs" if len(accepted) == 1 else "They run"
        more = f". {who} again from the step {'it' if len(accepted) == 1 else 'they'} failed at" if accepted else ""
        messages.append(f"{head} (reason: “{answer.why}”){tail}{more}.")
    for result in refused[:MAX_REFUSAL_MESSAGES]:
        messages.append(f"Not replayed: {result.refusal or f'record {result.record_id} was refused'}")
    if len(refused) > MAX_REFUSAL_MESSAGES:
        messages.append(f"… and {len(refused) - MAX_REFUSAL_MESSAGES} more refused.")
    if answer.truncated:
        messages.append(f"More than {MAX_REPLAY} records matched: the oldest {MAX_REPLAY} went; replay again for more.")
    return messages


@dataclass(frozen=True)
class ReasonGroup:
    reason: str
    count: int
    last_failed_at: datetime | None

    @property
    def explained(self) -> ReasonText:
        return explain(self.reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason or None,
            "count": self.count,
            "last_failed_at": iso(self.last_failed_at),
            "title": self.explained.title,
            "meaning": self.explained.meaning,
            "fix": self.explained.fix,
        }


@dataclass(frozen=True)
class DayCount:
    date: date
    succeeded: int
    failed: int
    skipped: int
    pending: int

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "succeeded": self.succeeded,
            "failed": self.failed,
            "skipped": self.skipped,
            "pending": self.pending,
        }


@dataclass(frozen=True)
class Summary:
    time_zone: str
    since: datetime
    until: datetime
    flow: str
    days: list[DayCount]
    reasons: list[ReasonGroup]

    @property
    def failed(self) -> int:
        return sum(r.count for r in self.reasons)

    def to_json(self) -> dict[str, Any]:
        return {
            "time_zone": self.time_zone,
            "since": iso(self.since),
            "until": iso(self.until),
            "flow": self.flow or None,
            "days": [d.to_json() for d in self.days],
            "reasons": [r.to_json() for r in self.reasons],
        }


def summary_view(
    message: record_pb2.SummarizeRecordsResponse, zone: str, since: datetime, until: datetime, flow: str
) -> Summary:
    return Summary(
        time_zone=zone,
        since=since,
        until=until,
        flow=flow,
        days=[DayCount(date.fromisoformat(d.date), d.succeeded, d.failed, d.skipped, d.pending) for d in message.days],
        reasons=[ReasonGroup(r.reason, r.count, instant(r.last_update_time)) for r in message.reasons if r.count],
    )


DEFAULT_ZONE = "Asia/Kolkata"


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone(name: str | None, field: str = "tz") -> ZoneInfo:
    """The IANA time zone a merchant names (DEFAULT_ZONE when none); 400 naming ``field`` for any other name."""
    name = (name or "").strip() or DEFAULT_ZONE
    if name not in _zones():
        raise Problem.invalid(field, f"{name!r} is not a time zone name such as Asia/Kolkata, America/New_York or UTC")
    return ZoneInfo(name)


def last_days(count: int, zone: ZoneInfo, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The window of the last ``count`` calendar days in ``zone``, today included: from a midnight to the next
    day's midnight (pure but for the clock)."""
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    return midnight(today - timedelta(days=count - 1), zone), midnight(today + timedelta(days=1), zone)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a calendar day starts in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


# ------------------------------------------------------------------ filters


@dataclass(frozen=True)
class Filters:
    """What a list of records is narrowed to; ``state`` "" means every state."""

    state: str = "dead"
    flow: str = ""
    reason: str = ""
    reference: str = ""

    def query(self, **more: str) -> str:
        """The filters (and ``more``) as a query string for links that keep them."""
        pairs = {"state": self.state or "any", "flow": self.flow, "reason": self.reason, "reference": self.reference}
        pairs.update(more)
        return urlencode({k: v for k, v in pairs.items() if v})

    def message(self) -> record_pb2.RecordFilter:
        return record_pb2.RecordFilter(
            state=STATE_ENUMS.get(self.state, record_pb2.RECORD_STATE_UNSPECIFIED),  # type: ignore[arg-type]
            flow=self.flow,
            reason=self.reason,
            reference=self.reference,
        )


def filters(state: str | None, flow: str | None, reason: str | None, reference: str | None, default: str) -> Filters:
    """Filters from query parameters (400 naming ``state`` for an unknown one; "any" or "" means every state)."""
    word = (state if state is not None else default).strip().lower()
    if word == "any":
        word = ""
    if word and word not in STATE_ENUMS:
        raise Problem.invalid("state", f"must be one of {', '.join(STATE_ENUMS)} or any")
    return Filters(word, (flow or "").strip(), (reason or "").strip().lower(), (reference or "").strip())


def record_ids(values: Iterable[str]) -> list[str]:
    """Record ids as given, each a UUID (400 naming ``record_ids``), duplicates dropped, order kept."""
    ids: list[str] = []
    for value in values:
        value = value.strip()
        try:
            uuid.UUID(value)
        except ValueError:
            raise Problem.invalid("record_ids", f"{value!r} is not a record id") from None
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_REPLAY:
        raise Problem.invalid("record_ids", f"at most {MAX_REPLAY} at a time; replay a group for more")
    return ids


def check_why(why: str) -> str:
    why = why.strip()
    if not why:
        raise Problem.invalid("reason", "say why you replay (it is kept in each record's journal and the audit log)")
    if len(why) > 500:
        raise Problem.invalid("reason", "must be at most 500 characters")
    return why


# ------------------------------------------------------------------ calls to the core


def _stub(request: Request[Any, Any, Any]) -> Any:
    return resources_of(request).stub(record_pb2_grpc.RecordServiceStub)


async def list_records(
    request: Request[Any, Any, Any], where: Filters, page_token: str = "", page_size: int = 50
) -> tuple[list[RecordView], str]:
    """One page of the tenant's records, newest first, and the token of the next page ("" at the end)."""
    reply = await _stub(request).ListRecords(
        record_pb2.ListRecordsRequest(
            tenant_id=str(tenant_of(request)),
            filter=where.message(),
            page_size=page_size,
            page_token=page_token,
            actor=actor_of(request),
        )
    )
    return [record_view(r) for r in reply.records], str(reply.next_page_token)


async def records_created(
    request: Request[Any, Any, Any], flow: str, after: datetime, before: datetime | None, pages: int
) -> tuple[list[RecordView], bool]:
    """The flow's records created in [after, before), newest first, at most ``pages`` pages of 200; and whether
    there were more."""
    query = record_pb2.RecordFilter(flow=flow, created_after=stamp(after))
    if before is not None:
        query.created_before.CopyFrom(stamp(before))
    found: list[RecordView] = []
    token = ""
    for _ in range(pages):
        reply = await _stub(request).ListRecords(
            record_pb2.ListRecordsRequest(
                tenant_id=str(tenant_of(request)),
                filter=query,
                page_size=MAX_REPLAY,
                page_token=token,
                actor=actor_of(request),
            )
        )
        found += [record_view(r) for r in reply.records]
        token = reply.next_page_token
        if not token:
            return found, False
    return found, True


async def get_record(request: Request[Any, Any, Any], record_id: str) -> RecordDetail:
    reply = await _stub(request).GetRecord(
        record_pb2.GetRecordRequest(tenant_id=str(tenant_of(request)), record_id=record_id, actor=actor_of(request))
    )
    return detail_view(reply)


@dataclass(frozen=True)
class Group:
    """A whole group of dead records: one flow's (or every flow's) with one dead-letter reason."""

    flow: str = ""
    reason: str = ""
    since: datetime | None = None


async def replay(
    request: Request[Any, Any, Any],
    *,
    ids: Sequence[str] = (),
    group: Group | None = None,
    dry_run: bool,
    why: str,
) -> ReplayAnswer:
    """Replay (or dry-run) the records named, else the group's oldest dead records."""
    why = check_why(why)
    message = record_pb2.ReplayRecordsRequest(
        tenant_id=str(tenant_of(request)),
        record_ids=list(ids),
        dry_run=dry_run,
        actor=actor_of(request),
        reason=why,
    )
    if not ids:
        if group is None or not group.reason:
            raise Problem.invalid("record_ids", "name the records to replay, or a group by its reason")
        message.filter.CopyFrom(record_pb2.ReplayFilter(flow=group.flow, reason=group.reason))
        if group.since is not None:
            message.filter.since.CopyFrom(stamp(group.since))
    reply = await _stub(request).ReplayRecords(message)
    return replay_answer(reply, dry_run, why)


async def summarize(
    request: Request[Any, Any, Any], since: datetime, until: datetime, zone: ZoneInfo, flow: str = ""
) -> Summary:
    reply = await _stub(request).SummarizeRecords(
        record_pb2.SummarizeRecordsRequest(
            tenant_id=str(tenant_of(request)),
            since=stamp(since),
            until=stamp(until),
            flow=flow,
            time_zone=zone.key,
            actor=actor_of(request),
        )
    )
    return summary_view(reply, zone.key, since, until, flow)


async def reason_groups(request: Request[Any, Any, Any], zone: ZoneInfo, flow: str = "") -> list[ReasonGroup]:
    """The dead records of the last GROUP_DAYS days by reason, most first."""
    since, until = last_days(GROUP_DAYS, zone)
    return (await summarize(request, since, until, zone, flow)).reasons


SHOWN_AFTER_REPLAY = 50
"""After a replay the list shows the replayed records' states, the first this many."""


async def records_by_id(request: Request[Any, Any, Any], ids: Sequence[str]) -> list[RecordView]:
    """The records named (the first SHOWN_AFTER_REPLAY), in that order; ids the tenant has not are left out."""
    wanted = [i for i in ids if _is_uuid(i)][:SHOWN_AFTER_REPLAY]
    gate = asyncio.Semaphore(10)

    async def one(record_id: str) -> RecordView | None:
        async with gate:
            try:
                return (await get_record(request, record_id)).record
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise

    found = await asyncio.gather(*(one(i) for i in wanted))
    return [r for r in found if r is not None]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
