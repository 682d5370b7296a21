"""Hands out a usable credential per call, refreshing at most once at a time per connection.

Many callers at once → one refresh: callers in this process queue on an asyncio lock, and processes and
replicas on a Redis lock; whoever gets the lock re-reads the connection first, because the previous holder
has usually refreshed it already. The refreshed token is stored by compare-and-set on the credential
version, so a refresh never overwrites credentials the merchant changed meanwhile. A refusal from the
provider moves the connection to ``needs_reauth`` and no further calls are made until it is reconnected.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis
from redis.exceptions import LockError

from connectors.changes import LocalCache
from core import providers
from core.connections import ACCESS_TOKEN, ConnectionRecord, Connections
from core.errors import NeedsReauth, ProviderUnavailable
from core.metering import Metering
from core.tokens import exchange as exchanges
from core.tokens.policy import expiry, needs_refresh
from core.vault import Secret

LOCK_PREFIX = "connectors:refresh:"
NEEDS_REAUTH = "needs_reauth"


@dataclass(frozen=True)
class Credential:
    header_name: str
    header_value: str
    base_url: str
    params: dict[str, str]
    expires_at: datetime | None
    issued_at: datetime | None
    token: str = field(repr=False)
    provider: str = ""


class TokenManager:
    def __init__(
        self,
        connections: Connections,
        redis: Redis,
        http: httpx.AsyncClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache_ttl: float = 5.0,
        metering: Metering | None = None,
    ) -> None:
        self.metering = metering
        self.clock = clock
        # Recently handed-out credentials; every replica drops one as soon as its connection changes.
        self._cache: LocalCache[Credential] = connections.cache(cache_ttl)
        self.connections = connections
        self.redis = redis
        self.http = http
        self._local: defaultdict[uuid.UUID, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.refreshes = 0

    async def credential(self, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> Credential:
        key = (tenant_id, connection_id)
        cached = self._cache.get(key)
        if cached and self._due(cached):
            self._cache.drop_connection(str(connection_id))
        # One database read per missing entry, shared by the callers arriving meanwhile.
        usable = await self._cache.get_or_load(key, lambda: self._read(key))
        if usable:
            return usable
        async with self._local[connection_id]:
            lock = self.redis.lock(f"{LOCK_PREFIX}{connection_id}", timeout=30, blocking_timeout=35, sleep=0.02)
            try:
                async with lock:
                    return await self._refresh(tenant_id, connection_id)
            except LockError as exc:
                raise ProviderUnavailable("another refresh of this connection did not finish; retry") from exc

    async def _read(self, key: tuple[uuid.UUID, uuid.UUID]) -> Credential | None:
        record, secrets = await self.connections.secrets(*key)
        return self._usable(record, secrets)

    async def invalidate(self, tenant_id: uuid.UUID, connection_id: uuid.UUID, rejected_token: str) -> bool:
        """Forget the cached token if it is the one the provider rejected (not a fresher one)."""
        record, secrets = await self.connections.secrets(tenant_id, connection_id)
        current = secrets.get(ACCESS_TOKEN)
        if current is None or (rejected_token and current.reveal() != rejected_token):
            return False
        return await self.connections.expire_token(tenant_id, connection_id, record.credential_version)

    async def _refresh(self, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> Credential:
        record, secrets = await self.connections.secrets(tenant_id, connection_id)
        usable = self._usable(record, secrets)
        if usable:
            return usable  # the previous lock holder refreshed it
        if record.status == NEEDS_REAUTH:
            raise NeedsReauth(f"{record.display_name} needs to be reconnected: {record.last_error}")
        provider = providers.get(record.provider)
        issued = self.clock()
        try:
            result = await exchanges.exchange(provider, record, secrets, self.http)
        except exchanges.Rejected as exc:
            await self.connections.set_status(tenant_id, connection_id, NEEDS_REAUTH, str(exc))
            raise NeedsReauth(f"{record.display_name} needs to be reconnected: {exc}") from exc
        except exchanges.Unavailable as exc:
            await self.connections.set_status(tenant_id, connection_id, "degraded", str(exc))
            raise ProviderUnavailable(f"{provider.title} token endpoint: {exc}") from exc
        self.refreshes += 1
        saved = await self.connections.save_token(
            tenant_id,
            connection_id,
            expected_version=record.credential_version,
            access_token=result.access_token,
            issued_at=issued,
            expires_at=expiry(provider, issued, result.expires_in),
            rotated=result.rotated,
            routing=result.routing,
        )
        record, secrets = await self.connections.secrets(tenant_id, connection_id)
        if saved and self.metering and result.api_calls:
            # Calls the exchange made to the provider's API (Zoho's organisation lookup) count against the
            # account's budget like any other; its account is only known now.
            await self.metering.charge(record, cost=result.api_calls)
        usable = self._usable(record, secrets)
        if usable is None:
            state = "credentials changed during the refresh" if not saved else "the fresh token is not usable"
            raise ProviderUnavailable(f"{record.display_name}: {state}; retry")
        return usable

    def _due(self, credential: Credential) -> bool:
        provider = providers.get(credential.provider)
        return needs_refresh(provider, self.clock(), credential.issued_at, credential.expires_at)

    def _usable(self, record: ConnectionRecord, secrets: dict[str, Secret]) -> Credential | None:
        provider = providers.get(record.provider)
        token = secrets.get(ACCESS_TOKEN)
        if token is None or record.status == NEEDS_REAUTH:
            return None
        if needs_refresh(provider, self.clock(), record.token_issued_at, record.token_expires_at):
            return None
        name, template = provider.auth_header
        params = {p: str(record.params[p]) for p in provider.required_params if p in record.params}
        return Credential(
            header_name=name,
            header_value=template.format(token=token.reveal()),
            base_url=record.api_base_url,
            params=params,
            expires_at=record.token_expires_at,
            issued_at=record.token_issued_at,
            token=token.reveal(),
            provider=record.provider,
        )
