"""Every route of the portal against every kind of visitor, through the real app: the access level each
route declares is what the guard enforces, no route forgets to declare one, and the few public or
state-changing-for-anyone routes are exactly the ones listed here."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import ASGIRoute

from connectors.settings import Settings
from portal.accounts import service
from portal.app import create_app
from portal.security.access import Access, allows
from portal.security.sessions import Session
from tests.conftest import Database
from tests.portal.conftest import PASSWORD, Portal, Visitor

PUBLIC_ROUTES = {
    ("GET", "/login"), ("POST", "/login"), ("GET", "/signup"), ("POST", "/signup"), ("POST", "/logout"),
    ("GET", "/invite/{tenant_id:uuid}/{token:str}"), ("POST", "/invite/{tenant_id:uuid}/{token:str}"),
    ("POST", "/api/v1/signup"), ("POST", "/api/v1/session"),
    ("POST", "/api/v1/invitations/{tenant_id:uuid}/{token:str}"),
    ("GET", "/healthz"), ("ASGI", "/hooks"),
}  # fmt: skip
"""Reachable without signing in. Adding one is a decision, made here on purpose."""
PUBLIC_PREFIXES = ("/static/", "/api/schema")
SIGNED_IN_CHANGES = {("POST", "/tenant"), ("PUT", "/api/v1/me/tenant"), ("DELETE", "/api/v1/session")}
"""State-changing routes open to every signed-in person, whatever their role (their own session only)."""
ENDS_SESSION = {("POST", "/logout"), ("DELETE", "/api/v1/session")}
LOGINS = {("POST", "/login"), ("POST", "/api/v1/session")}
"""They answer 401 to the empty credentials the matrix sends, which is not the guard refusing them."""
SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    level: Access | None

    def url(self) -> str:
        def fill(match: re.Match[str]) -> str:
            kind = match.group(2)
            return str(uuid.uuid4()) if kind == "uuid" else "1" if kind == "int" else "x"

        return re.sub(r"\{(\w+):(\w+)\}", fill, self.path)


def routes_of(app: Litestar) -> Iterator[Route]:
    for route in app.routes:
        if isinstance(route, ASGIRoute):  # a mount (the webhook ingress) answers every method itself
            raw = route.route_handler.opt.get("access")
            yield Route("ASGI", route.path, Access(raw) if raw else None)
            continue
        for handler in route.route_handlers:
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for method in sorted(handler.http_methods):
                if method in ("OPTIONS", "HEAD"):
                    continue
                raw = handler.opt.get("access")
                yield Route(method, route.path, Access(raw) if raw else None)


@pytest.fixture(scope="module")
def app() -> Litestar:
    return create_app(Settings(service_tokens="portal:" + "p" * 32), core_token="p" * 32)


def test_every_route_declares_an_access_level(app: Litestar) -> None:
    missing = [f"{r.method} {r.path}" for r in routes_of(app) if r.level is None]
    assert not missing, f"routes without opt=at(Access...): {missing}"


def test_only_the_listed_routes_are_public(app: Litestar) -> None:
    public = {
        (r.method, r.path)
        for r in routes_of(app)
        if r.level is Access.PUBLIC and not r.path.startswith(PUBLIC_PREFIXES)
    }
    assert public == PUBLIC_ROUTES


def test_changes_need_a_role_that_may_change_things(app: Litestar) -> None:
    """A viewer looks; only admins and owners (and support, audited) change a tenant's things."""
    loose = [
        f"{r.method} {r.path}"
        for r in routes_of(app)
        if r.method not in SAFE
        and r.level in (Access.VIEWER, Access.SIGNED_IN)
        and (r.method, r.path) not in SIGNED_IN_CHANGES
    ]
    assert not loose, f"state-changing routes open to viewers: {loose}"


@dataclass
class Visitors:
    by_kind: dict[str, Visitor]
    sessions: dict[str, Session | None]


async def _member(portal: Portal, owner: Visitor, role: str) -> Visitor:
    email = f"{role}-{uuid.uuid4().hex[:6]}@example.in"
    url = (await owner.call("POST", "/api/v1/team/invitations", json={"email": email, "role": role})).json()["url"]
    tenant, token = url.rsplit("/", 2)[-2:]
    visitor = Visitor(portal.url)
    r = await visitor.call("POST", f"/api/v1/invitations/{tenant}/{token}", json={"name": role, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return visitor


def _session(kind: str) -> Session | None:
    """What the pure rule ``allows`` sees for each kind of visitor."""
    if kind == "anonymous":
        return None
    support = kind == "support"
    return Session(
        user_id="u", email="e", name="n", is_support=support, created=0, seen=0,
        tenant_id=None if support else "t", role=None if support else kind,
    )  # fmt: skip


@pytest.fixture
async def visitors(portal: Portal, db: Database) -> AsyncIterator[Visitors]:
    owner = Visitor(portal.url)
    await owner.signup("Matrix Traders")
    admin, viewer = await _member(portal, owner, "admin"), await _member(portal, owner, "viewer")
    email = f"support-{uuid.uuid4().hex[:6]}@platform.example"
    await service.create_user(db.sessions, email, "Support", PASSWORD, is_support=True)
    support = Visitor(portal.url)
    assert (await support.login(email)).status_code == 200
    anonymous = Visitor(portal.url)
    kinds = {"anonymous": anonymous, "viewer": viewer, "admin": admin, "owner": owner, "support": support}
    yield Visitors(kinds, {kind: _session(kind) for kind in kinds})
    for v in kinds.values():
        await v.client.aclose()


@pytest.mark.timeout(300)
async def test_the_guard_enforces_each_routes_level_for_every_kind_of_visitor(
    app: Litestar, visitors: Visitors
) -> None:
    routes = sorted(routes_of(app), key=lambda r: (r.method, r.path) in ENDS_SESSION)  # logout last
    wrong = []
    for route in routes:
        if route.path.startswith(("/hooks", "/static/", "/api/schema")):
            continue
        for kind, visitor in visitors.by_kind.items():
            expected = allows(route.level, visitors.sessions[kind])
            if (route.method, route.path) in ENDS_SESSION and kind != "anonymous":
                continue  # the session-ending routes are checked for the anonymous visitor only
            if (route.method, route.path) in LOGINS:
                continue
            kwargs: dict[str, Any] = {} if route.method in SAFE else {"json": {}}
            r = await visitor.call(route.method, route.url(), **kwargs)
            refused = r.status_code in (401, 403) or (
                r.status_code == 303 and r.headers.get("location", "").startswith("/login?next=")
            )
            if refused == expected or r.status_code >= 500:
                wrong.append(f"{kind:9} {route.method:6} {route.path} → {r.status_code} (declared {route.level})")
    assert not wrong, "\n".join(wrong)
