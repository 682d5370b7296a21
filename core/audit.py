"""The audit log of a tenant's data: who read or changed what, and why (``audit_log``, append-only).

Written in the same transaction as the access it records, so an access without its entry cannot happen.
Support staff must give a reason (``require_reason``); the portal reads the log back with ``entries``
(``AuditService``), and records what it shows support staff outside the services that audit their own reads
with one of the ``CALLER_RECORDED`` actions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidArgument
from tenants.models import AuditEntry


class Role(StrEnum):
    MERCHANT = "merchant"
    SUPPORT = "support"
    SYSTEM = "system"


class Action(StrEnum):
    RECORD_VIEW = "record.view"
    RECORD_UNMASK = "record.unmask"
    """A look at a record with its personal data shown."""
    RECORD_LIST = "record.list"
    RECORD_SUMMARY = "record.summary"
    RECORD_REPLAY = "record.replay"
    RECORD_REPLAY_PREVIEW = "record.replay_preview"
    RUN_TRIGGER = "run.trigger"
    SETTINGS_UPDATE = "settings.update"
    SETTINGS_VIEW = "settings.view"
    TENANT_VIEW = "tenant.view"
    CONNECTION_VIEW = "connection.view"
    RUN_VIEW = "run.view"
    AUDIT_VIEW = "audit.view"


CALLER_RECORDED = frozenset(
    {Action.TENANT_VIEW, Action.CONNECTION_VIEW, Action.SETTINGS_VIEW, Action.RUN_VIEW, Action.AUDIT_VIEW}
)
"""Looks a caller records itself (``AuditService.RecordAccess``); the rest, changes above all, are recorded only
by the call that makes them."""


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role

    def __str__(self) -> str:
        return f"{self.role}:{self.id}"


def require_reason(actor: Actor, reason: str, *, always: bool = False) -> str:
    """The reason, stripped; INVALID_ARGUMENT naming ``reason`` when support (or, ``always``, anyone) gave none."""
    reason = reason.strip()
    if not reason and (always or actor.role is Role.SUPPORT):
        who = "every caller" if always else "support staff"
        raise InvalidArgument.one("reason", f"{who} must say why (it is kept in the audit log)")
    return reason


async def write(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    actor: Actor,
    action: Action,
    target: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> int:
    """The entry's id."""
    entry = AuditEntry(
        tenant_id=tenant_id,
        actor_id=actor.id[:200],
        actor_role=str(actor.role),
        action=str(action),
        target=target[:200],
        reason=reason,
        details=details or {},
    )
    session.add(entry)
    await session.flush()
    return entry.id


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: Actor
    action: str
    target: str
    reason: str
    details: dict[str, Any]


async def entries(
    session: AsyncSession,
    *,
    target: str | None = None,
    action: Action | None = None,
    role: Role | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[tuple[int, Entry]]:
    """The tenant's entries (its session decides which tenant), newest first, with their ids for paging."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target is not None:
        stmt = stmt.where(AuditEntry.target == target)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == str(action))
    if role is not None:
        stmt = stmt.where(AuditEntry.actor_role == str(role))
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    rows = (await session.execute(stmt)).scalars()
    return [
        (r.id, Entry(r.at, Actor(r.actor_id, Role(r.actor_role)), r.action, r.target, r.reason, r.details))
        for r in rows
    ]
