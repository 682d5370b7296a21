"""WebhookService: the setup a merchant copies to the provider, and verification for the portal's ingress."""

from __future__ import annotations

import uuid
from typing import Any

from connector.v1 import webhook_pb2 as pb
from connector.v1 import webhook_pb2_grpc
from connectors import webhook_auth
from connectors.changes import LocalCache
from core import providers
from core.connections import ConnectionRecord, Connections
from core.errors import NotFound, NoWebhooks, WebhookRefused
from core.providers.model import WebhookAuth
from core.services import convert
from core.services.rpc import rpc
from core.tenancy import parse_id
from core.vault import Secret

VERIFIER_VALID_FOR = 60.0
"""Seconds the ingress may keep a verifier (``GetWebhookVerifier``); it also drops one as soon as its
connection changes (``connectors.changes``), so this only bounds a lost change message."""

SCHEMES = {
    WebhookAuth.HMAC_SHA256: pb.WEBHOOK_SCHEME_HMAC_SHA256,
    WebhookAuth.STATIC_HEADER: pb.WEBHOOK_SCHEME_STATIC_HEADER,
    WebhookAuth.URL_SECRET: pb.WEBHOOK_SCHEME_URL_SECRET,
}


class WebhookService(webhook_pb2_grpc.WebhookServiceServicer):
    def __init__(self, connections: Connections) -> None:
        self.connections = connections
        # Webhooks arrive in bursts (a remittance batch, a storm of retries): one database read per
        # connection every few seconds; every replica drops an entry as soon as its connection changes.
        self._known: LocalCache[tuple[ConnectionRecord, Secret]] = connections.cache()

    async def _webhook(self, connection_id: uuid.UUID) -> tuple[ConnectionRecord, Secret]:
        """The connection (whichever its tenant) and its webhook secret; NoWebhooks for a polled provider."""

        async def load() -> tuple[ConnectionRecord, Secret]:
            tenant_id = await self.connections.tenant_of(connection_id)
            record = await self.connections.get(tenant_id, connection_id)
            provider = providers.get(record.provider)
            if provider.webhook_auth not in SCHEMES:
                raise NoWebhooks(f"{provider.title} sends no webhooks; the platform polls it")
            return await self.connections.webhook_secret(tenant_id, connection_id)

        known = await self._known.get_or_load((connection_id,), load)
        assert known is not None  # load raises rather than answer None
        return known

    @rpc
    async def GetWebhookSetup(self, request: pb.GetWebhookSetupRequest, context: Any) -> pb.GetWebhookSetupResponse:
        tenant_id, connection_id = convert.connection_ref(request)
        record, secret = await self._webhook(connection_id)
        if record.tenant_id != tenant_id:  # another tenant's connection looks absent, as everywhere
            raise NotFound(f"connection {connection_id} does not exist")
        provider = providers.get(record.provider)
        path = f"/hooks/{provider.webhook_segment or record.provider}/{record.id}"
        if provider.webhook_auth is WebhookAuth.URL_SECRET:
            path += f"/{secret.reveal()}"
        return pb.GetWebhookSetupResponse(
            path=path,
            scheme=SCHEMES[provider.webhook_auth],
            header_name=provider.webhook_header or "",
            secret=secret.reveal(),
        )

    async def _named(self, connection: str, provider: int) -> tuple[ConnectionRecord, Secret]:
        """The webhook of the connection the URL names, if it is a connection of the provider the URL names."""
        connection_id = parse_id(connection, "connection_id")
        named = convert.provider_name(provider)
        record, secret = await self._webhook(connection_id)
        if record.provider != named:
            raise NotFound(f"connection {connection_id} is not a {named} connection")
        return record, secret

    @rpc
    async def GetWebhookVerifier(
        self, request: pb.GetWebhookVerifierRequest, context: Any
    ) -> pb.GetWebhookVerifierResponse:
        record, secret = await self._named(request.connection_id, request.provider)
        provider = providers.get(record.provider)
        return pb.GetWebhookVerifierResponse(
            tenant_id=str(record.tenant_id),
            connection_id=str(record.id),
            scheme=SCHEMES[provider.webhook_auth],
            header_name=provider.webhook_header or "",
            secret=secret.reveal(),
            valid_for=convert.duration(VERIFIER_VALID_FOR),
        )

    @rpc
    async def VerifyWebhook(self, request: pb.VerifyWebhookRequest, context: Any) -> pb.VerifyWebhookResponse:
        record, secret = await self._named(request.connection_id, request.provider)
        connection_id = record.id
        provider = providers.get(record.provider)
        headers = {name.lower(): value for name, value in request.headers.items()}
        query = [(q.name, q.value) for q in request.query]
        problem = webhook_auth.problem(
            provider.webhook_auth.value,
            provider.webhook_header or "",
            secret.reveal(),
            headers,
            query,
            request.body,
            request.url_secret,
        )
        if problem:
            raise WebhookRefused(f"not a webhook from this {provider.title} connection: {problem}")
        return pb.VerifyWebhookResponse(
            tenant_id=str(record.tenant_id), connection_id=str(connection_id), provider=request.provider
        )
