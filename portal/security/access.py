"""Who may reach which route: every route handler declares an access level in its ``opt`` and one guard,
on the whole app, checks it. A handler that declares none is refused to everybody (fail closed), and
``tests/portal/test_access_matrix.py`` walks every route against every kind of visitor.

    PUBLIC      anyone (login, sign-up, webhooks, health, the API schema)
    SIGNED_IN   any signed-in person (logout, switching tenant, their account)
    VIEWER      a member of the tenant the session acts for, at least viewer
    ADMIN       ... at least admin (connect providers, settings, resync, replay)
    OWNER       the tenant's owner (team, audit log)
    SUPPORT     platform support staff (the support console, every access audited)

The session itself is loaded by ``SessionMiddleware`` into ``scope["state"]["session"]`` before the guard.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.security.sessions import COOKIE, Session, SessionStore


class Access(StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    VIEWER = "viewer"
    ADMIN = "admin"
    OWNER = "owner"
    SUPPORT = "support"


RANK = {"viewer": 1, "admin": 2, "owner": 3}
MEMBER_LEVELS = {Access.VIEWER, Access.ADMIN, Access.OWNER}
BYPASS = ("/hooks/", "/healthz", "/static/")


def at(level: Access) -> dict[str, Any]:
    """The ``opt`` a route handler declares its access level with: ``@get("/x", opt=at(Access.ADMIN))``."""
    return {"access": level}


def session_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Session | None:
    session = connection.scope.get("state", {}).get("session")
    return session if isinstance(session, Session) else None


def allows(level: Access | None, session: Session | None) -> bool:
    """Whether a visitor with ``session`` may reach a route declared ``level`` (pure; the matrix test uses it)."""
    if level is Access.PUBLIC:
        return True
    if level is None or session is None:
        return False
    if level is Access.SIGNED_IN:
        return True
    if level is Access.SUPPORT:
        return session.is_support
    if level in MEMBER_LEVELS:
        return session.role is not None and RANK.get(session.role, 0) >= RANK[level]
    return False


async def check_access(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app's one guard (async: Litestar runs a synchronous guard in a worker thread, on every request)."""
    raw = handler.opt.get("access")
    level = Access(raw) if isinstance(raw, str) and raw in Access._value2member_map_ else None
    session = session_of(connection)
    if allows(level, session):
        return
    if session is None and level is not None:
        raise NotAuthorizedException("sign in first")
    if level is None:
        raise PermissionDeniedException("this route declares no access level")
    if level is Access.SUPPORT:
        raise PermissionDeniedException("only platform support staff may do this")
    if session is not None and session.role is None and not session.is_support:
        raise PermissionDeniedException("you are not a member of any tenant")
    raise PermissionDeniedException(f"this needs the {level} role")


class SessionMiddleware(ASGIMiddleware):
    """Loads the session named by the cookie (None when absent or over) into the request's state."""

    def __init__(self, store_key: str = "sessions") -> None:
        self.store_key = store_key
        # Providers' webhooks, health probes and static files have no session: no Redis read for them.
        self.should_bypass_for_scope = lambda scope: scope["path"].startswith(BYPASS)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        store: SessionStore = connection.app.state[self.store_key]
        token = connection.cookies.get(COOKIE)
        state = scope.setdefault("state", {})
        state["session_token"] = token
        state["session"] = await store.load(token)
        await next_app(scope, receive, send)
