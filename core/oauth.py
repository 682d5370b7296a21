"""The OAuth authorisation-code flow for Zoho: the authorize URL with a state, then the code exchange at
the accounts server Zoho names in its redirect — accepted only when it is one of Zoho's own (or, in the
sandbox environment, one of our simulator's), so a forged redirect can never receive our client secret.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from sqlalchemy import delete, select

from connectors.settings import Settings
from core import providers
from core.connections import Connections
from core.errors import InvalidArgument, NeedsReauth, ProviderUnavailable
from core.providers.model import Environment
from tenants.db import tenant_session
from tenants.models import OAuthState

SCOPES = "ZohoInventory.FullAccess.all,ZohoBooks.fullaccess.all"
STATE_TTL = timedelta(minutes=10)


class OAuthFlow:
    def __init__(self, connections: Connections, http: httpx.AsyncClient, settings: Settings) -> None:
        self.connections, self.http, self.settings = connections, http, settings

    async def start(self, tenant_id: uuid.UUID, connection_id: uuid.UUID, redirect_uri: str) -> tuple[str, str]:
        if not redirect_uri.startswith(("https://", "http://")):
            raise InvalidArgument.one("redirect_uri", "must be an http(s) URL")
        record = await self.connections.get(tenant_id, connection_id)
        if record.provider != "zoho":
            raise InvalidArgument.one("connection_id", f"{record.provider} connections do not use OAuth")
        state = secrets.token_urlsafe(32)
        async with tenant_session(self.connections.sessions, tenant_id) as session:
            session.add(
                OAuthState(
                    state=state,
                    tenant_id=tenant_id,
                    connection_id=connection_id,
                    redirect_uri=redirect_uri,
                    expires_at=datetime.now(UTC) + STATE_TTL,
                )
            )
        query = urlencode(
            {
                "scope": SCOPES,
                "client_id": record.params.get("client_id", ""),
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "access_type": "offline",
                "prompt": "consent",
                "state": state,
            }
        )
        return f"{record.auth_base_url}/oauth/v2/auth?{query}", state

    def _accounts_servers(self, environment: str) -> dict[str, str]:
        """Known accounts server URL → data centre, for the connection's environment."""
        zoho = providers.get("zoho")
        env = Environment(environment)
        known = {}
        for region in zoho.regions:
            hosts = providers.resolve(
                zoho,
                region,
                env,
                sandbox_host=self.settings.sandbox_host,
                sandbox_port_offset=self.settings.sandbox_port_offset,
            )
            if hosts.auth:
                known[hosts.auth.rstrip("/")] = region
        return known

    async def complete(
        self, tenant_id: uuid.UUID, state: str, code: str, location: str, accounts_server: str
    ) -> uuid.UUID:
        if not code:
            raise InvalidArgument.one("code", "is required")
        async with tenant_session(self.connections.sessions, tenant_id) as session:
            row = (await session.execute(select(OAuthState).where(OAuthState.state == state))).scalar_one_or_none()
            if row is None or row.expires_at < datetime.now(UTC):
                raise InvalidArgument.one("state", "is unknown or expired; start the authorisation again")
            connection_id, redirect_uri = row.connection_id, row.redirect_uri
            await session.execute(delete(OAuthState).where(OAuthState.state == state))
        record, sealed = await self.connections.secrets(tenant_id, connection_id)
        known = self._accounts_servers(record.environment)
        server = (accounts_server or record.auth_base_url or "").rstrip("/")
        region = known.get(server)
        if region is None:
            raise InvalidArgument.one("accounts_server", f"{server!r} is not a Zoho accounts server")
        if location and location != region:
            raise InvalidArgument.one("location", f"{location!r} does not match the accounts server's data centre")
        try:
            response = await self.http.post(
                f"{server}/oauth/v2/token",
                data={
                    "grant_type": "authorization_code",
                    "client_id": record.params.get("client_id", ""),
                    "client_secret": sealed["client_secret"].reveal(),
                    "redirect_uri": redirect_uri,
                    "code": code,
                },
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"Zoho accounts server {server}: {type(exc).__name__}") from exc
        if "refresh_token" not in body:
            raise NeedsReauth(f"Zoho refused the authorisation code ({body.get('error', 'no refresh token')})")
        fields = {
            "client_id": str(record.params.get("client_id", "")),
            "client_secret": sealed["client_secret"].reveal(),
            "refresh_token": str(body["refresh_token"]),
        }
        if record.params.get("organization_id"):
            fields["organization_id"] = str(record.params["organization_id"])
        await self.connections.update_credentials(tenant_id, connection_id, "oauth_client", fields)
        api = str(body.get("api_domain") or "").rstrip("/")
        await self.connections.set_status(
            tenant_id,
            connection_id,
            "ok",
            None,
            region=region,
            auth_base_url=server,
            **({"api_base_url": api} if api else {}),
        )
        return connection_id
