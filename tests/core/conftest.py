"""A real core gRPC server over TCP on a free port, backed by the session's throwaway database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from redis.asyncio import Redis

from connectors.core_client import Authed
from connectors.settings import Settings
from core.server import Core, start
from core.vault import Keyring

TOKEN = "workers:" + "w" * 32


@dataclass
class CoreHandle:
    core: Core
    channel: grpc.aio.Channel
    settings: Settings
    metadata: tuple[tuple[str, str], ...] = (("authorization", "Bearer " + "w" * 32),)

    def stub(self, factory: Any) -> Any:
        """A service stub whose calls carry the service token."""
        return Authed(factory(self.channel), self.metadata)


@pytest.fixture(scope="session")
async def core(database_url: str, sandboxes: Any) -> AsyncIterator[CoreHandle]:
    # A Redis database of the test session's own, so budgets and locks start empty.
    redis_url = Settings.from_env().redis_url.rsplit("/", 1)[0] + "/15"
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        sandbox_port_offset=sandboxes.offset,
        service_tokens=TOKEN + ",portal:" + "p" * 32,
        master_keys=Keyring.generate_entry("k1"),
    )
    handle = await start(settings, "127.0.0.1:0")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}")
    yield CoreHandle(handle, channel, settings)
    await channel.close()
    await handle.stop(0)
