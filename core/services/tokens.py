"""TokenService."""

from __future__ import annotations

from typing import Any

from connector.v1 import token_pb2 as pb
from connector.v1 import token_pb2_grpc
from core.services import convert
from core.services.rpc import rpc
from core.tokens.manager import TokenManager


class TokenService(token_pb2_grpc.TokenServiceServicer):
    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    @rpc
    async def GetAccessToken(self, request: pb.GetAccessTokenRequest, context: Any) -> pb.GetAccessTokenResponse:
        credential = await self.tokens.credential(*convert.connection_ref(request))
        return pb.GetAccessTokenResponse(
            header_name=credential.header_name,
            header_value=credential.header_value,
            base_url=credential.base_url,
            params=credential.params,
            expire_time=convert.timestamp(credential.expires_at),
        )

    @rpc
    async def InvalidateAccessToken(
        self, request: pb.InvalidateAccessTokenRequest, context: Any
    ) -> pb.InvalidateAccessTokenResponse:
        await self.tokens.invalidate(
            *convert.connection_ref(request),
            request.rejected_token,
        )
        return pb.InvalidateAccessTokenResponse()
