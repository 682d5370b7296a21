"""Connections and their sealed credentials in PostgreSQL (always in the tenant's own transaction).

The cached access token is one more sealed field (``access_token``). Every change to credentials or token
bumps ``credential_version``, and token writes are compare-and-set on it, so two refreshers can never
overwrite each other's result.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.changes import ChangeFeed, LocalCache
from connectors.settings import Settings
from core import credentials, providers, webhooks
from core.errors import InvalidArgument, NotFound
from core.providers.model import Environment
from core.tenancy import Tenants
from core.vault import Secret, Vault
from tenants.db import tenant_session
from tenants.models import Connection, ConnectionSecret

ACCESS_TOKEN = "access_token"
WEBHOOK_SECRET = "webhook_secret"
INTERNAL_FIELDS = (ACCESS_TOKEN, WEBHOOK_SECRET)
"""Sealed fields the core keeps itself (not the merchant's credentials; kept when those change)."""


@dataclass(frozen=True)
class ConnectionRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    provider: str
    region: str
    environment: str
    display_name: str
    status: str
    api_base_url: str
    auth_base_url: str | None
    params: dict[str, Any]
    credential_version: int
    token_expires_at: datetime | None
    token_issued_at: datetime | None
    last_check_at: datetime | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    credential_fields: tuple[str, ...] = field(default=())


def _record(row: Connection, fields: list[str]) -> ConnectionRecord:
    return ConnectionRecord(
        row.id,
        row.tenant_id,
        row.provider,
        row.region,
        row.environment,
        row.display_name,
        row.status,
        row.api_base_url,
        row.auth_base_url,
        dict(row.params or {}),
        row.credential_version,
        row.token_expires_at,
        row.token_issued_at,
        row.last_check_at,
        row.last_latency_ms,
        row.last_error,
        row.created_at,
        row.updated_at,
        tuple(sorted(f for f in fields if f not in INTERNAL_FIELDS)) + tuple(sorted(k for k in (row.params or {}))),
    )


class Connections:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        vault: Vault,
        tenants: Tenants,
        settings: Settings,
        changes: ChangeFeed | None = None,
    ) -> None:
        self.sessions, self.vault, self.tenants, self.settings = sessions, vault, tenants, settings
        self.changes = changes

    def cache(self, ttl: float = 5.0) -> LocalCache[Any]:
        """A per-replica cache of connection data that every replica empties when the connection changes
        (without a change feed, nothing is cached)."""
        return self.changes.cache(ttl) if self.changes else LocalCache(0.0)

    async def _changed(self, connection_id: uuid.UUID) -> None:
        """Tell every replica's caches (after the transaction committed)."""
        if self.changes is not None:
            await self.changes.changed(str(connection_id))

    async def create(
        self,
        tenant_id: uuid.UUID,
        provider_name: str,
        region: str,
        environment: Environment,
        display_name: str,
        kind: str | None,
        fields: dict[str, str],
    ) -> ConnectionRecord:
        provider = providers.CATALOGUE.get(provider_name)
        if provider is None:
            raise InvalidArgument.one("provider", f"must be one of {', '.join(providers.CATALOGUE)}")
        region = region or provider.default_region
        if region not in provider.regions:
            raise InvalidArgument.one(
                "region", f"{provider.title} has no region {region!r}; use {', '.join(provider.regions)}"
            )
        fields = self._with_platform_client(provider_name, environment.value, kind, fields)
        parsed = credentials.parse(provider_name, kind, fields, require_store_url=environment is Environment.PRODUCTION)
        hosts = providers.resolve(
            provider,
            region,
            environment,
            store_url=parsed.params.get("store_url"),
            sandbox_host=self.settings.sandbox_host,
            sandbox_port_offset=self.settings.sandbox_port_offset,
        )
        connection_id = uuid.uuid4()
        async with tenant_session(self.sessions, tenant_id) as session:
            key = await self.tenants.data_key(session, tenant_id)
            row = Connection(
                id=connection_id,
                tenant_id=tenant_id,
                provider=provider_name,
                region=region,
                environment=environment.value,
                display_name=display_name.strip() or f"{provider.title} ({region})",
                status="ok",
                api_base_url=hosts.api,
                auth_base_url=hosts.auth,
                params=parsed.params,
                credential_version=1,
            )
            session.add(row)
            await session.flush()
            for name, value in parsed.secrets.items():
                blob = self.vault.encrypt(key, str(tenant_id), str(connection_id), name, Secret(value))
                session.add(
                    ConnectionSecret(tenant_id=tenant_id, connection_id=connection_id, field=name, ciphertext=blob)
                )
            await session.flush()
            await session.refresh(row)
            return _record(row, list(parsed.secrets))

    def _with_platform_client(
        self, provider: str, environment: str, kind: str | None, fields: dict[str, str]
    ) -> dict[str, str]:
        """OAuth credentials without a client of the merchant's own get the platform's app
        (``CONNECTORS_OAUTH_CLIENTS``); without one either, the parse below names the missing fields."""
        if kind != "oauth_client" or fields.get("client_id", "").strip() or fields.get("client_secret", "").strip():
            return fields
        platform = self.settings.oauth_client(provider, environment)
        return {**fields, **platform} if platform else fields

    async def get(self, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> ConnectionRecord:
        async with tenant_session(self.sessions, tenant_id) as session:
            return await self._get(session, connection_id)

    async def _get(self, session: AsyncSession, connection_id: uuid.UUID) -> ConnectionRecord:
        row = await session.get(Connection, connection_id, populate_existing=True)
        if row is None:
            # Another tenant's connection is invisible under row-level security: it looks absent.
            raise NotFound(f"connection {connection_id} does not exist")
        fields = (
            await session.execute(select(ConnectionSecret.field).where(ConnectionSecret.connection_id == connection_id))
        ).scalars()
        return _record(row, list(fields))

    async def list(self, tenant_id: uuid.UUID, provider: str | None) -> list[ConnectionRecord]:
        async with tenant_session(self.sessions, tenant_id) as session:
            stmt = select(Connection.id).order_by(Connection.created_at)
            if provider:
                stmt = stmt.where(Connection.provider == provider)
            ids = list((await session.execute(stmt)).scalars())
            return [await self._get(session, i) for i in ids]

    async def delete(self, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> None:
        async with tenant_session(self.sessions, tenant_id) as session:
            result = await session.execute(delete(Connection).where(Connection.id == connection_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"connection {connection_id} does not exist")
        await self._changed(connection_id)

    async def update_credentials(
        self, tenant_id: uuid.UUID, connection_id: uuid.UUID, kind: str | None, fields: dict[str, str]
    ) -> ConnectionRecord:
        async with tenant_session(self.sessions, tenant_id) as session:
            current = await self._get(session, connection_id)
            fields = self._with_platform_client(current.provider, current.environment, kind, fields)
            parsed = credentials.parse(
                current.provider,
                kind,
                fields,
                require_store_url=current.environment == Environment.PRODUCTION.value,
            )
            key = await self.tenants.data_key(session, tenant_id)
            await session.execute(
                delete(ConnectionSecret).where(
                    ConnectionSecret.connection_id == connection_id, ConnectionSecret.field != WEBHOOK_SECRET
                )
            )
            for name, value in parsed.secrets.items():
                blob = self.vault.encrypt(key, str(tenant_id), str(connection_id), name, Secret(value))
                session.add(
                    ConnectionSecret(tenant_id=tenant_id, connection_id=connection_id, field=name, ciphertext=blob)
                )
            await session.execute(
                update(Connection)
                .where(Connection.id == connection_id)
                .values(
                    params={**current.params, **parsed.params},
                    credential_version=Connection.credential_version + 1,
                    status="ok",
                    last_error=None,
                    token_expires_at=None,
                    token_issued_at=None,
                )
            )
            await session.flush()
            record = await self._get(session, connection_id)
        await self._changed(connection_id)
        return record

    async def tenant_of(self, connection_id: uuid.UUID) -> uuid.UUID:
        """The tenant a connection belongs to, for callers that know only the connection (webhooks)."""
        async with self.sessions() as session:
            tenant = (
                await session.execute(text("SELECT connection_tenant(:c)"), {"c": connection_id})
            ).scalar_one_or_none()
        if tenant is None:
            raise NotFound(f"connection {connection_id} does not exist")
        return uuid.UUID(str(tenant))

    async def webhook_secret(self, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> tuple[ConnectionRecord, Secret]:
        """The connection's webhook secret, made on first use (connections made before webhooks had none)."""
        record, opened = await self.secrets(tenant_id, connection_id)
        if WEBHOOK_SECRET in opened:
            return record, opened[WEBHOOK_SECRET]
        value = Secret(webhooks.new_secret())
        async with tenant_session(self.sessions, tenant_id) as session:
            key = await self.tenants.data_key(session, tenant_id)
            blob = self.vault.encrypt(key, str(tenant_id), str(connection_id), WEBHOOK_SECRET, value)
            inserted = await session.execute(
                insert(ConnectionSecret)
                .values(tenant_id=tenant_id, connection_id=connection_id, field=WEBHOOK_SECRET, ciphertext=blob)
                .on_conflict_do_nothing()
                .returning(ConnectionSecret.field)
            )
            made = inserted.scalar_one_or_none() is not None
        if made:
            return record, value
        return await self.webhook_secret(tenant_id, connection_id)  # another caller made it first: theirs wins

    async def secrets(
        self, tenant_id: uuid.UUID, connection_id: uuid.UUID
    ) -> tuple[ConnectionRecord, dict[str, Secret]]:
        """The connection and its decrypted fields; only the core's token code calls this."""
        async with tenant_session(self.sessions, tenant_id) as session:
            record = await self._get(session, connection_id)
            key = await self.tenants.data_key(session, tenant_id)
            rows = (
                await session.execute(select(ConnectionSecret).where(ConnectionSecret.connection_id == connection_id))
            ).scalars()
            opened = {
                r.field: self.vault.decrypt(key, str(tenant_id), str(connection_id), r.field, r.ciphertext)
                for r in rows
            }
        return record, opened

    async def save_token(
        self,
        tenant_id: uuid.UUID,
        connection_id: uuid.UUID,
        *,
        expected_version: int,
        access_token: str,
        issued_at: datetime,
        expires_at: datetime | None,
        rotated: dict[str, str] | None = None,
        routing: dict[str, str] | None = None,
    ) -> bool:
        """Store a fresh token if nobody changed the credential since ``expected_version`` (compare-and-set)."""
        async with tenant_session(self.sessions, tenant_id) as session:
            values: dict[str, Any] = {
                "credential_version": expected_version + 1,
                "token_issued_at": issued_at,
                "token_expires_at": expires_at,
                "status": "ok",
                "last_error": None,
            }
            if routing:
                values.update(routing)
            result = await session.execute(
                update(Connection)
                .where(Connection.id == connection_id, Connection.credential_version == expected_version)
                .values(**values)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                return False
            key = await self.tenants.data_key(session, tenant_id)
            for name, value in {ACCESS_TOKEN: access_token, **(rotated or {})}.items():
                blob = self.vault.encrypt(key, str(tenant_id), str(connection_id), name, Secret(value))
                await session.merge(
                    ConnectionSecret(tenant_id=tenant_id, connection_id=connection_id, field=name, ciphertext=blob)
                )
        await self._changed(connection_id)
        return True

    async def set_status(
        self, tenant_id: uuid.UUID, connection_id: uuid.UUID, status: str, error: str | None, **values: Any
    ) -> None:
        async with tenant_session(self.sessions, tenant_id) as session:
            await session.execute(
                update(Connection)
                .where(Connection.id == connection_id)
                .values(status=status, last_error=error, **values)
            )
        await self._changed(connection_id)

    async def expire_token(self, tenant_id: uuid.UUID, connection_id: uuid.UUID, version: int) -> bool:
        """Forget the cached token if it is still the one of ``version`` (after a provider 401)."""
        async with tenant_session(self.sessions, tenant_id) as session:
            result = await session.execute(
                update(Connection)
                .where(Connection.id == connection_id, Connection.credential_version == version)
                .values(token_expires_at=None, token_issued_at=None, credential_version=version + 1)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await session.execute(
                delete(ConnectionSecret).where(
                    ConnectionSecret.connection_id == connection_id, ConnectionSecret.field == ACCESS_TOKEN
                )
            )
        await self._changed(connection_id)
        return True
