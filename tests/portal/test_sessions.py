"""Sessions in the real Redis: idle and absolute timeouts, rotation, and the cookie's attributes."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from redis.asyncio import Redis

from portal.security.sessions import Membership, Session, SessionStore
from tests.portal.conftest import Portal, Visitor, serving


def _session() -> Session:
    tenant = str(uuid.uuid4())
    return Session(
        user_id=str(uuid.uuid4()), email="asha@example.in", name="Asha", is_support=False, created=0, seen=0,
        tenant_id=tenant, role="owner", memberships=(Membership(tenant, "owner", "Mehta Handlooms"),),
    )  # fmt: skip


async def test_a_session_unused_for_its_idle_time_is_over(portal: Portal) -> None:
    redis = Redis.from_url(portal.settings.redis_url)
    store = SessionStore(redis, idle_seconds=0.4, absolute_seconds=60)
    token = await store.create(_session())
    for _ in range(4):  # used often enough, it lives on past its idle time
        await asyncio.sleep(0.2)
        assert await store.load(token) is not None
    await asyncio.sleep(0.6)  # then left alone
    assert await store.load(token) is None
    await redis.aclose()


async def test_a_busy_session_still_ends_at_its_absolute_time(portal: Portal) -> None:
    redis = Redis.from_url(portal.settings.redis_url)
    store = SessionStore(redis, idle_seconds=60, absolute_seconds=0.6)
    token = await store.create(_session())
    assert await store.load(token) is not None
    await asyncio.sleep(0.7)
    assert await store.load(token) is None
    await redis.aclose()


async def test_the_portal_signs_an_idle_visitor_out(portal: Portal) -> None:
    async with serving(portal.settings, idle_minutes=0.01) as url, Visitor(url) as v:
        await v.signup()
        assert (await v.call("GET", "/api/v1/me")).status_code == 200
        await asyncio.sleep(0.8)
        assert (await v.call("GET", "/api/v1/me")).status_code == 401
        page = await v.client.get("/team")
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


async def test_the_session_cookie_is_httponly_samesite_and_secure_behind_tls(portal: Portal) -> None:
    async with Visitor(portal.url) as v:
        r = await v.call("POST", "/api/v1/signup", json=_signup())
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("portal_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    # Behind TLS (an https public URL, the proxy in front speaking http to the portal) every cookie is Secure.
    async with serving(portal.settings, public_url="https://portal.example.in") as url, httpx.AsyncClient() as http:
        first = await http.get(f"{url}/login")
        csrf = next(h for h in first.headers.get_list("set-cookie") if h.startswith("csrftoken="))
        assert "Secure" in csrf
        token = csrf.split(";", 1)[0].split("=", 1)[1]
        r = await http.post(
            f"{url}/api/v1/signup",
            json=_signup(),
            headers={"x-csrftoken": token, "cookie": f"csrftoken={token}"},
        )
        assert r.status_code == 201, r.text
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("portal_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie


def _signup() -> dict[str, str]:
    email = f"c-{uuid.uuid4().hex[:6]}@example.in"
    return {"company": "Cookie Co", "name": "C", "email": email, "password": "correct horse battery"}
