"""Service tokens: every caller presents one in ``authorization: Bearer <token>`` metadata.

Tokens come from ``CONNECTORS_SERVICE_TOKENS`` (``name:token,name:token``) and are compared in constant
time. Health checking and reflection stay open so probes and tooling work without a token.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import grpc

from core.errors import Unauthenticated

caller: ContextVar[str] = ContextVar("caller", default="")

OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def parse_tokens(spec: str) -> dict[str, str]:
    """``name:token,...`` → {token: name}; raises ValueError naming a malformed entry."""
    tokens: dict[str, str] = {}
    for n, item in enumerate(filter(None, (i.strip() for i in spec.split(","))), start=1):
        name, sep, token = item.partition(":")
        if not sep or not name or len(token) < 16:
            raise ValueError(f"CONNECTORS_SERVICE_TOKENS entry {n} must be 'name:token' with a token of 16+ chars")
        tokens[token] = name
    return tokens


def identify(tokens: dict[str, str], presented: str | None) -> str | None:
    """The caller's name, comparing against every token in constant time."""
    if not presented:
        return None
    found = None
    for token, name in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = name
    return found


class ServiceTokenInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method: str = details.method
        if method.startswith(OPEN_PREFIXES):
            return await continuation(details)
        metadata = dict(details.invocation_metadata or ())
        header = str(metadata.get("authorization", ""))
        scheme, _, presented = header.partition(" ")
        name = identify(self.tokens, presented if scheme.lower() == "bearer" else None)
        if name is None:
            return _refuse(method)
        caller.set(name)
        return await continuation(details)


def _refuse(method: str) -> grpc.RpcMethodHandler[Any, Any]:
    error = Unauthenticated("a valid service token is required in 'authorization: Bearer <token>' metadata")

    async def abort(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort_with_status(error.to_status())

    return grpc.unary_unary_rpc_method_handler(abort)
