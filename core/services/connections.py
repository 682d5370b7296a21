"""ConnectionService."""

from __future__ import annotations

from typing import Any

from connector.v1 import connection_pb2 as pb
from connector.v1 import connection_pb2_grpc
from core.connections import Connections
from core.health import Health
from core.metering import daily_capacity
from core.oauth import OAuthFlow
from core.services import convert
from core.services.rpc import rpc
from core.tenancy import parse_id
from core.usage import UsageStats


class ConnectionService(connection_pb2_grpc.ConnectionServiceServicer):
    def __init__(self, connections: Connections, health: Health, oauth: OAuthFlow, usage: UsageStats) -> None:
        self.connections, self.health, self.oauth, self.usage = connections, health, oauth, usage

    @rpc
    async def CreateConnection(self, request: pb.CreateConnectionRequest, context: Any) -> pb.CreateConnectionResponse:
        tenant = parse_id(request.tenant_id, "tenant_id")
        provider = convert.provider_name(request.provider)
        assert provider is not None
        kind, fields = convert.credential_fields(request.credentials)
        record = await self.connections.create(
            tenant,
            provider,
            request.region,
            convert.environment(request.environment),
            request.display_name,
            kind,
            fields,
        )
        return pb.CreateConnectionResponse(connection=convert.connection(record))

    @rpc
    async def GetConnection(self, request: pb.GetConnectionRequest, context: Any) -> pb.GetConnectionResponse:
        record = await self.connections.get(*convert.connection_ref(request))
        return pb.GetConnectionResponse(connection=convert.connection(record))

    @rpc
    async def ListConnections(self, request: pb.ListConnectionsRequest, context: Any) -> pb.ListConnectionsResponse:
        provider = convert.provider_name(request.provider, required=False)
        records = await self.connections.list(parse_id(request.tenant_id, "tenant_id"), provider)
        return pb.ListConnectionsResponse(connections=[convert.connection(r) for r in records])

    @rpc
    async def UpdateCredentials(
        self, request: pb.UpdateCredentialsRequest, context: Any
    ) -> pb.UpdateCredentialsResponse:
        kind, fields = convert.credential_fields(request.credentials)
        record = await self.connections.update_credentials(*convert.connection_ref(request), kind, fields)
        return pb.UpdateCredentialsResponse(connection=convert.connection(record))

    @rpc
    async def DeleteConnection(self, request: pb.DeleteConnectionRequest, context: Any) -> pb.DeleteConnectionResponse:
        await self.connections.delete(*convert.connection_ref(request))
        return pb.DeleteConnectionResponse()

    @rpc
    async def TestConnection(self, request: pb.TestConnectionRequest, context: Any) -> pb.TestConnectionResponse:
        result = await self.health.check(*convert.connection_ref(request))
        return pb.TestConnectionResponse(
            ok=result.ok,
            latency=convert.duration(result.latency_s),
            error=result.error,
            provider_status=result.provider_status,
        )

    @rpc
    async def GetConnectionHealth(
        self, request: pb.GetConnectionHealthRequest, context: Any
    ) -> pb.GetConnectionHealthResponse:
        record = await self.connections.get(*convert.connection_ref(request))
        usage = await self.usage.usage(str(record.id))
        health = pb.ConnectionHealth(
            budget_used=min(1.0, usage.units_today / daily_capacity(record.provider)),
            recent_error_rate=usage.error_rate,
            status=convert.HEALTH.get(record.status, pb.HEALTH_STATUS_UNSPECIFIED),  # type: ignore[arg-type]
            last_check_time=convert.timestamp(record.last_check_at),
            latency=convert.duration((record.last_latency_ms or 0) / 1000),
            token_expire_time=convert.timestamp(record.token_expires_at),
            last_error=record.last_error or "",
        )
        return pb.GetConnectionHealthResponse(health=health)

    @rpc
    async def StartAuthorization(
        self, request: pb.StartAuthorizationRequest, context: Any
    ) -> pb.StartAuthorizationResponse:
        url, state = await self.oauth.start(
            *convert.connection_ref(request),
            request.redirect_uri,
        )
        return pb.StartAuthorizationResponse(authorize_url=url, state=state)

    @rpc
    async def CompleteAuthorization(
        self, request: pb.CompleteAuthorizationRequest, context: Any
    ) -> pb.CompleteAuthorizationResponse:
        tenant = parse_id(request.tenant_id, "tenant_id")
        connection_id = await self.oauth.complete(
            tenant, request.state, request.code, request.location, request.accounts_server
        )
        return pb.CompleteAuthorizationResponse(
            connection=convert.connection(await self.connections.get(tenant, connection_id))
        )
