"""Webhook verifiers: what the ingress needs to check a delivery itself, asked of the core once per connection.

The core answers ``GetWebhookVerifier`` with the connection's tenant, its provider's scheme and header, and
its webhook secret, for a time it sets. The ingress keeps that in memory (never on disk, never logged) and
checks every delivery with ``connectors.webhook_auth``, as the core's own ``VerifyWebhook`` does. An entry
is dropped when its time is up or as soon as its connection changes anywhere (the connection change feed,
``connectors.changes``); while the feed is not subscribed nothing is kept and every delivery asks the core.

A webhook secret proves a delivery genuine; it opens nothing at the provider. The provider credentials stay
in the core.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from connector.v1 import common_pb2, webhook_pb2
from connectors import webhook_auth
from connectors.changes import ChangeFeed, LocalCache

if TYPE_CHECKING:
    from connector.v1.webhook_pb2_grpc import WebhookServiceAsyncStub
    from portal.resources import Metadata

SCHEMES: Final[dict[int, str]] = {
    webhook_pb2.WEBHOOK_SCHEME_HMAC_SHA256: webhook_auth.HMAC_SHA256,
    webhook_pb2.WEBHOOK_SCHEME_STATIC_HEADER: webhook_auth.STATIC_HEADER,
    webhook_pb2.WEBHOOK_SCHEME_URL_SECRET: webhook_auth.URL_SECRET,
}

MAX_KEEP: Final = 300.0
"""Seconds an entry is kept at most, whatever the core allows."""


@dataclass(frozen=True)
class Verifier:
    tenant_id: uuid.UUID
    connection_id: uuid.UUID
    scheme: str
    header: str
    secret: str = field(repr=False)
    keep_for: float

    def problem(
        self, headers: Mapping[str, str], query: Iterable[tuple[str, str]], body: bytes, url_secret: str
    ) -> str | None:
        """Why the delivery does not carry this connection's secret, in plain words; None when it does."""
        return webhook_auth.problem(self.scheme, self.header, self.secret, headers, query, body, url_secret)


class Verifiers:
    def __init__(self, webhooks: WebhookServiceAsyncStub, metadata: Metadata, feed: ChangeFeed, timeout: float) -> None:
        self.webhooks, self.metadata, self.feed, self.timeout = webhooks, metadata, feed, timeout
        self._cache: LocalCache[Verifier] = feed.cache(MAX_KEEP)

    async def get(self, provider: common_pb2.Provider.ValueType, connection_id: str) -> Verifier:
        """The connection's verifier; the core's refusal as ``grpc.aio.AioRpcError`` (NOT_FOUND for an unknown
        connection or one of another provider, FAILED_PRECONDITION for a provider that sends no webhooks)."""
        if not self.feed.live:
            return await self._ask(provider, connection_id)
        # Keyed by the id as the change feed names it (canonical), so that a change drops the entry.
        key = (provider, str(uuid.UUID(connection_id)))
        found = await self._cache.get_or_load(key, lambda: self._ask(provider, connection_id), lambda v: v.keep_for)
        assert found is not None  # _ask raises rather than answer None
        return found

    async def _ask(self, provider: common_pb2.Provider.ValueType, connection_id: str) -> Verifier:
        answer = await self.webhooks.GetWebhookVerifier(
            webhook_pb2.GetWebhookVerifierRequest(connection_id=connection_id, provider=provider),
            metadata=self.metadata,
            timeout=self.timeout,
        )
        scheme = SCHEMES.get(answer.scheme)
        if scheme is None:
            raise ValueError(f"the core answered an unknown webhook scheme {answer.scheme}")
        return Verifier(
            tenant_id=uuid.UUID(answer.tenant_id),
            connection_id=uuid.UUID(answer.connection_id),
            scheme=scheme,
            header=answer.header_name,
            secret=answer.secret,
            keep_for=min(answer.valid_for.ToNanoseconds() / 1e9, MAX_KEEP),
        )
