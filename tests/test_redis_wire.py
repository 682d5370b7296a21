"""The pipelined Redis connection of the hot paths, against the real Redis: order kept, errors named, a lost or
silent connection failed loudly and opened again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError, NoScriptError, ResponseError

from connectors.redis_wire import RedisWire
from connectors.settings import Settings


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(Settings.from_env().redis_url)
    yield client
    await client.aclose()


async def test_concurrent_calls_get_their_own_replies(redis: Redis) -> None:
    wire = RedisWire(redis)
    key = f"test-wire-{uuid.uuid4().hex}"
    try:
        replies = await asyncio.gather(*(wire.call("INCRBY", key, n) for n in range(1, 201)))
        assert sorted(replies) == sorted(set(replies)) and replies[-1] == sum(range(1, 201))
        assert await redis.get(key) == str(sum(range(1, 201))).encode()
    finally:
        await redis.delete(key)
        await wire.close()


async def test_an_error_reply_raises_and_the_connection_goes_on(redis: Redis) -> None:
    wire = RedisWire(redis)
    key = f"test-wire-{uuid.uuid4().hex}"
    try:
        await redis.hset(key, "f", "v")
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await wire.call("INCR", key)
        with pytest.raises(NoScriptError):
            await wire.call("EVALSHA", "0" * 40, 0)
        assert await wire.call("HGET", key, "f") == b"v"
    finally:
        await redis.delete(key)
        await wire.close()


async def test_a_killed_connection_fails_its_calls_and_is_opened_again(redis: Redis) -> None:
    wire = RedisWire(redis)
    key = f"test-wire-{uuid.uuid4().hex}"
    try:
        client_id = await wire.call("CLIENT", "ID")
        waiting = asyncio.ensure_future(wire.call("BLPOP", key, 5))
        await asyncio.sleep(0.1)
        await redis.client_kill_filter(_id=str(client_id))
        with pytest.raises(ConnectionError, match="lost the connection"):
            await waiting
        assert await wire.call("CLIENT", "ID") != client_id
    finally:
        await wire.close()


async def test_a_silent_redis_times_out_every_call_on_the_connection(redis: Redis) -> None:
    wire = RedisWire(redis, timeout=0.4)
    key = f"test-wire-{uuid.uuid4().hex}"
    try:
        stuck = [asyncio.ensure_future(wire.call("BLPOP", key, 5)) for _ in range(3)]
        for call in stuck:
            with pytest.raises(ConnectionError, match="no reply from Redis"):
                await asyncio.wait_for(call, 3)
        assert await wire.call("PING") == b"PONG"
    finally:
        await wire.close()


async def test_an_unreachable_redis_is_named() -> None:
    wire = RedisWire(Redis(host="127.0.0.1", port=1), timeout=1)
    with pytest.raises(ConnectionError, match="cannot reach Redis"):
        await wire.call("PING")


async def test_calls_made_while_an_earlier_one_awaits_its_reply_are_all_answered_after_it(redis: Redis) -> None:
    """Commands made (over several turns of the loop) while a BLPOP keeps the connection busy for 0.2 s are
    held until its reply arrives, then sent together: none is left behind, each answered, in order."""
    wire = RedisWire(redis)
    key = f"test-wire-{uuid.uuid4().hex}"
    try:
        blocked = asyncio.ensure_future(wire.call("BLPOP", f"{key}:empty", 0.2))
        await asyncio.sleep(0.01)  # the BLPOP is written and unanswered
        later = []
        for _ in range(3):  # across turns of the loop
            later.append(asyncio.ensure_future(wire.call("INCR", key)))
            await asyncio.sleep(0.01)
        assert not any(f.done() for f in later)
        assert await blocked is None  # BLPOP timed out
        assert await asyncio.wait_for(asyncio.gather(*later), 2) == [1, 2, 3]
        assert await wire.call("GET", key) == b"3"
    finally:
        await redis.delete(key)
        await wire.close()
