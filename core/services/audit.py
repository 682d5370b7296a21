"""AuditService: a tenant's audit log read back newest first (``core.audit.entries``), and the looks a caller
such as the portal records itself (``CALLER_RECORDED``: what it shows support staff outside the services that
audit their own reads). Row-level security keeps each call to its tenant's entries.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import audit_pb2 as pb
from connector.v1 import audit_pb2_grpc, record_pb2
from core import audit, paging
from core.audit import CALLER_RECORDED, Action, Entry, Role
from core.errors import InvalidArgument, NotFound
from core.services.convert import timestamp
from core.services.records import ROLES, actor
from core.services.rpc import rpc
from core.tenancy import parse_id
from tenants.db import tenant_session

ROLE_ENUMS: dict[Role, int] = {role: value for value, role in ROLES.items()}
MAX_TARGET = 200  # audit_log.target is VARCHAR(200)


def action_named(name: str, allowed: frozenset[Action] | None = None) -> Action:
    """The action ``name`` names (one of ``allowed`` when given); INVALID_ARGUMENT naming ``action`` if not."""
    try:
        action = Action(name)
    except ValueError:
        known = ", ".join(sorted(allowed or Action))
        raise InvalidArgument.one("action", f"{name!r} is not an audited action; known: {known}") from None
    if allowed is not None and action not in allowed:
        raise InvalidArgument.one(
            "action",
            f"{name!r} is recorded only by the call that does it; callers record {', '.join(sorted(allowed))}",
        )
    return action


def role_named(value: int) -> Role | None:
    """The role a filter names (None when unspecified)."""
    if value == record_pb2.ACTOR_ROLE_UNSPECIFIED:
        return None
    if value not in ROLES:
        raise InvalidArgument.one("actor_role", f"unknown actor role {value}")
    return ROLES[value]


def entry_message(entry_id: int, entry: Entry) -> pb.AuditEntry:
    return pb.AuditEntry(
        entry_id=entry_id,
        create_time=timestamp(entry.at),
        actor=record_pb2.Actor(id=entry.actor.id, role=ROLE_ENUMS[entry.actor.role]),  # type: ignore[arg-type]
        action=entry.action,
        target=entry.target,
        reason=entry.reason,
        details=json.dumps(entry.details, sort_keys=True, ensure_ascii=False) if entry.details else "",
    )


class AuditService(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @rpc
    async def ListAuditEntries(self, request: pb.ListAuditEntriesRequest, context: Any) -> pb.ListAuditEntriesResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        action = action_named(request.action) if request.action else None
        role = role_named(request.actor_role)
        size = paging.page_size(request.page_size)
        before = None
        if request.page_token:
            (last,) = paging.decode(request.page_token, 1)
            try:
                before = int(last)
            except ValueError:
                raise InvalidArgument.one("page_token", "is not a token this service issued") from None
        async with tenant_session(self.sessions, tenant_id) as session:
            found = await audit.entries(
                session, target=request.target or None, action=action, role=role, before_id=before, limit=size + 1
            )
        token = paging.encode(str(found[size - 1][0])) if len(found) > size else ""
        return pb.ListAuditEntriesResponse(
            entries=[entry_message(i, e) for i, e in found[:size]], next_page_token=token
        )

    @rpc
    async def RecordAccess(self, request: pb.RecordAccessRequest, context: Any) -> pb.RecordAccessResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        who = actor(request.actor)
        action = action_named(request.action, CALLER_RECORDED)
        target = request.target.strip()
        if not target:
            raise InvalidArgument.one("target", "is required: what was shown, e.g. connection:<id>")
        if len(target) > MAX_TARGET:
            raise InvalidArgument.one("target", f"at most {MAX_TARGET} characters, got {len(target)}")
        reason = audit.require_reason(who, request.reason)
        try:
            async with tenant_session(self.sessions, tenant_id) as session:
                entry_id = await audit.write(session, tenant_id, who, action, target, reason)
        except IntegrityError:
            raise NotFound(f"tenant {tenant_id} does not exist") from None
        return pb.RecordAccessResponse(entry_id=entry_id)
