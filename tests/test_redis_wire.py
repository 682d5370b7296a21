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


def _count_writes(wire: RedisWire) -> list[bytes]:
    """The writes the wire makes from now on (spying on its own transport, which still sends them)."""
    protocol = wire._protocol
    assert protocol is not None and protocol.transport is not None
    transport = protocol.transport
    writes: list[bytes] = []
    send = transport.write

    def write(data: bytes | bytearray | memoryview) -> None:
        writes.append(bytes(data))
        send(data)

    transport.write = write  # type: ignore[method-assign]
    return writes


async def test_a_busy_callers_commands_linger_into_one_write(redis: Redis) -> None:
    """Commands a millisecond apart, each of which Redis would answer before the next (a write each without a
    linger): with a linger of 50 ms they wait for one another and go together, each caller with its own reply."""
    wire = RedisWire(redis, linger=0.05)
    key = f"test-wire-{uuid.uuid4().hex}"
    try:
        await asyncio.gather(*(wire.call("PING") for _ in range(40)))  # a burst sets the pace
        writes = _count_writes(wire)
        calls = []
        for _ in range(10):
            calls.append(asyncio.ensure_future(wire.call("INCR", key)))
            await asyncio.sleep(0.001)
        assert await asyncio.wait_for(asyncio.gather(*calls), 2) == list(range(1, 11))
        assert len(writes) <= 2, f"{len(writes)} writes for 10 commands"
        assert sum(w.count(b"INCR") for w in writes) == 10
    finally:
        await redis.delete(key)
        await wire.close()


async def test_a_command_held_behind_an_unanswered_one_still_lingers_for_its_batch(redis: Redis) -> None:
    """While lingering, a command held behind a slow reply does not go alone when that reply arrives: it waits
    (a linger from its own arrival) for those that follow, and they go in one write."""
    wire = RedisWire(redis, linger=0.3)
    key = f"test-wire-{uuid.uuid4().hex}"
    try:
        await asyncio.gather(*(wire.call("PING") for _ in range(40)))
        slow = asyncio.ensure_future(wire.call("BLPOP", f"{key}:empty", 0.1))
        await asyncio.sleep(0.35)  # written after its linger; Redis holds the reply for 0.1 s
        calls = [asyncio.ensure_future(wire.call("INCR", key))]
        assert await slow is None
        writes = _count_writes(wire)
        for _ in range(9):
            calls.append(asyncio.ensure_future(wire.call("INCR", key)))
            await asyncio.sleep(0.001)
        assert await asyncio.wait_for(asyncio.gather(*calls), 2) == list(range(1, 11))
        assert len(writes) <= 1, f"{len(writes)} writes for the commands after the slow one"
    finally:
        await redis.delete(key)
        await wire.close()


async def test_an_occasional_command_goes_at_once_whatever_the_linger(redis: Redis) -> None:
    """Commands a tenth of a second apart are not held for a linger of one second: lingering is for callers
    that come faster than one per half the linger."""
    wire = RedisWire(redis, linger=1.0)
    try:
        for _ in range(4):
            assert await asyncio.wait_for(wire.call("PING"), 0.5) == b"PONG"
            await asyncio.sleep(0.1)
    finally:
        await wire.close()


async def test_closing_sends_a_lingering_batch_and_fails_its_unread_replies(redis: Redis) -> None:
    wire = RedisWire(redis, linger=5.0)
    key = f"test-wire-{uuid.uuid4().hex}"
    try:
        await asyncio.gather(*(wire.call("PING") for _ in range(40)))
        held = asyncio.ensure_future(wire.call("INCR", key))
        await asyncio.sleep(0.05)
        assert not held.done()  # lingering
        await wire.close()
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(held, 2)
        for _ in range(100):  # sent before the close: Redis runs it
            if await redis.get(key) == b"1":
                break
            await asyncio.sleep(0.01)
        assert await redis.get(key) == b"1"
    finally:
        await redis.delete(key)
        await wire.close()
