"""Zoho Accounts: the OAuth 2.0 authorization-code and refresh flows, one accounts server per data centre.

    GET  /oauth/v2/auth           consent page (HTML form; Accept redirects with code, location, accounts-server)
    POST /oauth/v2/auth           the consent form's answer
    POST /oauth/v2/token          authorization_code | refresh_token (params in query string or form body)
    POST /oauth/v2/token/revoke   revoke a refresh (or access) token
    GET  /oauth/serverinfo        location → accounts server

Errors come back with HTTP 200 as Zoho does (``{"error": "invalid_code"}``); the refresh throttle answers
``Access Denied`` with HTTP 400. Tokens live in the kit's TokenStore with kind ``code``, ``refresh`` or
``access`` and carry their data centre, client and scopes.
"""

from __future__ import annotations

import html
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sandbox.kit.tokens import Token, TokenStore
from sandbox.zoho.dc import DATA_CENTRES
from sandbox.zoho.errors import AccountsError
from sandbox.zoho.model import Account, Client, Store

THROTTLED = {
    "error": "Access Denied",
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "status": "failure",
}


@dataclass
class OAuthSettings:
    code_ttl: float = 120.0
    """Grant codes: 2 minutes in Zoho's Accounts pages (3 in newer CRM pages)."""
    access_ttl: float = 3600.0
    mint_limit: int = 10
    """Access tokens per refresh token per ``mint_window`` seconds."""
    mint_window: float = 600.0
    max_refresh_tokens: int = 20
    """Per user per client; the 21st silently removes the oldest."""
    max_access_per_refresh: int = 30
    auto_approve: bool = False
    throttle_status: int = 400
    """HTTP status of the ``Access Denied`` throttle body (seen with 400 and with 200 from real Zoho)."""


def token_value() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def form_params(request: Request, body: bytes) -> dict[str, str]:
    """Query string and urlencoded body together (Zoho accepts either for the token endpoint)."""
    params = dict(request.query_params)
    if body:
        params.update(dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)))
    return params


class AccountsServer:
    def __init__(
        self,
        store: Store,
        tokens: TokenStore,
        settings: OAuthSettings,
        accounts_url: Callable[[str], str],
        api_url: Callable[[str], str],
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.settings = settings
        self.accounts_url = accounts_url
        self.api_url = api_url
        # Issue order, not sandbox time: tests move the clock backwards as well as forwards.
        self._seq = itertools.count(1)

    # ----------------------------------------------------------------- authorize
    async def authorize(self, request: Request, dc: str) -> Response:
        is_post = request.method == "POST"
        params = form_params(request, await request.body()) if is_post else dict(request.query_params)
        client = self.store.clients.get(params.get("client_id", ""))
        if client is None:
            return _page("Invalid Client", "The client_id is not registered with Zoho Accounts.", 400)
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            return _page("Invalid Redirect Uri", "The redirect_uri does not match the client's registered URIs.", 400)
        state = params.get("state")
        if params.get("response_type", "code") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        if not params.get("scope", "").strip():
            return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
        users = self.store.accounts_in(dc)
        if not users:
            return _page("No account", f"No Zoho account is registered in the {dc.upper()} data centre.", 400)
        chosen = self._pick_user(users, client, params.get("sandbox_user") or params.get("user"))
        if chosen is None:
            return _page("Unknown user", "That user has no account in this data centre.", 400)
        if request.method == "POST":
            if params.get("decision") != "accept":
                return _redirect(redirect_uri, {"error": "access_denied", "state": state})
            return self._approve(dc, client, chosen, params)
        if self.settings.auto_approve or params.get("sandbox_auto_approve", "").lower() in ("1", "true", "yes"):
            return self._approve(dc, client, chosen, params)
        return _consent_page(dc, client, users, chosen, params)

    def _pick_user(self, users: list[Account], client: Client, wanted: str | None) -> Account | None:
        if wanted:
            return next((u for u in users if wanted in (u.account_id, u.email)), None)
        return next((u for u in users if u.account_id == client.owner), users[0])

    def _approve(self, dc: str, client: Client, user: Account, params: dict[str, str]) -> Response:
        code = self.tokens.issue(
            user.account_id,
            kind="code",
            ttl=self.settings.code_ttl,
            make=token_value,
            dc=dc,
            client_id=client.client_id,
            scope=params.get("scope", ""),
            redirect_uri=params.get("redirect_uri", ""),
            access_type=params.get("access_type", "online").lower(),
        )
        return _redirect(
            params["redirect_uri"],
            {
                "state": params.get("state"),
                "code": code.value,
                "location": dc,
                "accounts-server": self.accounts_url(dc),
            },
        )

    # ----------------------------------------------------------------- token
    async def token(self, request: Request, dc: str) -> Response:
        params = form_params(request, await request.body())
        grant = params.get("grant_type", "")
        if grant == "authorization_code":
            return JSONResponse(self._exchange_code(dc, params))
        if grant == "refresh_token":
            return JSONResponse(self._refresh(dc, params))
        if not grant:
            raise AccountsError({"error": "invalid_request"})
        raise AccountsError({"error": "unsupported_grant_type"})

    def _client(self, params: dict[str, str]) -> Client:
        client = self.store.clients.get(params.get("client_id", ""))
        if client is None:
            raise AccountsError({"error": "invalid_client"})
        if params.get("client_secret") != client.client_secret:
            raise AccountsError({"error": "invalid_client_secret"})
        return client

    def _exchange_code(self, dc: str, params: dict[str, str]) -> dict[str, Any]:
        client = self._client(params)
        code = self.tokens.check(params.get("code"), kind="code")
        if not isinstance(code, Token) or code.data["dc"] != dc or code.data["client_id"] != client.client_id:
            raise AccountsError({"error": "invalid_code"})
        if params.get("redirect_uri") and params["redirect_uri"] != code.data["redirect_uri"]:
            raise AccountsError({"error": "invalid_redirect_uri"})
        self.tokens.revoke(code.value)  # single use
        scope: str = code.data["scope"]
        refresh: Token | None = None
        if code.data["access_type"] == "offline":
            refresh = self._issue_refresh(code.account, client.client_id, dc, scope)
        access = self._issue_access(code.account, client.client_id, dc, scope, refresh)
        body = self._token_body(access, dc, scope)
        if refresh is not None:
            body = {"access_token": access.value, "refresh_token": refresh.value, **body}
        return body

    def _refresh(self, dc: str, params: dict[str, str]) -> dict[str, Any]:
        client = self._client(params)
        refresh = self.tokens.check(params.get("refresh_token"), kind="refresh")
        if not isinstance(refresh, Token) or refresh.data["dc"] != dc or refresh.data["client_id"] != client.client_id:
            raise AccountsError({"error": "invalid_code"})
        now = self.tokens.clock.time()
        mints: list[float] = [
            t for t in refresh.data.setdefault("mints", []) if 0 <= now - t < self.settings.mint_window
        ]
        refresh.data["mints"] = mints
        if len(mints) >= self.settings.mint_limit:
            raise AccountsError(dict(THROTTLED), status=self.settings.throttle_status)
        scope: str = refresh.data["scope"]
        access = self._issue_access(refresh.account, client.client_id, dc, scope, refresh)
        return self._token_body(access, dc, scope)

    def _token_body(self, access: Token, dc: str, scope: str) -> dict[str, Any]:
        return {
            "access_token": access.value,
            "scope": scope,
            "api_domain": self.api_url(dc),
            "token_type": "Bearer",
            "expires_in": int(self.settings.access_ttl),
        }

    def issue_refresh_token(self, account: str, client_id: str, dc: str, scope: str, value: str | None = None) -> Token:
        return self._issue_refresh(account, client_id, dc, scope, value)

    def _issue_refresh(self, account: str, client_id: str, dc: str, scope: str, value: str | None = None) -> Token:
        live = sorted(
            (
                t
                for t in self.tokens.for_account(account, "refresh")
                if t.data["client_id"] == client_id and not t.revoked
            ),
            key=lambda t: int(t.data["seq"]),
        )
        while len(live) >= self.settings.max_refresh_tokens:
            self._revoke_refresh(live.pop(0))
        return self.tokens.issue(
            account,
            kind="refresh",
            ttl=None,
            make=token_value,
            value=value,
            dc=dc,
            client_id=client_id,
            scope=scope,
            mints=[],
            seq=next(self._seq),
        )

    def _issue_access(self, account: str, client_id: str, dc: str, scope: str, refresh: Token | None) -> Token:
        if refresh is not None:
            refresh.data.setdefault("mints", []).append(self.tokens.clock.time())
            active = sorted(
                (
                    t
                    for t in self.tokens.for_account(account, "access")
                    if t.data.get("refresh") == refresh.value and self.tokens.check(t.value) is t
                ),
                key=lambda t: int(t.data["seq"]),
            )
            while len(active) >= self.settings.max_access_per_refresh:
                self.tokens.revoke(active.pop(0).value)
        return self.tokens.issue(
            account,
            kind="access",
            ttl=self.settings.access_ttl,
            make=token_value,
            dc=dc,
            client_id=client_id,
            scope=scope,
            scopes=[s.strip() for s in scope.replace(" ", ",").split(",") if s.strip()],
            refresh=refresh.value if refresh else None,
            seq=next(self._seq),
        )

    def _revoke_refresh(self, refresh: Token) -> None:
        self.tokens.revoke(refresh.value)
        for t in self.tokens.for_account(refresh.account, "access"):
            if t.data.get("refresh") == refresh.value:
                self.tokens.revoke(t.value)

    # ----------------------------------------------------------------- revoke, serverinfo
    async def revoke(self, request: Request, dc: str) -> Response:
        params = form_params(request, await request.body())
        token = self.tokens.get(params.get("token", ""))
        if token is None or token.kind not in ("refresh", "access") or token.data.get("dc") != dc:
            raise AccountsError({"error": "invalid_token", "status": "failure"})
        if token.kind == "refresh":
            self._revoke_refresh(token)
        else:
            self.tokens.revoke(token.value)
        return JSONResponse({"status": "success"})

    def serverinfo(self) -> Response:
        return JSONResponse(
            {"result": "success", "locations": {code: self.accounts_url(code) for code in DATA_CENTRES}}
        )


def _redirect(uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=302)


def _page(title: str, text: str, status: int) -> Response:
    body = (
        f"<!DOCTYPE html><html><head><title>Zoho Accounts - {html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return HTMLResponse(body, status_code=status)


def _consent_page(dc: str, client: Client, users: list[Account], chosen: Account, params: dict[str, str]) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in ("decision", "user", "sandbox_user")
    )
    options = "".join(
        f'<option value="{html.escape(u.account_id)}"{" selected" if u is chosen else ""}>'
        f"{html.escape(u.display_name)} ({html.escape(u.email)})</option>"
        for u in users
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params.get("scope", "").split(",") if s.strip())
    body = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Zoho Accounts ({dc.upper()}) - Authorize {html.escape(client.name)}</title>
</head><body>
<h1>{html.escape(client.name)} would like to access your Zoho data</h1>
<p>Data centre: {html.escape(DATA_CENTRES[dc].name)} (sandbox of {html.escape(DATA_CENTRES[dc].accounts_host)})</p>
<ul>{scopes}</ul>
<form method="post" action="/oauth/v2/auth" id="consent">
{hidden}
<label>Signed in as <select name="user">{options}</select></label>
<button type="submit" name="decision" value="accept" id="accept">Accept</button>
<button type="submit" name="decision" value="reject" id="reject">Reject</button>
</form></body></html>"""
    return HTMLResponse(body)
