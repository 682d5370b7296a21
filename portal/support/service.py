"""The support console and the audit log through the core, as plain values for the pages and the JSON API.

Support staff act for no tenant: each call names the tenant, carries the person as a support ``Actor`` and the
reason they gave, and is audited in that tenant's log, by the core where the call reads data itself
(``GetRecord`` record.view, or record.unmask when personal data is shown; ``ListRecords`` record.list,
``ReplayRecords`` record.replay) and here, through
``RecordAccess``, for the tenant overview (tenant.view), whose connections the core does not audit.

    find_tenants     TenantService.ListTenants by name or slug (no tenant's data: not audited)
    overview         a tenant's connections with their health, and its recent dead records
    find_records     a reference (order number, AWB, invoice number...) in every tenant, 8 tenants at a time
    record           one record, its journal and links, personal data masked unless asked otherwise
    replay           dead records back to pending (or a dry run), with the reason in their journals
    audit_entries    a tenant's own audit log, for its owner
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import grpc
from litestar import Request

from connector.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    common_pb2,
    connection_pb2,
    connection_pb2_grpc,
    record_pb2,
    record_pb2_grpc,
    tenant_pb2,
    tenant_pb2_grpc,
)
from portal.records.service import RecordView, instant, iso, record_view
from portal.support import masking
from portal.web.context import resources_of, support_actor_of, tenant_of
from portal.web.errors import Problem

T = TypeVar("T")
R = TypeVar("R")

SEARCH_CONCURRENCY = 8
"""Tenants searched at once for a reference: enough to answer quickly, few enough to leave the core room."""
TENANT_PAGE = 200
MAX_REASON = 500
RECENT_DEAD = 20
_UNMASKED_BEFORE = "personal data shown: "
"""How the log said so before record.unmask existed: a record.view whose reason starts so (kept as written)."""

ROLES = {
    record_pb2.ACTOR_ROLE_MERCHANT: "merchant",
    record_pb2.ACTOR_ROLE_SUPPORT: "support",
    record_pb2.ACTOR_ROLE_SYSTEM: "system",
}
ROLE_ENUMS = {word: value for value, word in ROLES.items()}
HEALTH = {
    connection_pb2.HEALTH_STATUS_OK: "ok",
    connection_pb2.HEALTH_STATUS_DEGRADED: "degraded",
    connection_pb2.HEALTH_STATUS_NEEDS_REAUTH: "needs_reauth",
    connection_pb2.HEALTH_STATUS_FAILING: "failing",
}
PROVIDERS = {
    common_pb2.PROVIDER_ZOHO: "zoho",
    common_pb2.PROVIDER_SHIPROCKET: "shiprocket",
    common_pb2.PROVIDER_SHIPSTATION: "shipstation",
    common_pb2.PROVIDER_MAGENTO: "magento",
    common_pb2.PROVIDER_AMAZON: "amazon",
}
OUTCOMES = {
    record_pb2.PREVIEW_OUTCOME_WOULD_SEND: "would_send",
    record_pb2.PREVIEW_OUTCOME_WOULD_FINISH: "would_finish",
    record_pb2.PREVIEW_OUTCOME_WOULD_FAIL: "would_fail",
}
ACTIONS = (
    "record.view", "record.unmask", "record.list", "record.summary", "record.replay", "record.replay_preview",
    "run.trigger", "settings.update", "settings.view", "tenant.view", "connection.view", "run.view", "audit.view",
)  # fmt: skip
"""The audited actions (audit.proto), for the audit log's filter."""


# ------------------------------------------------------------------ pure conversions


def storable(text: str, name: str) -> str:
    """``text`` as it is; 400 naming ``name`` for characters that are not text (NUL, which PostgreSQL cannot
    keep, and lone surrogates, which protobuf cannot carry) rather than a failure deep in the core."""
    if "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        raise Problem.invalid(name, "contains characters that are not text")
    return text


def check_reason(reason: str | None) -> str:
    """The reason support staff gave, stripped; 400 naming ``reason`` when there is none."""
    reason = storable(reason or "", "reason").strip()
    if not reason:
        raise Problem.invalid("reason", "say why you need to look (it is written to the tenant's audit log)")
    if len(reason) > MAX_REASON:
        raise Problem.invalid("reason", f"at most {MAX_REASON} characters, got {len(reason)}")
    return reason


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    slug: str
    name: str
    created: datetime | None


def tenant_of_message(message: tenant_pb2.Tenant) -> Tenant:
    return Tenant(message.tenant_id, message.slug, message.name, instant(message.create_time))


def tenant_json(tenant: Tenant) -> dict[str, Any]:
    return {"tenant_id": tenant.tenant_id, "slug": tenant.slug, "name": tenant.name, "create_time": iso(tenant.created)}


def record_of(message: record_pb2.Record, *, masked: bool = True) -> RecordView:
    """A Record message as the merchant's pages see it; ``masked``: email addresses in its error text masked."""
    view = record_view(message)
    return dataclasses.replace(view, last_error=masking.mask_text(view.last_error)) if masked else view


def record_json(record: RecordView) -> dict[str, Any]:
    return {
        "record_id": record.record_id,
        "flow": record.flow,
        "source_ref": record.source_ref,
        "state": record.state,
        "step": record.step,
        "attempts": record.attempts,
        "reason": record.reason,
        "last_error": record.last_error,
        "target_refs": record.target_refs,
        "create_time": iso(record.created_at),
        "update_time": iso(record.updated_at),
        "next_attempt_time": iso(record.next_attempt_at),
        "run_id": record.run_id,
    }


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    at: datetime | None
    data: Any
    """The event's data as JSON (masked unless personal data was asked for)."""

    @property
    def text(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False, sort_keys=True) if self.data is not None else ""


def event_of(message: record_pb2.RecordEvent, *, masked: bool) -> Event:
    try:
        data = json.loads(message.data) if message.data else None
    except ValueError:
        data = message.data
    if masked and data is not None:
        data = masking.mask(data)
    return Event(message.seq, message.kind, instant(message.at), data)


@dataclass(frozen=True)
class RecordDetail:
    tenant: Tenant
    record: RecordView
    events: list[Event]
    links: list[tuple[str, str]]
    chain_verified: bool
    chain_break_seq: int
    masked: bool


def detail_of(tenant: Tenant, reply: record_pb2.GetRecordResponse, *, masked: bool) -> RecordDetail:
    """A GetRecord answer as a plain value, its personal data masked when ``masked`` (pure)."""
    links = [(i.kind, i.ref) for i in reply.links]
    return RecordDetail(
        tenant=tenant,
        record=record_of(reply.record, masked=masked),
        events=[event_of(e, masked=masked) for e in reply.events],
        links=masking.mask_links(links) if masked else links,
        chain_verified=reply.chain_verified,
        chain_break_seq=reply.chain_break_seq,
        masked=masked,
    )


def detail_json(detail: RecordDetail) -> dict[str, Any]:
    return {
        "tenant": tenant_json(detail.tenant),
        "record": record_json(detail.record),
        "events": [{"seq": e.seq, "kind": e.kind, "at": iso(e.at), "data": e.data} for e in detail.events],
        "links": [{"kind": k, "ref": r} for k, r in detail.links],
        "chain_verified": detail.chain_verified,
        "chain_break_seq": detail.chain_break_seq,
        "masked": detail.masked,
    }


@dataclass(frozen=True)
class Health:
    connection_id: str
    provider: str
    display_name: str
    environment: str
    status: str
    last_check: datetime | None
    budget_used: float
    error_rate: float
    last_error: str


def health_of(connection: connection_pb2.Connection, health: connection_pb2.ConnectionHealth | None) -> Health:
    """A connection and its health (None when the core could not say) as a plain value (pure)."""
    env = "sandbox" if connection.environment == common_pb2.ENVIRONMENT_SANDBOX else "production"
    return Health(
        connection_id=connection.connection_id,
        provider=PROVIDERS.get(connection.provider, "unknown"),
        display_name=connection.display_name,
        environment=env,
        status=HEALTH.get(health.status if health else connection.health_status, "unknown"),
        last_check=instant(health.last_check_time) if health else None,
        budget_used=health.budget_used if health else 0.0,
        error_rate=health.recent_error_rate if health else 0.0,
        last_error=masking.mask_text(health.last_error) if health else "",
    )


def health_json(h: Health) -> dict[str, Any]:
    return {
        "connection_id": h.connection_id,
        "provider": h.provider,
        "display_name": h.display_name,
        "environment": h.environment,
        "status": h.status,
        "last_check_time": iso(h.last_check),
        "budget_used": h.budget_used,
        "recent_error_rate": h.error_rate,
        "last_error": h.last_error,
    }


def health_summary(connections: Iterable[Health]) -> dict[str, int]:
    """How many connections are in each health state, worst first, states with none left out (pure)."""
    order = ("failing", "needs_reauth", "degraded", "unknown", "ok")
    counts = {word: 0 for word in order}
    for c in connections:
        counts[c.status if c.status in counts else "unknown"] += 1
    return {word: n for word, n in counts.items() if n}


@dataclass(frozen=True)
class Overview:
    tenant: Tenant
    connections: list[Health]
    dead: list[RecordView]
    more_dead: bool

    @property
    def summary(self) -> dict[str, int]:
        return health_summary(self.connections)


def overview_json(o: Overview) -> dict[str, Any]:
    return {
        "tenant": tenant_json(o.tenant),
        "connections": [health_json(c) for c in o.connections],
        "health_summary": o.summary,
        "dead_records": [record_json(r) for r in o.dead],
        "more_dead_records": o.more_dead,
    }


@dataclass(frozen=True)
class Found:
    tenant: Tenant
    record: RecordView


def found_json(f: Found) -> dict[str, Any]:
    return {"tenant": tenant_json(f.tenant), "record": record_json(f.record)}


@dataclass(frozen=True)
class Replayed:
    record_id: str
    accepted: bool
    refusal: str
    job_id: str
    preview: dict[str, Any] | None = None


def _call_json(call: record_pb2.ProviderCall) -> dict[str, Any]:
    def parsed(text: str) -> Any:
        try:
            return masking.mask(json.loads(text)) if text else None
        except ValueError:
            return text

    return {
        "provider": call.provider,
        "method": call.method,
        "path": call.path,
        "params": parsed(call.params),
        "body": parsed(call.body),
    }


def replayed_of(result: record_pb2.ReplayResult, dry_run: bool) -> Replayed:
    """One replay result (a dry run's preview masked: support sees what would be sent, not to whom)."""
    preview = None
    if dry_run and result.HasField("preview"):
        p = result.preview
        preview = {
            "flow": p.flow,
            "step": p.step,
            "outcome": OUTCOMES.get(p.outcome, "unknown"),
            "message": masking.mask_text(p.message),
            "reads": [_call_json(c) for c in p.reads],
            "would_send": _call_json(p.would_send) if p.HasField("would_send") else None,
        }
    return Replayed(result.record_id, result.accepted, result.refusal, result.job_id, preview)


def replayed_json(r: Replayed) -> dict[str, Any]:
    return {
        "record_id": r.record_id,
        "accepted": r.accepted,
        "refusal": r.refusal,
        "job_id": r.job_id,
        "preview": r.preview,
    }


@dataclass(frozen=True)
class AuditRow:
    entry_id: str
    at: datetime | None
    actor_id: str
    role: str
    action: str
    target: str
    reason: str
    details: dict[str, Any] | None = field(default=None)

    @property
    def by_support(self) -> bool:
        return self.role == "support"

    @property
    def details_text(self) -> str:
        """The details for people: ``reference: AWB123 · changed: rank_by``, empty values left out."""
        return details_text(self.details)

    @property
    def link(self) -> str | None:
        """Where the owner sees what the entry is about."""
        return target_link(self.target)

    @property
    def unmasked(self) -> bool:
        """A support look at a record with its personal data shown."""
        return self.action == "record.unmask" or (
            self.action == "record.view" and self.reason.startswith(_UNMASKED_BEFORE)
        )


def details_text(details: dict[str, Any] | None) -> str:
    """An entry's details as ``name: value`` pairs joined by `` · ``, empty values left out (pure)."""
    parts = []
    for name, value in sorted((details or {}).items()):
        if value in (None, "", 0, False, [], {}):
            continue
        if isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            shown = json.dumps(value, sort_keys=True, ensure_ascii=False)
        else:
            shown = str(value)
        parts.append(f"{name}: {shown}")
    return " · ".join(parts)


def target_link(target: str) -> str | None:
    """The tenant's own page about an audited target: a record, a setting, a connection (pure)."""
    kind, _, rest = target.partition(":")
    if kind == "settings":
        return f"/settings#{rest}" if rest else "/settings"
    if kind == "connection" and _is_uuid(rest):
        return f"/connections/{rest}"
    if not rest and _is_uuid(target):
        return f"/records/{target}"
    return None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def audit_row_of(entry: audit_pb2.AuditEntry) -> AuditRow:
    try:
        details = json.loads(entry.details) if entry.details else None
    except ValueError:
        details = {"text": entry.details}
    return AuditRow(
        entry_id=str(entry.entry_id),
        at=instant(entry.create_time),
        actor_id=entry.actor.id,
        role=ROLES.get(entry.actor.role, "unknown"),
        action=entry.action,
        target=entry.target,
        reason=entry.reason,
        details=details,
    )


def audit_json(row: AuditRow) -> dict[str, Any]:
    return {
        "entry_id": row.entry_id,
        "create_time": iso(row.at),
        "actor": {"id": row.actor_id, "role": row.role},
        "action": row.action,
        "target": row.target,
        "reason": row.reason,
        "details": row.details,
    }


async def bounded(items: Iterable[T], call: Callable[[T], Awaitable[R]], limit: int) -> list[R]:
    """``call`` on every item, at most ``limit`` at once, the answers in the items' order; the first failure
    is raised once every call has ended (none is left running behind the answer)."""
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> R:
        async with gate:
            return await call(item)

    answers = await asyncio.gather(*(one(i) for i in items), return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers  # type: ignore[return-value]


# ------------------------------------------------------------------ calls


def _stub(request: Request[Any, Any, Any], factory: Any) -> Any:
    return resources_of(request).stub(factory)


async def find_tenants(
    request: Request[Any, Any, Any], query: str, page_token: str = "", page_size: int = 50
) -> tuple[list[Tenant], str]:
    query, page_token = storable(query, "query").strip(), storable(page_token, "page_token")
    reply = await _stub(request, tenant_pb2_grpc.TenantServiceStub).ListTenants(
        tenant_pb2.ListTenantsRequest(query=query, page_token=page_token, page_size=page_size)
    )
    return [tenant_of_message(t) for t in reply.tenants], reply.next_page_token


async def _all_tenants(request: Request[Any, Any, Any], query: str) -> list[Tenant]:
    tenants, token = await find_tenants(request, query, page_size=TENANT_PAGE)
    while token:
        more, token = await find_tenants(request, query, token, TENANT_PAGE)
        tenants += more
    return tenants


async def get_tenant(request: Request[Any, Any, Any], tenant_id: str) -> Tenant:
    reply = await _stub(request, tenant_pb2_grpc.TenantServiceStub).GetTenant(
        tenant_pb2.GetTenantRequest(tenant_id=tenant_id)
    )
    return tenant_of_message(reply.tenant)


async def overview(request: Request[Any, Any, Any], tenant_id: str, reason: str) -> Overview:
    """The tenant's connections with their health and its newest dead records; the look is audited first
    (tenant.view, here; record.list, by the core), so nothing is shown that the log does not hold."""
    reason = check_reason(reason)
    actor = support_actor_of(request)
    tenant = await get_tenant(request, tenant_id)
    await _stub(request, audit_pb2_grpc.AuditServiceStub).RecordAccess(
        audit_pb2.RecordAccessRequest(
            tenant_id=tenant_id, actor=actor, action="tenant.view", target=f"tenant:{tenant_id}", reason=reason
        )
    )
    connections = _stub(request, connection_pb2_grpc.ConnectionServiceStub)
    listed = (await connections.ListConnections(connection_pb2.ListConnectionsRequest(tenant_id=tenant_id))).connections

    async def health(c: connection_pb2.Connection) -> Health:
        try:
            reply = await connections.GetConnectionHealth(
                connection_pb2.GetConnectionHealthRequest(tenant_id=tenant_id, connection_id=c.connection_id)
            )
        except grpc.aio.AioRpcError:  # the list still says how it stood at its last check
            return health_of(c, None)
        return health_of(c, reply.health)

    healths = await bounded(listed, health, SEARCH_CONCURRENCY)
    dead = await _stub(request, record_pb2_grpc.RecordServiceStub).ListRecords(
        record_pb2.ListRecordsRequest(
            tenant_id=tenant_id,
            filter=record_pb2.RecordFilter(state=record_pb2.RECORD_STATE_DEAD),
            page_size=RECENT_DEAD,
            actor=actor,
            reason=reason,
        )
    )
    return Overview(tenant, healths, [record_of(r) for r in dead.records], bool(dead.next_page_token))


async def find_records(request: Request[Any, Any, Any], reference: str, reason: str, tenants: str = "") -> list[Found]:
    """Every tenant's records that any identity ``reference`` names (newest first within a tenant), searching
    ``SEARCH_CONCURRENCY`` tenants at a time; ``tenants`` narrows the search to tenants whose name or slug
    matches. The core writes record.list, with the reason, to the log of every tenant where records were found."""
    reason = check_reason(reason)
    reference = storable(reference, "reference").strip()
    if not reference:
        raise Problem.invalid("reference", "give an order number, AWB, invoice number or any other reference")
    actor = support_actor_of(request)
    records = _stub(request, record_pb2_grpc.RecordServiceStub)

    async def search(tenant: Tenant) -> list[Found]:
        reply = await records.ListRecords(
            record_pb2.ListRecordsRequest(
                tenant_id=tenant.tenant_id,
                filter=record_pb2.RecordFilter(reference=reference),
                page_size=50,
                actor=actor,
                reason=reason,
            )
        )
        return [Found(tenant, record_of(r)) for r in reply.records]

    found = await bounded(await _all_tenants(request, tenants), search, SEARCH_CONCURRENCY)
    return [f for per_tenant in found for f in per_tenant]


async def record(
    request: Request[Any, Any, Any], tenant_id: str, record_id: str, reason: str, unmask: bool = False
) -> RecordDetail:
    """One record with its journal and links (GetRecord, audited by the core with the reason as record.view);
    personal data masked unless ``unmask``, audited as record.unmask."""
    reason = check_reason(reason)
    tenant = await get_tenant(request, tenant_id)
    reply = await _stub(request, record_pb2_grpc.RecordServiceStub).GetRecord(
        record_pb2.GetRecordRequest(
            tenant_id=tenant_id,
            record_id=record_id,
            actor=support_actor_of(request),
            reason=reason,
            personal_data_shown=unmask,
        )
    )
    return detail_of(tenant, reply, masked=not unmask)


async def replay(
    request: Request[Any, Any, Any], tenant_id: str, record_ids: list[str], reason: str, dry_run: bool = False
) -> list[Replayed]:
    """Dead records back to pending from where they failed (a dry run previews and changes nothing); the
    reason goes to each record's journal and the audit log."""
    reason = check_reason(reason)
    ids = [i.strip() for i in record_ids if i.strip()]
    if not ids:
        raise Problem.invalid("record_ids", "choose at least one record to replay")
    reply = await _stub(request, record_pb2_grpc.RecordServiceStub).ReplayRecords(
        record_pb2.ReplayRecordsRequest(
            tenant_id=tenant_id, record_ids=ids, dry_run=dry_run, actor=support_actor_of(request), reason=reason
        )
    )
    return [replayed_of(r, dry_run) for r in reply.results]


def role_filter(word: str | None) -> int:
    """An actor role's word as the filter's enum (unspecified for none); 400 naming ``actor_role`` otherwise."""
    if not word:
        return record_pb2.ACTOR_ROLE_UNSPECIFIED
    if word not in ROLE_ENUMS:
        raise Problem.invalid("actor_role", f"must be one of {', '.join(ROLE_ENUMS)}")
    return ROLE_ENUMS[word]


def action_filter(word: str | None) -> str:
    if not word:
        return ""
    if word not in ACTIONS:
        raise Problem.invalid("action", f"must be one of {', '.join(ACTIONS)}")
    return word


async def audit_entries(
    request: Request[Any, Any, Any],
    *,
    actor_role: str | None = None,
    action: str | None = None,
    page_token: str = "",
    page_size: int = 50,
) -> tuple[list[AuditRow], str]:
    """The tenant's own audit log, newest first, one page."""
    reply = await _stub(request, audit_pb2_grpc.AuditServiceStub).ListAuditEntries(
        audit_pb2.ListAuditEntriesRequest(
            tenant_id=str(tenant_of(request)),
            page_size=page_size,
            page_token=storable(page_token, "page_token"),
            action=action_filter(action),
            actor_role=role_filter(actor_role),  # type: ignore[arg-type]
        )
    )
    return [audit_row_of(e) for e in reply.entries], reply.next_page_token
