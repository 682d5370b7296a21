"""A gRPC client of the core for the command line: the address and the first service token from settings."""

from __future__ import annotations

from typing import Any

import grpc

from connectors.settings import Settings


class CoreClient:
    def __init__(self, settings: Settings) -> None:
        token = settings.service_token("cli")
        self.channel = grpc.aio.insecure_channel(settings.core_addr)
        self.metadata = (("authorization", f"Bearer {token}"),)

    def stub(self, factory: Any) -> Any:
        return Authed(factory(self.channel), self.metadata)

    async def close(self) -> None:
        await self.channel.close()


class Authed:
    """A service stub whose every call carries the service token (and ``timeout`` seconds unless it names one)."""

    def __init__(self, stub: Any, metadata: tuple[tuple[str, str], ...], timeout: float | None = None) -> None:
        self._stub, self._metadata, self._timeout = stub, metadata, timeout

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)

        def call(request: Any, **kwargs: Any) -> Any:
            if self._timeout is not None:
                kwargs.setdefault("timeout", self._timeout)
            return method(request, metadata=self._metadata, **kwargs)

        return call
