"""What a flow sees of the engine while it runs one record: its provider APIs (through the core), its step,
and the few ways to move it on — each a short transaction of its own, so a worker killed anywhere leaves the
record at its last finished step.

    FlowContext      one record's attempt
    DryFlowContext   a dry run of that attempt: reads made, writes not sent, nothing written anywhere
    TenantContext    a sync run's discovery: a tenant's APIs (at backfill priority) and settings, no record
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import common_pb2, connection_pb2
from connectors.core_client import Authed
from tenants.db import make_sessions, tenant_session
from tenants.models import AlertRow, Effect, Record, TenantSetting
from workers.calls import Api, CoreStubs, Credentials, DryRun, Refused
from workers.engine import journal, links, record_rows, records
from workers.engine.effects import Claim, ClaimState, Ledger, claim_in, complete_in
from workers.engine.links import Kind
from workers.engine.outcomes import Reason
from workers.engine.pg import tenant_tx
from workers.flows.settings import FlowSettings, parse
from workers.queue import DELIVER_ALERT, QUEUE, RUN_RECORD, alert_job_id, record_job_id

Enqueue = Callable[..., Awaitable[Any]]


@dataclass
class Services:
    """What every job shares (opened once per worker process)."""

    sessions: async_sessionmaker[AsyncSession]
    core: CoreStubs
    connections: Authed
    http: httpx.AsyncClient
    enqueue: Enqueue
    credentials: Credentials = field(default_factory=Credentials)
    """Access tokens from the core, reused across attempts while young and unchanged (``calls.Credentials``;
    without a change feed, none are kept)."""
    listed: dict[uuid.UUID, tuple[float, list[tuple[str, str]]]] = field(default_factory=dict)
    """A tenant's connections as (provider, id), kept ``LISTED_SECONDS``: asked of the core once, not per record."""

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.sessions)

    async def connections_of(self, tenant_id: uuid.UUID, *, fresh: bool = False) -> list[tuple[str, str]]:
        """The tenant's connections as (provider, id); ``fresh`` asks the core even when a kept list is young."""
        now = time.monotonic()
        kept = self.listed.get(tenant_id)
        if fresh or kept is None or kept[0] < now:
            answer = await self.connections.ListConnections(
                connection_pb2.ListConnectionsRequest(tenant_id=str(tenant_id))
            )
            kept = now + LISTED_SECONDS, [(provider_name(c.provider), c.connection_id) for c in answer.connections]
            self.listed[tenant_id] = kept
        return kept[1]


LISTED_SECONDS = 10.0
"""How long a worker trusts its list of a tenant's connections (a new or removed one is seen after that)."""


class Skipped(Exception):
    """The record needs nothing done (already fulfilled elsewhere); it ends as skipped, not failed."""


@dataclass
class FlowContext:
    services: Services
    record: Record
    settings: FlowSettings
    connection_id: uuid.UUID | None = None
    """The connection the source event came from (its provider's API is the first one asked for)."""
    _apis: dict[str, Api] = field(default_factory=dict)
    succeeded: bool = False
    """The record succeeded with the flow's last step (``advance(..., last=True)``): nothing is left to write."""
    _claimed: dict[str, Claim] = field(default_factory=dict)
    """Effects claimed with a step (``advance(..., claim=key)``), answered to this attempt's next ``claim(key)``."""

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.record.tenant_id

    @property
    def step(self) -> str:
        return self.record.step

    async def api(self, provider: str) -> Api:
        if provider not in self._apis:
            self._apis[provider] = await open_api(
                self.services, self.tenant_id, self.settings, provider, preferred=self.connection_id
            )
        return self._apis[provider]

    async def _reload(self, session: AsyncSession) -> Record:
        return (await session.execute(select(Record).where(Record.id == self.record.id).with_for_update())).scalar_one()

    async def advance(
        self,
        step: str,
        refs: dict[str, str],
        *,
        link: tuple[Kind, str] | None = None,
        also: Iterable[tuple[Kind, str]] = (),
        payload: dict[str, Any] | None = None,
        completes: tuple[str, dict[str, Any]] | None = None,
        claim: str | None = None,
        last: bool = False,
    ) -> None:
        """The step is done: keep what it made, link the new identities to the source, move on (one short
        transaction: the record locked and re-read, then the record, its audit event and the links written).
        In the same transaction: ``completes`` the step's effect (key, result) in the ledger; ``claim`` the next
        step's effect (its ``claim(key)`` then answers at once); ``last``: the record succeeds with this step."""
        async with tenant_tx(self.services.sessions, self.tenant_id) as db:
            locked = await record_rows.lock(db, self.record.id)
            if locked is None:
                raise LookupError(f"record {self.record.id} is gone")
            record = locked.record
            if payload:
                record.payload = {**(record.payload or {}), **payload}
            entries = [records.advanced(record, step, refs), *([records.succeeded(record)] if last else [])]
            source = _source_identity(record)
            pairs = [links.ordered(source, (kind, ref)) for kind, ref in [*([link] if link else []), *also]]
            await record_rows.write(db, locked, entries, [pair for pair in pairs if pair is not None])
            if completes is not None:
                await complete_in(db, *completes)
            if claim is not None:
                self._claimed[claim] = await claim_in(db, self.tenant_id, record.id, claim)
            self.record = record
        self.succeeded = last

    async def skip(self, why: str) -> None:
        raise Skipped(why)

    async def claim(self, key: str) -> Claim:
        claimed = self._claimed.pop(key, None)
        if claimed is not None:
            return claimed
        return await self.services.ledger.claim(self.tenant_id, self.record.id, key)

    async def complete(self, key: str, result: dict[str, Any]) -> None:
        await self.services.ledger.complete(self.tenant_id, key, result)

    async def release(self, key: str) -> None:
        await self.services.ledger.release(self.tenant_id, key)

    async def alert(self, kind: str, summary: str, details: dict[str, Any]) -> None:
        await raise_alert(self.services, self.tenant_id, kind, summary, details, self.record.id)

    async def link(self, a: tuple[Kind, str], b: tuple[Kind, str]) -> None:
        """Two identities, neither of them this record's source, name the same thing (an invoice and its AWB)."""
        async with tenant_session(self.services.sessions, self.tenant_id) as session:
            await links.link(session, self.tenant_id, a, b, self.record.id)

    async def note(self, kind: str, data: dict[str, Any]) -> None:
        """A decision that changes nothing elsewhere, kept in the record's audit log as a ``note`` about ``kind``
        ("nothing_receivable": no invoice to credit)."""
        async with tenant_session(self.services.sessions, self.tenant_id) as session:
            await journal.append(session, await self._reload(session), "note", {"about": kind, **data})

    async def spawn(self, flow: str, source: str, payload: dict[str, Any]) -> bool:
        """Start the record for ``source`` in ``flow`` (a webhook pointer's resources, each a record of its own);
        True when it is new and queued, False when it was known already. It comes from this record's connection."""
        extra = {"connection_id": str(self.connection_id)} if self.connection_id else {}
        async with tenant_session(self.services.sessions, self.tenant_id) as session:
            record, new = await records.receive(session, self.tenant_id, flow, source, {**payload, **extra})
        if new:
            await self.services.enqueue(
                RUN_RECORD,
                str(self.tenant_id),
                str(record.id),
                _job_id=record_job_id(str(record.id), 1),
                _queue_name=QUEUE,
            )
        return new


@dataclass
class DryFlowContext(FlowContext):
    """A dry run of the record's next attempt, the flow unchanged: provider reads are made, writes are listed
    and not sent (``DryRun``); advancing moves the in-memory record only; the effect ledger is read, and this
    attempt's claims, completions and releases are kept in memory; alerts are collected. Its database
    transactions are read-only and it enqueues nothing, so whatever a flow calls, nothing is written."""

    dry_run: DryRun = field(default_factory=DryRun)
    alerts: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    _ledger: dict[str, Claim | None] = field(default_factory=dict)
    """Effect key → what the ledger would hold after this attempt (None: free to claim)."""

    def __post_init__(self) -> None:
        self.services = read_only(self.services)

    async def api(self, provider: str) -> Api:
        if provider not in self._apis:
            self._apis[provider] = await open_api(
                self.services,
                self.tenant_id,
                self.settings,
                provider,
                preferred=self.connection_id,
                dry_run=self.dry_run,
            )
        return self._apis[provider]

    async def advance(
        self,
        step: str,
        refs: dict[str, str],
        *,
        link: tuple[Kind, str] | None = None,
        also: Iterable[tuple[Kind, str]] = (),
        payload: dict[str, Any] | None = None,
        completes: tuple[str, dict[str, Any]] | None = None,
        claim: str | None = None,
        last: bool = False,
    ) -> None:
        # ``claim``: this dry run's own ``claim(key)`` answers from the ledger when the flow asks.
        if completes is not None:
            await self.complete(*completes)
        if payload:
            self.record.payload = {**(self.record.payload or {}), **payload}
        self.record.step, self.record.target_refs = step, {**(self.record.target_refs or {}), **refs}
        self.steps.append(step)

    async def claim(self, key: str) -> Claim:
        held = await self._held(key)
        if held is None:
            self._ledger[key] = Claim(ClaimState.UNKNOWN)  # claimed by this attempt, not completed
            return Claim(ClaimState.FRESH)
        return held

    async def complete(self, key: str, result: dict[str, Any]) -> None:
        self._ledger[key] = Claim(ClaimState.DONE, result)

    async def release(self, key: str) -> None:
        held = await self._held(key)
        if held is None or held.state is not ClaimState.DONE:
            self._ledger[key] = None

    async def alert(self, kind: str, summary: str, details: dict[str, Any]) -> None:
        self.alerts.append(f"{kind}: {summary}")

    async def link(self, a: tuple[Kind, str], b: tuple[Kind, str]) -> None:
        """Identities are linked by real attempts only."""

    async def note(self, kind: str, data: dict[str, Any]) -> None:
        """The audit log keeps real attempts only."""

    async def spawn(self, flow: str, source: str, payload: dict[str, Any]) -> bool:
        """Listed, not started."""
        self.steps.append(f"would start {flow} {source}")
        return True

    async def _held(self, key: str) -> Claim | None:
        if key not in self._ledger:
            async with tenant_session(self.services.sessions, self.tenant_id) as session:
                row = (await session.execute(select(Effect).where(Effect.effect_key == key))).scalar_one_or_none()
            done = row is not None and row.state == "done"
            self._ledger[key] = (
                None if row is None else Claim(ClaimState.DONE, row.result) if done else Claim(ClaimState.UNKNOWN)
            )
        return self._ledger[key]


@dataclass
class TenantContext:
    """What a sync run's discovery sees: one tenant's provider APIs and flow settings, without a record. Its
    calls take the shared budget at backfill priority, behind live records."""

    services: Services
    tenant_id: uuid.UUID
    settings: FlowSettings
    priority: common_pb2.Priority.ValueType = common_pb2.PRIORITY_BACKFILL
    cursor: dict[str, Any] | None = None
    """Where an earlier pass of the same run got to (its last ``checkpoint``); None on the first pass."""
    saver: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    _apis: dict[str, Api] = field(default_factory=dict)

    async def checkpoint(self, cursor: dict[str, Any]) -> None:
        """Discovery got this far: a pass that starts again (its worker died) resumes from here. Everything
        yielded before the checkpoint is already a record when it is saved."""
        self.cursor = cursor
        if self.saver is not None:
            await self.saver(cursor)

    async def api(self, provider: str) -> Api:
        if provider not in self._apis:
            self._apis[provider] = await open_api(
                self.services, self.tenant_id, self.settings, provider, priority=self.priority
            )
        return self._apis[provider]


async def flow_settings(services: Services, tenant_id: uuid.UUID) -> FlowSettings:
    """The tenant's stored settings, parsed (``SettingInvalid`` names a bad key)."""
    async with tenant_session(services.sessions, tenant_id) as session:
        rows = (await session.execute(select(TenantSetting))).scalars()
        return parse({row.key: row.value for row in rows})


async def open_api(
    services: Services,
    tenant_id: uuid.UUID,
    settings: FlowSettings,
    provider: str,
    *,
    preferred: uuid.UUID | None = None,
    priority: common_pb2.Priority.ValueType = common_pb2.PRIORITY_LIVE,
    dry_run: DryRun | None = None,
) -> Api:
    """The tenant's API for a provider: the connection the settings name, else ``preferred`` (the one the
    source event came from), else the tenant's first connection to it."""
    configured = getattr(settings, f"{provider}_connection_id", None)
    if configured:
        connection = uuid.UUID(str(configured))
    else:
        found = [cid for name, cid in await services.connections_of(tenant_id) if name == provider]
        if not found:  # the kept list may predate a connection made a moment ago: ask again before refusing
            found = [cid for name, cid in await services.connections_of(tenant_id, fresh=True) if name == provider]
        if not found:
            raise Refused(Reason.NEEDS_REAUTH, f"the tenant has no {provider} connection: connect one, then replay")
        connection = preferred if preferred and str(preferred) in found else uuid.UUID(found[0])
    return Api(
        services.core,
        services.http,
        tenant_id,
        connection,
        provider,
        priority=priority,
        dry_run=dry_run,
        credentials=services.credentials,
    )


def read_only(services: Services) -> Services:
    """The same services with read-only database transactions and a queue that refuses work."""
    engine = services.sessions.kw["bind"].execution_options(postgresql_readonly=True)
    return replace(services, sessions=make_sessions(engine), enqueue=_enqueue_nothing)


async def _enqueue_nothing(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("a dry run enqueues nothing")


def provider_name(value: common_pb2.Provider.ValueType) -> str:
    """``PROVIDER_ZOHO`` → ``zoho``: the enum's own names, so no second table to keep in step."""
    return common_pb2.Provider.Name(value).removeprefix("PROVIDER_").lower()


def _source_identity(record: Record) -> tuple[str, str]:
    kind, _, ref = record.source_ref.partition(":")
    return kind, ref


async def raise_alert(
    services: Services,
    tenant_id: uuid.UUID,
    kind: str,
    summary: str,
    details: dict[str, Any],
    record_id: uuid.UUID | None = None,
) -> None:
    """Store the alert once per (kind, record or summary) and queue its delivery."""
    dedup = f"{kind}:{record_id or summary}"
    async with tenant_session(services.sessions, tenant_id) as session:
        alert_id = (
            await session.execute(
                insert(AlertRow)
                .values(
                    id=uuid.uuid4(),
                    tenant_id=tenant_id,
                    kind=kind,
                    summary=summary,
                    details=details,
                    record_id=record_id,
                    dedup_key=dedup[:300],
                )
                .on_conflict_do_nothing(constraint="alerts_once")
                .returning(AlertRow.id)
            )
        ).scalar_one_or_none()
        if record_id is not None:
            record = (await session.execute(select(Record).where(Record.id == record_id))).scalar_one_or_none()
            if record is not None and alert_id is not None:
                await journal.append(session, record, "alerted", {"kind": kind, "summary": summary})
    if alert_id is not None:
        with contextlib.suppress(OSError):  # stored: the sweeper sends pending alerts
            await services.enqueue(
                DELIVER_ALERT, str(tenant_id), str(alert_id), _job_id=alert_job_id(str(alert_id)), _queue_name=QUEUE
            )
