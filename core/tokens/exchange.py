"""The one place that talks to providers' token endpoints: each auth scheme's exchange, as a table.

exchange(provider, record, secrets, http) -> Exchanged
Rejected    -- the provider refused the stored credential (invalid_grant, wrong password): re-auth needed
Unavailable -- no usable answer (5xx, throttled, network); try again later
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.connections import ConnectionRecord
from core.providers.model import AuthScheme, Provider
from core.vault import Secret


class Rejected(Exception):
    """The provider refused the credential; its reason in plain words."""


class Unavailable(Exception):
    """The provider gave no usable answer; retry later."""


@dataclass
class Exchanged:
    access_token: str
    expires_in: float | None = None
    rotated: dict[str, str] = field(default_factory=dict)
    """Secrets the provider replaced (a rotated refresh token)."""
    routing: dict[str, Any] = field(default_factory=dict)
    """Connection columns the answer decides (Zoho's api_domain; discovered organization_id)."""
    api_calls: int = 0
    """Calls made to the provider's metered API (not its token endpoint) while exchanging."""


Secrets = dict[str, Secret]
Exchange = Callable[[Provider, ConnectionRecord, Secrets, httpx.AsyncClient], Awaitable[Exchanged]]


def _reveal(secrets: Secrets, name: str) -> str:
    secret = secrets.get(name)
    if secret is None:
        raise Rejected(f"no {name.replace('_', ' ')} is stored; reconnect the account")
    return secret.reveal()


async def _post(http: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = await http.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise Unavailable(f"could not reach {url}: {type(exc).__name__}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise Unavailable(f"{url} answered {response.status_code}")
    return response


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except json.JSONDecodeError as exc:
        raise Unavailable(f"unreadable answer ({response.status_code}) from {response.url}") from exc


def _rotated(body: dict[str, Any], secrets: Secrets) -> dict[str, str]:
    """An OAuth refresh answer may carry a new refresh token (RFC 6749 section 6); when it does, the presented
    one may already be revoked, so the new one must replace it."""
    new = body.get("refresh_token")
    if isinstance(new, str) and new and new != _reveal(secrets, "refresh_token"):
        return {"refresh_token": new}
    return {}


async def _zoho(provider: Provider, record: ConnectionRecord, secrets: Secrets, http: httpx.AsyncClient) -> Exchanged:
    url = f"{record.auth_base_url}{provider.token_path}"
    body = _json(
        await _post(
            http,
            url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": _reveal(secrets, "refresh_token"),
                "client_id": str(record.params.get("client_id", "")),
                "client_secret": _reveal(secrets, "client_secret"),
            },
        )
    )
    if "access_token" not in body:
        error = str(body.get("error", "no access token in the answer"))
        if error == "Access Denied":  # Zoho's throttle: too many tokens for this refresh token
            raise Unavailable(str(body.get("error_description", error)))
        raise Rejected(f"Zoho refused the refresh token ({error}); reconnect Zoho")
    routing: dict[str, Any] = {}
    if body.get("api_domain"):
        routing["api_base_url"] = str(body["api_domain"]).rstrip("/")
    token = str(body["access_token"])
    calls = 0
    if not record.params.get("organization_id"):
        routing["params"] = {**record.params, "organization_id": await _zoho_organization(record, routing, token, http)}
        calls = 1
    expires_in = float(body.get("expires_in", 3600))
    return Exchanged(token, expires_in, rotated=_rotated(body, secrets), routing=routing, api_calls=calls)


async def _zoho_organization(
    record: ConnectionRecord, routing: dict[str, Any], token: str, http: httpx.AsyncClient
) -> str:
    api = routing.get("api_base_url", record.api_base_url)
    try:
        response = await http.get(
            f"{api}/inventory/v1/organizations", headers={"Authorization": f"Zoho-oauthtoken {token}"}
        )
    except httpx.HTTPError as exc:
        raise Unavailable(f"could not list Zoho organisations: {type(exc).__name__}") from exc
    orgs = _json(response).get("organizations") or []
    if not orgs:
        raise Rejected("this Zoho account has no organisation in its data centre")
    default = next((o for o in orgs if o.get("is_default_org")), orgs[0])
    return str(default["organization_id"])


async def _shiprocket(
    provider: Provider, record: ConnectionRecord, secrets: Secrets, http: httpx.AsyncClient
) -> Exchanged:
    response = await _post(
        http,
        f"{record.api_base_url}{provider.token_path}",
        json={"email": record.params.get("email", ""), "password": _reveal(secrets, "password")},
    )
    body = _json(response)
    if response.status_code != 200 or "token" not in body:
        raise Rejected(f"Shiprocket refused the login: {body.get('message', response.status_code)}")
    token = str(body["token"])
    return Exchanged(token, _jwt_lifetime(token))


def _jwt_lifetime(token: str) -> float | None:
    """Seconds from ``iat`` to ``exp`` in an (unverified) JWT, when it says so."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) - float(claims["iat"])
    except (IndexError, KeyError, ValueError, TypeError):
        return None


async def _basic(provider: Provider, record: ConnectionRecord, secrets: Secrets, http: httpx.AsyncClient) -> Exchanged:
    pair = f"{record.params.get('api_key', '')}:{_reveal(secrets, 'api_secret')}"
    return Exchanged(base64.b64encode(pair.encode()).decode())


async def _magento(
    provider: Provider, record: ConnectionRecord, secrets: Secrets, http: httpx.AsyncClient
) -> Exchanged:
    if "integration_token" in secrets:
        return Exchanged(secrets["integration_token"].reveal())
    response = await _post(
        http,
        f"{record.auth_base_url}{provider.token_path}",
        json={"username": record.params.get("username", ""), "password": _reveal(secrets, "password")},
    )
    body = _json(response)
    if response.status_code != 200 or not isinstance(body, str):
        message = body.get("message") if isinstance(body, dict) else response.status_code
        raise Rejected(f"Magento refused the admin login: {message}")
    return Exchanged(body)


async def _lwa(provider: Provider, record: ConnectionRecord, secrets: Secrets, http: httpx.AsyncClient) -> Exchanged:
    response = await _post(
        http,
        f"{record.auth_base_url}{provider.token_path}",
        data={
            "grant_type": "refresh_token",
            "refresh_token": _reveal(secrets, "refresh_token"),
            "client_id": str(record.params.get("client_id", "")),
            "client_secret": _reveal(secrets, "client_secret"),
        },
    )
    body = _json(response)
    if "access_token" not in body:
        reason = body.get("error_description") or body.get("error") or response.status_code
        raise Rejected(f"Amazon refused the refresh token: {reason}")
    return Exchanged(str(body["access_token"]), float(body.get("expires_in", 3600)), rotated=_rotated(body, secrets))


EXCHANGES: dict[AuthScheme, Exchange] = {
    AuthScheme.OAUTH2_REFRESH: _zoho,
    AuthScheme.PASSWORD_LOGIN: _shiprocket,
    AuthScheme.BASIC: _basic,
    AuthScheme.ADMIN_TOKEN: _magento,
    AuthScheme.LWA_REFRESH: _lwa,
}


async def exchange(
    provider: Provider, record: ConnectionRecord, secrets: Secrets, http: httpx.AsyncClient
) -> Exchanged:
    return await EXCHANGES[provider.auth](provider, record, secrets, http)
