"""One place that turns the core's errors into rich gRPC statuses for every servicer method."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
import structlog

from core.auth import caller
from core.errors import CoreError, SecretsUnreadable
from core.vault import VaultError

log = structlog.get_logger("core.rpc")

Req = TypeVar("Req")
Resp = TypeVar("Resp")
Method = Callable[[Any, Req, grpc.aio.ServicerContext[Req, Resp]], Awaitable[Resp]]


def rpc(method: Method[Req, Resp]) -> Method[Req, Resp]:
    @functools.wraps(method)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext[Req, Resp]) -> Resp:
        try:
            return await method(self, request, context)
        except VaultError as exc:
            error = SecretsUnreadable(f"stored credentials cannot be read: {exc}")
            log.error("vault error", method=method.__name__, caller=caller.get(), error=str(exc))
            await context.abort_with_status(error.to_status())
            raise
        except CoreError as exc:
            log.info("rpc refused", method=method.__name__, caller=caller.get(), reason=exc.reason, error=exc.message)
            await context.abort_with_status(exc.to_status())
            raise  # abort_with_status raises; this line only satisfies the type checker

    return wrapper
