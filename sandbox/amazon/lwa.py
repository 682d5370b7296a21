"""Login with Amazon: ``POST /auth/o2/token`` for the refresh-token, authorization-code and
client-credentials (grantless) grants.

Tokens live in the kit's TokenStore, so the admin surface can expire or revoke them:

    kind "refresh"    Atzr|...      per selling partner + application, never expires
    kind "access"     Atza|...      1 hour, acts for a selling partner
    kind "grantless"  Atza|...      1 hour, acts for the application only (e.g. notifications scope)
    kind "rdt"        Atz.sprdt|... 1 hour, issued by the Tokens API for named restricted resources
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from sandbox.amazon import formats
from sandbox.amazon.errors import (
    LwaError,
    lwa_invalid_client,
    lwa_invalid_grant,
    lwa_invalid_request,
    lwa_missing,
)
from sandbox.amazon.state import Application, Consent
from sandbox.kit import Token, TokenStore

ACCESS_TTL = 3600
CODE_TTL = 300
GRANTLESS_SCOPES = (
    "sellingpartnerapi::notifications",
    "sellingpartnerapi::client_credential:rotation",
    "sellingpartnerapi::migration",
)


def read_form(body: bytes, content_type: str) -> dict[str, str]:
    """The token request's parameters: form-encoded as documented (JSON is accepted too, as LWA does)."""
    text = body.decode("utf-8", "replace")
    if "json" in content_type.lower():
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError:
            raise lwa_invalid_request("Malformed request") from None
        if not isinstance(data, dict):
            raise lwa_invalid_request("Malformed request")
        return {str(k): str(v) for k, v in data.items() if v is not None}
    return dict(parse_qsl(text, keep_blank_values=True))


def issue_refresh_token(tokens: TokenStore, selling_partner_id: str, client_id: str, value: str | None = None) -> Token:
    """The refresh token standing for a seller's authorization of an application (one per pair)."""
    for token in tokens.for_account(selling_partner_id, "refresh"):
        if token.data.get("client_id") == client_id and not token.revoked and value in (None, token.value):
            return token
    return tokens.issue(
        selling_partner_id, kind="refresh", ttl=None, value=value or formats.refresh_token(), client_id=client_id
    )


def _client(form: Mapping[str, str], apps: Mapping[str, Application]) -> Application:
    client_id = form.get("client_id")
    if not client_id:
        raise lwa_missing("client_id")
    app = apps.get(client_id)
    if app is None or form.get("client_secret") != app.client_secret:
        raise lwa_invalid_client()
    return app


def _access(tokens: TokenStore, account: str, app: Application, kind: str = "access", **data: Any) -> Token:
    return tokens.issue(
        account,
        kind=kind,
        ttl=ACCESS_TTL,
        make=formats.access_token,
        client_id=app.client_id,
        application_id=app.application_id,
        **data,
    )


def exchange(
    form: Mapping[str, str],
    apps: Mapping[str, Application],
    tokens: TokenStore,
    consents: dict[str, Consent],
    now: float,
    rotate: bool = False,
) -> dict[str, Any]:
    """Answer one token request, or raise the LWA error for it. ``rotate``: a refresh grant also replaces the
    refresh token, revoking the one presented (as OAuth servers that rotate refresh tokens do)."""
    grant = form.get("grant_type")
    if not grant:
        raise lwa_missing("grant_type")
    if grant not in ("refresh_token", "authorization_code", "client_credentials"):
        raise LwaError(
            400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server"
        )
    app = _client(form, apps)

    if grant == "refresh_token":
        value = form.get("refresh_token")
        if not value:
            raise lwa_missing("refresh_token")
        found = tokens.check(value, kind="refresh")
        if not isinstance(found, Token) or found.data.get("client_id") != app.client_id:
            raise lwa_invalid_grant("refresh_token")
        access = _access(tokens, found.account, app)
        refresh = found
        if rotate:
            tokens.revoke(found.value)
            refresh = issue_refresh_token(tokens, found.account, app.client_id)
        return {
            "access_token": access.value,
            "refresh_token": refresh.value,
            "token_type": "bearer",
            "expires_in": ACCESS_TTL,
        }

    if grant == "authorization_code":
        code = form.get("code")
        if not code:
            raise lwa_missing("code")
        consent = consents.get(code)
        if consent is None or consent.used or consent.expires_at <= now or consent.client_id != app.client_id:
            raise lwa_invalid_grant("code")
        redirect_uri = form.get("redirect_uri")
        if consent.redirect_uri and redirect_uri and redirect_uri != consent.redirect_uri:
            raise lwa_invalid_grant("redirect_uri")
        consent.used = True
        refresh = issue_refresh_token(tokens, consent.selling_partner_id, app.client_id)
        access = _access(tokens, consent.selling_partner_id, app)
        return {
            "access_token": access.value,
            "refresh_token": refresh.value,
            "token_type": "bearer",
            "expires_in": ACCESS_TTL,
        }

    scope = form.get("scope")
    if not scope:
        raise lwa_missing("scope")
    scopes = scope.split()
    if any(s not in GRANTLESS_SCOPES for s in scopes):
        raise LwaError(400, "invalid_scope", "An unknown scope was requested")
    access = _access(tokens, f"grantless:{app.client_id}", app, kind="grantless", scope=scope)
    return {"access_token": access.value, "scope": scope, "token_type": "bearer", "expires_in": ACCESS_TTL}
