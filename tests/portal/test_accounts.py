"""Sign-up, login, sessions, CSRF, throttling and the team, through the real portal, core and PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.portal.conftest import PASSWORD, Portal, Visitor


async def test_sign_up_makes_a_tenant_and_its_owner_who_is_signed_in(portal: Portal) -> None:
    async with Visitor(portal.url) as v:
        me = await v.signup("Mehta Handlooms")
        assert me["role"] == "owner" and me["tenants"][0]["name"] == "Mehta Handlooms"
        cookie = v.client.cookies.jar
        session_cookie = next(c for c in cookie if c.name == "portal_session")
        assert session_cookie.has_nonstandard_attr("HttpOnly")
        r = await v.call("GET", "/api/v1/me")
        assert r.status_code == 200 and r.json()["user"]["email"] == me["email"]


async def test_login_rotates_the_session_and_logout_ends_it(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        me = await owner.signup()
    async with Visitor(portal.url) as v:
        v.client.cookies.set("portal_session", "planted-by-an-attacker", domain="127.0.0.1")
        r = await v.login(me["email"])
        assert r.status_code == 200
        token = v.client.cookies["portal_session"]
        assert token != "planted-by-an-attacker"
        old = httpx.Cookies({"portal_session": token})
        assert (await v.call("DELETE", "/api/v1/session")).status_code == 204
        async with httpx.AsyncClient(base_url=portal.url, cookies=old) as replay:
            assert (await replay.get("/api/v1/me")).status_code == 401


async def test_wrong_password_and_unknown_email_get_the_same_answer(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        me = await owner.signup()
    async with Visitor(portal.url) as v:
        wrong = await v.login(me["email"], "not the password at all")
        nobody = await v.login("nobody@example.in", "not the password at all")
        assert wrong.status_code == nobody.status_code == 401
        assert wrong.json()["message"] == nobody.json()["message"] == "wrong email or password"


async def test_a_change_without_the_csrf_token_is_refused(portal: Portal) -> None:
    async with Visitor(portal.url) as v:
        await v.signup()
        r = await v.client.post("/api/v1/team/invitations", json={"email": "a@example.in", "role": "viewer"})
        assert r.status_code == 403
        r = await v.client.post(
            "/api/v1/team/invitations",
            json={"email": "a@example.in", "role": "viewer"},
            headers={"x-csrftoken": "forged"},
        )
        assert r.status_code == 403
        assert (
            await v.call("POST", "/api/v1/team/invitations", json={"email": "a@example.in", "role": "viewer"})
        ).status_code == 201


async def test_an_invited_viewer_joins_and_cannot_manage_the_team(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        await owner.signup()
        r = await owner.call("POST", "/api/v1/team/invitations", json={"email": "ravi@example.in", "role": "viewer"})
        url = r.json()["url"]
        tenant, token = re.search(r"/invite/([^/]+)/([^/]+)$", url).groups()  # type: ignore[union-attr]
        async with Visitor(portal.url) as ravi:
            r = await ravi.call(
                "POST", f"/api/v1/invitations/{tenant}/{token}", json={"name": "Ravi", "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            assert r.json()["role"] == "viewer"
            assert (await ravi.call("GET", "/api/v1/team")).status_code == 403
            # The link works once.
            async with Visitor(portal.url) as again:
                r = await again.call(
                    "POST", f"/api/v1/invitations/{tenant}/{token}", json={"name": "X", "password": PASSWORD}
                )
                assert r.status_code == 404
            team = (await owner.call("GET", "/api/v1/team")).json()
            assert {m["role"] for m in team["members"]} == {"owner", "viewer"}
            # Removed from the tenant, the viewer's session ends at once (not at its timeout).
            ravi_id = next(m["user_id"] for m in team["members"] if m["role"] == "viewer")
            assert (await owner.call("DELETE", f"/api/v1/team/members/{ravi_id}")).status_code == 204
            assert (await ravi.call("GET", "/api/v1/me")).status_code == 401
        owner_id = next(m["user_id"] for m in team["members"] if m["role"] == "owner")
        r = await owner.call("PATCH", f"/api/v1/team/members/{owner_id}", json={"role": "admin"})
        assert r.status_code == 409 and "at least one owner" in r.json()["message"]


@pytest.mark.timeout(300)
async def test_the_101st_failed_login_in_an_hour_is_refused(portal: Portal) -> None:
    async with Visitor(portal.url) as owner:
        me = await owner.signup()
    async with Visitor(portal.url) as v:
        for _ in range(100):
            assert (await v.login(me["email"], "wrong password!!")).status_code == 401
        refused = await v.login(me["email"])  # even the right password
        assert refused.status_code == 429
        assert "too many failed logins" in refused.json()["message"]
