"""The ingress's webhook verifiers: asked of the real core once per connection however many deliveries
arrive at once, dropped as soon as the connection changes (the change feed on real Redis), never kept while
the feed is not subscribed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from redis.asyncio import Redis

from connector.v1 import common_pb2, connection_pb2, connection_pb2_grpc, webhook_pb2, webhook_pb2_grpc
from connectors.changes import ChangeFeed
from portal.verifiers import Verifiers
from sandbox.zoho.webhooks import SIGNATURE_HEADER, signature
from tests.conftest import eventually
from tests.portal.conftest import Portal


class Counting:
    """The real core's WebhookService stub, counting the verifiers asked of it."""

    def __init__(self, stub: Any) -> None:
        self.stub, self.asked = stub, 0

    async def GetWebhookVerifier(self, request: webhook_pb2.GetWebhookVerifierRequest, **kwargs: Any) -> Any:
        self.asked += 1
        return await self.stub.GetWebhookVerifier(request, **kwargs)


@pytest.fixture
async def feed(portal: Portal) -> AsyncIterator[ChangeFeed]:
    redis = Redis.from_url(portal.settings.redis_url)
    feed = ChangeFeed(redis)
    await feed.start()
    try:
        yield feed
    finally:
        await feed.stop()
        await redis.aclose()


def verifiers(portal: Portal, feed: ChangeFeed) -> tuple[Verifiers, Counting]:
    core = Counting(webhook_pb2_grpc.WebhookServiceStub(portal.core.channel))
    return Verifiers(core, portal.core.metadata, feed, timeout=5.0), core  # type: ignore[arg-type]


async def test_a_burst_asks_the_core_once_and_the_verifier_checks_as_the_core_does(
    portal: Portal, sandboxes: Any, feed: ChangeFeed
) -> None:
    tenant, connection, setup = await portal.hooked(sandboxes, "zoho")
    cache, core = verifiers(portal, feed)
    found = await asyncio.gather(*(cache.get(common_pb2.PROVIDER_ZOHO, connection) for _ in range(50)))
    assert core.asked == 1 and len({id(v) for v in found}) == 1
    verifier = found[0]
    assert str(verifier.tenant_id) == tenant and str(verifier.connection_id) == connection
    assert setup.secret not in repr(verifier)

    body = b'{"salesorder": {"salesorder_id": "1", "last_modified_time": "2026-01-07T12:06:10+0530"}}'
    query = [("event", "confirmed")]
    good = {SIGNATURE_HEADER.lower(): signature(setup.secret, query, body)}  # names in lower case
    assert verifier.problem(good, query, body, "") is None
    assert verifier.problem(good, [], body, "") == "signature mismatch"  # the query is signed too
    assert verifier.problem({}, query, body, "") == f"header {SIGNATURE_HEADER.lower()} is missing"
    # The connection's id as the URL spells it in capitals is the same connection, not another entry.
    await cache.get(common_pb2.PROVIDER_ZOHO, connection.upper())
    assert core.asked == 1


async def test_a_deleted_connection_is_dropped_at_once_and_then_refused_by_the_core(
    portal: Portal, sandboxes: Any, feed: ChangeFeed
) -> None:
    tenant, connection, _ = await portal.hooked(sandboxes, "shiprocket")
    cache, core = verifiers(portal, feed)
    await cache.get(common_pb2.PROVIDER_SHIPROCKET, connection)
    await portal.core.stub(connection_pb2_grpc.ConnectionServiceStub).DeleteConnection(
        connection_pb2.DeleteConnectionRequest(tenant_id=tenant, connection_id=connection)
    )

    async def refused() -> bool:
        try:
            await cache.get(common_pb2.PROVIDER_SHIPROCKET, connection)
        except grpc.aio.AioRpcError as exc:
            return exc.code() == grpc.StatusCode.NOT_FOUND
        return False

    await eventually(refused, "the deleted connection's verifier to be dropped", seconds=5)
    assert core.asked >= 2


async def test_another_providers_connection_is_not_found(portal: Portal, sandboxes: Any, feed: ChangeFeed) -> None:
    _, connection, _ = await portal.hooked(sandboxes, "zoho")
    cache, _ = verifiers(portal, feed)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await cache.get(common_pb2.PROVIDER_SHIPSTATION, connection)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND and "not a shipstation connection" in str(
        refused.value.details()
    )


async def test_nothing_is_kept_while_the_change_feed_is_not_subscribed(portal: Portal, sandboxes: Any) -> None:
    _, connection, _ = await portal.hooked(sandboxes, "zoho")
    redis = Redis.from_url(portal.settings.redis_url)
    try:
        cache, core = verifiers(portal, ChangeFeed(redis))  # never started
        for _ in range(3):
            await cache.get(common_pb2.PROVIDER_ZOHO, connection)
        assert core.asked == 3
    finally:
        await redis.aclose()
