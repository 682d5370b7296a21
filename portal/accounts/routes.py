"""Sign-up, login, logout, switching tenant, the team and invitations: pages and the JSON API beside them.

Every login makes a new session token (rotation) and refuses, before checking the password, an account or an
address with ``login_failures_per_hour`` failures in the last hour. Wrong email and wrong password get the
same answer, in the same time.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, delete, get, patch, post, put
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from connector.v1 import tenant_pb2, tenant_pb2_grpc
from portal.accounts import service
from portal.resources import Resources, Slice
from portal.security.access import Access, at
from portal.security.sessions import COOKIE, Membership, Session
from portal.web.context import resources_of, session_of, tenant_of
from portal.web.errors import Problem
from portal.web.pages import done, form_of, page


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _cookie(resources: Resources, token: str) -> Cookie:
    return Cookie(
        key=COOKIE, value=token, path="/", httponly=True, samesite="lax", secure=resources.config.secure_cookies
    )


def _safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (never ``//host`` or a scheme): an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


async def _tenant_name(resources: Resources, tenant_id: uuid.UUID) -> str:
    stub = resources.stub(tenant_pb2_grpc.TenantServiceStub)
    reply = await stub.GetTenant(tenant_pb2.GetTenantRequest(tenant_id=str(tenant_id)))
    return str(reply.tenant.name)


async def _start_session(
    request: Request[Any, Any, Any], user: service.User, tenant_id: str | None = None
) -> tuple[str, Session]:
    """A new session for ``user`` (ending the one the browser had): acting for ``tenant_id`` when given and a
    member, else for their first tenant."""
    resources = resources_of(request)
    memberships = tuple(
        [
            Membership(str(tenant), role, await _tenant_name(resources, tenant))
            for tenant, role in await service.memberships_of(resources.sessions, user.id)
        ]
    )
    chosen = next((m for m in memberships if m.tenant_id == tenant_id), memberships[0] if memberships else None)
    session = Session(
        user_id=str(user.id),
        email=user.email,
        name=user.name,
        is_support=user.is_support,
        created=0,
        seen=0,
        tenant_id=chosen.tenant_id if chosen else None,
        role=chosen.role if chosen else None,
        memberships=memberships,
    )
    token = await resources.sessions_store.create(session, replacing=request.scope["state"].get("session_token"))
    return token, session


def _home(session: Session) -> str:
    return "/support" if session.is_support and session.tenant_id is None else "/"


# ------------------------------------------------------------------ the shared steps of pages and API


async def _login(
    request: Request[Any, Any, Any], email: str, password: str, tenant_id: str | None = None
) -> tuple[str, Session]:
    resources = resources_of(request)
    if wait := await resources.throttle.refused_for(email, _address(request)):
        raise Problem(429, f"too many failed logins; try again in {max(1, wait // 60)} minutes")
    user = await service.find_user(resources.sessions, email)
    if not await service.verify_password(user, password):
        await resources.throttle.failed(email, _address(request))
        raise Problem(401, "wrong email or password")
    assert user is not None
    await resources.throttle.succeeded(email)
    await service.logged_in(resources.sessions, user, password)
    return await _start_session(request, user, tenant_id)


def _slug(company: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-")[:40] or "merchant"
    return f"{base}-{secrets.token_hex(3)}"


async def _signup(
    request: Request[Any, Any, Any], company: str, name: str, email: str, password: str
) -> tuple[str, Session]:
    resources = resources_of(request)
    company = service.check_text(company, "company")
    name = service.check_text(name, "name")
    email = service.check_email(email)
    service.check_password(password, email)
    if await service.find_user(resources.sessions, email) is not None:
        raise Problem.invalid("email", "already has an account; sign in instead")
    tenants = resources.stub(tenant_pb2_grpc.TenantServiceStub)
    reply = await tenants.CreateTenant(tenant_pb2.CreateTenantRequest(slug=_slug(company), name=company))
    tenant_id = uuid.UUID(reply.tenant.tenant_id)
    try:
        user = await service.create_user(resources.sessions, email, name, password)
        await service.add_member(resources.sessions, tenant_id, user.id, "owner")
    except BaseException:
        await tenants.DeleteTenant(tenant_pb2.DeleteTenantRequest(tenant_id=str(tenant_id)))
        raise
    return await _start_session(request, user, str(tenant_id))


def _me(session: Session) -> dict[str, Any]:
    return {
        "user": {"id": session.user_id, "email": session.email, "name": session.name, "support": session.is_support},
        "tenant_id": session.tenant_id,
        "role": session.role,
        "tenants": [{"tenant_id": m.tenant_id, "name": m.tenant_name, "role": m.role} for m in session.memberships],
    }


# ------------------------------------------------------------------ pages


@get("/login", opt=at(Access.PUBLIC))
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
    return await page(request, "login.html", next=_safe_next(next, ""), email="", error=None)


@post("/login", opt=at(Access.PUBLIC))
async def login_form(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_of(request)
    try:
        token, session = await _login(request, form.get("email", ""), form.get("password", ""))
    except Problem as problem:
        return await page(
            request, "login.html", problem.status, next=form.get("next", ""), email=form.get("email", ""),
            error=problem.message,
        )  # fmt: skip
    response = Redirect(_safe_next(form.get("next"), _home(session)), status_code=303)
    response.set_cookie(_cookie(resources_of(request), token))
    return response


@get("/signup", opt=at(Access.PUBLIC))
async def signup_page(request: Request[Any, Any, Any]) -> Template:
    return await page(request, "signup.html", form={}, problem=None)


@post("/signup", opt=at(Access.PUBLIC))
async def signup_form(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_of(request)
    try:
        token, _ = await _signup(
            request, form.get("company", ""), form.get("name", ""), form.get("email", ""), form.get("password", "")
        )
    except Problem as problem:
        form.pop("password", None)
        return await page(request, "signup.html", problem.status, form=form, problem=problem)
    response = Redirect("/connections", status_code=303)
    response.set_cookie(_cookie(resources_of(request), token))
    return response


@post("/logout", opt=at(Access.PUBLIC))
async def logout_form(request: Request[Any, Any, Any]) -> Response[Any]:
    await resources_of(request).sessions_store.end(request.scope["state"].get("session_token"))
    response = Redirect("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@post("/tenant", opt=at(Access.SIGNED_IN))
async def switch_tenant_form(request: Request[Any, Any, Any]) -> Redirect:
    form = await form_of(request)
    await _switch(request, form.get("tenant_id", ""))
    return await done(request, "/")


async def _switch(request: Request[Any, Any, Any], tenant_id: str) -> Session:
    session = session_of(request)
    try:
        switched = session.acting_for(tenant_id)
    except ValueError:
        raise Problem(404, "no such tenant among yours") from None
    await resources_of(request).sessions_store.save(request.scope["state"]["session_token"], switched)
    return switched


@get("/team", opt=at(Access.OWNER))
async def team_page(request: Request[Any, Any, Any]) -> Template:
    resources, tenant = resources_of(request), tenant_of(request)
    return await page(
        request, "team.html",
        members=await service.members(resources.sessions, tenant),
        invitations=await service.invitations(resources.sessions, tenant),
        roles=service.ROLES, invitable=service.INVITABLE_ROLES, invite_url=None,
    )  # fmt: skip


@post("/team/invitations", opt=at(Access.OWNER))
async def invite_form(request: Request[Any, Any, Any]) -> Template:
    form = await form_of(request)
    url = await _invite(request, form.get("email", ""), form.get("role", ""))
    resources, tenant = resources_of(request), tenant_of(request)
    return await page(
        request, "team.html",
        members=await service.members(resources.sessions, tenant),
        invitations=await service.invitations(resources.sessions, tenant),
        roles=service.ROLES, invitable=service.INVITABLE_ROLES, invite_url=url,
    )  # fmt: skip


async def _invite(request: Request[Any, Any, Any], email: str, role: str) -> str:
    resources, tenant = resources_of(request), tenant_of(request)
    _, token = await service.invite(resources.sessions, tenant, email, role, uuid.UUID(session_of(request).user_id))
    return f"{resources.config.public_url}/invite/{tenant}/{token}"


@post("/team/members/{user_id:uuid}", opt=at(Access.OWNER))
async def member_form(request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID]) -> Redirect:
    form = await form_of(request)
    role = None if form.get("action") == "remove" else form.get("role", "")
    await service.change_role(resources_of(request).sessions, tenant_of(request), user_id, role)
    await resources_of(request).sessions_store.end_all(str(user_id))
    return await done(request, "/team", "Removed." if role is None else f"Role changed to {role}.")


@get("/invite/{tenant_id:uuid}/{token:str}", opt=at(Access.PUBLIC))
async def invitation_page(
    request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID], token: FromPath[str]
) -> Template:
    resources = resources_of(request)
    invitation = await service.open_invitation(resources.sessions, tenant_id, token)
    existing = await service.find_user(resources.sessions, invitation.email)
    return await page(
        request, "invitation.html", invitation=invitation, existing=existing is not None,
        tenant_name=await _tenant_name(resources, tenant_id), problem=None,
    )  # fmt: skip


@post("/invite/{tenant_id:uuid}/{token:str}", opt=at(Access.PUBLIC))
async def accept_form(
    request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID], token: FromPath[str]
) -> Response[Any]:
    form = await form_of(request)
    token_, _ = await _accept(request, tenant_id, token, form.get("name", ""), form.get("password", ""))
    response = Redirect("/", status_code=303)
    response.set_cookie(_cookie(resources_of(request), token_))
    return response


async def _accept(
    request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID], token: FromPath[str], name: str, password: str
) -> tuple[str, Session]:
    """Join the tenant: a new person sets their name and password; one with an account proves it's them."""
    resources = resources_of(request)
    invitation = await service.open_invitation(resources.sessions, tenant_id, token)
    user = await service.find_user(resources.sessions, invitation.email)
    if user is None:
        name = service.check_text(name, "name")
        service.check_password(password, invitation.email)
        user = await service.create_user(resources.sessions, invitation.email, name, password)
    elif not await service.verify_password(user, password):
        raise Problem.invalid("password", "is not this account's password")
    await service.accept_invitation(resources.sessions, tenant_id, invitation, user.id)
    return await _start_session(request, user, str(tenant_id))


# ------------------------------------------------------------------ JSON API


@dataclass
class SignupBody:
    company: str
    name: str
    email: str
    password: str


@dataclass
class LoginBody:
    email: str
    password: str
    tenant_id: str | None = None


@dataclass
class TenantBody:
    tenant_id: str


@dataclass
class InviteBody:
    email: str
    role: str


@dataclass
class RoleBody:
    role: str


@dataclass
class AcceptBody:
    password: str
    name: str = ""


def _with_cookie(request: Request[Any, Any, Any], token: str, body: Any, status: int = 200) -> Response[Any]:
    response: Response[Any] = Response(body, status_code=status)
    response.set_cookie(_cookie(resources_of(request), token))
    return response


@post("/signup", opt=at(Access.PUBLIC), status_code=201)
async def api_signup(request: Request[Any, Any, Any], data: JSONBody[SignupBody]) -> Response[dict[str, Any]]:
    """Create a tenant and its owner, and sign the owner in."""
    token, session = await _signup(request, data.company, data.name, data.email, data.password)
    return _with_cookie(request, token, _me(session), 201)


@post("/session", opt=at(Access.PUBLIC), status_code=200)
async def api_login(request: Request[Any, Any, Any], data: JSONBody[LoginBody]) -> Response[dict[str, Any]]:
    """Sign in (a new session cookie every time)."""
    token, session = await _login(request, data.email, data.password, data.tenant_id)
    return _with_cookie(request, token, _me(session))


@delete("/session", opt=at(Access.SIGNED_IN), status_code=204)
async def api_logout(request: Request[Any, Any, Any]) -> Response[None]:
    await resources_of(request).sessions_store.end(request.scope["state"].get("session_token"))
    response: Response[None] = Response(None, status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@get("/me", opt=at(Access.SIGNED_IN))
async def api_me(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Who is signed in, the tenant they act for and every tenant they belong to."""
    return _me(session_of(request))


@put("/me/tenant", opt=at(Access.SIGNED_IN))
async def api_switch(request: Request[Any, Any, Any], data: JSONBody[TenantBody]) -> dict[str, Any]:
    """Act for another of your tenants."""
    return _me(await _switch(request, data.tenant_id))


@get("/team", opt=at(Access.OWNER))
async def api_team(request: Request[Any, Any, Any]) -> dict[str, Any]:
    resources, tenant = resources_of(request), tenant_of(request)
    return {
        "members": [
            {"user_id": str(m.user_id), "email": m.email, "name": m.name, "role": m.role, "since": m.since.isoformat()}
            for m in await service.members(resources.sessions, tenant)
        ],
        "invitations": [
            {
                "id": str(i.id), "email": i.email, "role": i.role, "expires_at": i.expires_at.isoformat(),
                "accepted_at": i.accepted_at.isoformat() if i.accepted_at else None,
            }
            for i in await service.invitations(resources.sessions, tenant)
        ],
    }  # fmt: skip


@post("/team/invitations", opt=at(Access.OWNER), status_code=201)
async def api_invite(request: Request[Any, Any, Any], data: JSONBody[InviteBody]) -> dict[str, str]:
    """Invite a teammate; the answer's ``url`` is the only copy of the invitation's secret."""
    return {"url": await _invite(request, data.email, data.role)}


@patch("/team/members/{user_id:uuid}", opt=at(Access.OWNER))
async def api_member_role(
    request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], data: JSONBody[RoleBody]
) -> dict[str, str]:
    await service.change_role(resources_of(request).sessions, tenant_of(request), user_id, data.role)
    await resources_of(request).sessions_store.end_all(str(user_id))
    return {"user_id": str(user_id), "role": data.role}


@delete("/team/members/{user_id:uuid}", opt=at(Access.OWNER), status_code=204)
async def api_member_remove(request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID]) -> None:
    await service.change_role(resources_of(request).sessions, tenant_of(request), user_id, None)
    await resources_of(request).sessions_store.end_all(str(user_id))


@post("/invitations/{tenant_id:uuid}/{token:str}", opt=at(Access.PUBLIC), status_code=200)
async def api_accept(
    request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID], token: FromPath[str], data: JSONBody[AcceptBody]
) -> Response[dict[str, Any]]:
    """Accept an invitation (a new person also gives a name and chooses a password)."""
    token_, session = await _accept(request, tenant_id, token, data.name, data.password)
    return _with_cookie(request, token_, _me(session))


PAGES = [
    login_page, login_form, signup_page, signup_form, logout_form, switch_tenant_form, team_page, invite_form,
    member_form, invitation_page, accept_form,
]  # fmt: skip
API = [
    api_signup, api_login, api_logout, api_me, api_switch, api_team, api_invite, api_member_role, api_member_remove,
    api_accept,
]  # fmt: skip

SLICE = Slice.of_pages_and_api("accounts", PAGES, {"accounts": API})
