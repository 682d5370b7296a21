"""A worker's kept access tokens against the real core, Redis and Shiprocket sandbox: reused while young, dropped
the moment their connection changes at the core, and never kept while the change feed is not subscribed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from redis.asyncio import Redis

from connector.v1 import connection_pb2, connection_pb2_grpc
from connectors.changes import ChangeFeed
from tests.core.conftest import CoreHandle
from tests.core.test_connections import credentials_for
from tests.workers.conftest import Loop
from workers.calls import Api, CoreStubs, Credentials


@pytest.fixture
async def stubs(loop: Loop) -> AsyncIterator[CoreStubs]:
    channel = grpc.aio.insecure_channel(loop.settings.core_addr)
    yield CoreStubs.over(channel, loop.settings.service_token("workers"))
    await channel.close()


@pytest.fixture
async def feed(loop: Loop) -> AsyncIterator[ChangeFeed]:
    redis = Redis.from_url(loop.settings.redis_url)
    changes = ChangeFeed(redis)
    yield changes
    await changes.stop()
    await redis.aclose()


async def _orders(loop: Loop, stubs: CoreStubs, credentials: Credentials) -> None:
    async with httpx.AsyncClient() as http:
        api = Api(
            stubs, http, uuid.UUID(loop.tenant), uuid.UUID(loop.shiprocket), "shiprocket", credentials=credentials
        )
        assert (await api.call("GET", "/orders")).status_code == 200


async def test_a_kept_token_is_dropped_as_soon_as_its_connection_changes_at_the_core(
    loop: Loop, core: CoreHandle, stubs: CoreStubs, feed: ChangeFeed
) -> None:
    await feed.start()
    credentials = Credentials(feed)
    key = (loop.tenant, loop.shiprocket)
    await _orders(loop, stubs, credentials)
    kept = credentials.get(key)
    assert kept is not None
    await _orders(loop, stubs, credentials)
    assert credentials.get(key) is kept  # reused, not asked for again

    _, _, creds = credentials_for("shiprocket", loop.shiprocket_info)
    await core.stub(connection_pb2_grpc.ConnectionServiceStub).UpdateCredentials(
        connection_pb2.UpdateCredentialsRequest(tenant_id=loop.tenant, connection_id=loop.shiprocket, credentials=creds)
    )
    for _ in range(100):  # the core's announcement reaches the worker's feed
        if credentials.get(key) is None:
            break
        await asyncio.sleep(0.05)
    assert credentials.get(key) is None, "the changed connection's token is still kept"

    await _orders(loop, stubs, credentials)  # asks the core again, and keeps what it answers
    fresh = credentials.get(key)
    assert fresh is not None and fresh is not kept


async def test_nothing_is_kept_while_the_feed_is_not_subscribed(loop: Loop, stubs: CoreStubs, feed: ChangeFeed) -> None:
    """Not started (or cut off from Redis): a change would go unseen, so every call asks the core."""
    credentials = Credentials(feed)
    await _orders(loop, stubs, credentials)
    assert credentials.get((loop.tenant, loop.shiprocket)) is None
    without_feed = Credentials()
    await _orders(loop, stubs, without_feed)
    assert without_feed.get((loop.tenant, loop.shiprocket)) is None
