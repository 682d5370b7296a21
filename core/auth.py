"""Service tokens: every caller presents one in ``authorization: Bearer <token>`` metadata.

Tokens come from ``CONNECTORS_SERVICE_TOKENS`` (``name:token,name:token``) and are compared in constant
time. Every RPC of the platform's services checks it (``require_token``); health checking and reflection
stay open so probes and tooling work without a token.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import grpc
from google.protobuf.descriptor import ServiceDescriptor

from core.errors import Unauthenticated

caller: ContextVar[str] = ContextVar("caller", default="")


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


S = TypeVar("S")


def require_token(servicer: S, service: ServiceDescriptor, tokens: dict[str, str]) -> S:
    """``servicer`` with every RPC that ``service`` declares checking the caller's token before it runs.

    The check is made in the method itself (an attribute of the instance, put there before the servicer is
    added to the server), not in a server interceptor: an aio interceptor costs every call a coroutine and a
    handler look-up, a fifth of a bare call's whole cost. Declared by the service, so no RPC is left out."""
    for method in service.methods:
        setattr(servicer, method.name, _checked(getattr(servicer, method.name), tokens))
    return servicer


Handler = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


def _checked(handler: Handler, tokens: dict[str, str]) -> Handler:
    @functools.wraps(handler)
    async def checked(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        header = next((str(v) for k, v in context.invocation_metadata() or () if k == "authorization"), "")
        scheme, _, presented = header.partition(" ")
        name = identify(tokens, presented if scheme.lower() == "bearer" else None)
        if name is None:
            await context.abort_with_status(UNAUTHENTICATED.to_status())
        caller.set(name or "")
        return await handler(request, context)

    return checked


UNAUTHENTICATED = Unauthenticated("a valid service token is required in 'authorization: Bearer <token>' metadata")
