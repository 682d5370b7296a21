"""What a flow sees of the engine while it runs one record: its provider APIs (through the core), its step,
and the few ways to move it on — each a short transaction of its own, so a worker killed anywhere leaves the
record at its last finished step."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import common_pb2, connection_pb2
from connectors.core_client import Authed
from tenants.db import tenant_session
from tenants.models import AlertRow, Record
from workers.calls import Api, CoreStubs, Refused
from workers.engine import journal, links, records
from workers.engine.effects import Claim, Ledger
from workers.engine.links import Kind
from workers.engine.outcomes import Reason
from workers.flows.settings import FlowSettings
from workers.queue import DELIVER_ALERT, QUEUE, alert_job_id

Enqueue = Callable[..., Awaitable[Any]]


@dataclass
class Services:
    """What every job shares (opened once per worker process)."""

    sessions: async_sessionmaker[AsyncSession]
    core: CoreStubs
    connections: Authed
    http: httpx.AsyncClient
    enqueue: Enqueue

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.sessions)


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

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.record.tenant_id

    @property
    def step(self) -> str:
        return self.record.step

    async def api(self, provider: str) -> Api:
        if provider not in self._apis:
            self._apis[provider] = Api(
                self.services.core,
                self.services.http,
                self.tenant_id,
                await self._connection_for(provider),
                provider,
            )
        return self._apis[provider]

    async def _connection_for(self, provider: str) -> uuid.UUID:
        configured = getattr(self.settings, f"{provider}_connection_id", None)
        if configured:
            return uuid.UUID(str(configured))
        listed = await self.services.connections.ListConnections(
            connection_pb2.ListConnectionsRequest(tenant_id=str(self.tenant_id))
        )
        found = [c for c in listed.connections if provider_name(c.provider) == provider]
        if self.connection_id and any(c.connection_id == str(self.connection_id) for c in found):
            return self.connection_id
        if not found:
            raise Refused(Reason.NEEDS_REAUTH, f"the tenant has no {provider} connection")
        return uuid.UUID(found[0].connection_id)

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
    ) -> None:
        """The step is done: keep what it made, link the new identities to the source, move on."""
        async with tenant_session(self.services.sessions, self.tenant_id) as session:
            record = await self._reload(session)
            if payload:
                record.payload = {**(record.payload or {}), **payload}
            await records.advance(session, record, step, refs)
            source = _source_identity(record)
            for kind, ref in [*([link] if link else []), *also]:
                await links.link(session, self.tenant_id, source, (kind, ref), record.id)
            self.record = record

    async def skip(self, why: str) -> None:
        raise Skipped(why)

    async def claim(self, key: str) -> Claim:
        return await self.services.ledger.claim(self.tenant_id, self.record.id, key)

    async def complete(self, key: str, result: dict[str, Any]) -> None:
        await self.services.ledger.complete(self.tenant_id, key, result)

    async def release(self, key: str) -> None:
        await self.services.ledger.release(self.tenant_id, key)

    async def alert(self, kind: str, summary: str, details: dict[str, Any]) -> None:
        await raise_alert(self.services, self.tenant_id, kind, summary, details, self.record.id)


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
