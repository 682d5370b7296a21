"""What a route handler knows about the request it serves: the portal's resources, the signed-in person's
session, the tenant they act for, and the ``Actor`` the core's audit log records for them."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request

from connector.v1 import record_pb2
from portal.resources import Resources
from portal.security.sessions import Session
from portal.web.errors import Problem


def resources_of(request: Request[Any, Any, Any]) -> Resources:
    return request.app.state.resources  # type: ignore[no-any-return]


def session_of(request: Request[Any, Any, Any]) -> Session:
    """The signed-in person's session (the access guard lets no one else reach a non-public route)."""
    session = request.scope.get("state", {}).get("session")
    if not isinstance(session, Session):
        raise Problem(401, "sign in first")
    return session


def tenant_of(request: Request[Any, Any, Any]) -> uuid.UUID:
    """The tenant the session acts for (403 for a person who acts for none, such as support staff)."""
    tenant = session_of(request).tenant
    if tenant is None:
        raise Problem(403, "you are not acting for any tenant")
    return tenant


def actor_of(request: Request[Any, Any, Any]) -> record_pb2.Actor:
    """Who the core's audit log and a record's journal name for a member's request (the merchant's pages): the
    person's email, as the merchant's staff — even a support engineer who is also a member acts as one there."""
    return record_pb2.Actor(id=session_of(request).email, role=record_pb2.ACTOR_ROLE_MERCHANT)


def support_actor_of(request: Request[Any, Any, Any]) -> record_pb2.Actor:
    """The actor of a support-console request: support staff, so the core demands and audits a reason."""
    return record_pb2.Actor(id=session_of(request).email, role=record_pb2.ACTOR_ROLE_SUPPORT)
