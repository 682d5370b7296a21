"""Replica caches: a missing entry is loaded once for all callers; failures reach every waiter, uncached."""

from __future__ import annotations

import asyncio

from connectors.changes import LocalCache


async def test_concurrent_callers_share_one_load() -> None:
    cache: LocalCache[str] = LocalCache(ttl=60)
    loads = 0

    async def load() -> str:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return "value"

    answers = await asyncio.gather(*(cache.get_or_load(("t", "c"), load) for _ in range(50)))
    assert answers == ["value"] * 50 and loads == 1
    assert await cache.get_or_load(("t", "c"), load) == "value" and loads == 1


async def test_a_failed_load_reaches_every_waiter_and_is_not_cached() -> None:
    cache: LocalCache[str] = LocalCache(ttl=60)

    async def fail() -> str:
        await asyncio.sleep(0.01)
        raise LookupError("connection does not exist")

    results = await asyncio.gather(*(cache.get_or_load("k", fail) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)
    assert cache.get("k") is None


async def test_dropping_a_connection_forgets_its_entries() -> None:
    cache: LocalCache[str] = LocalCache(ttl=60)
    cache.put(("tenant", "conn-1"), "a")
    cache.put(("tenant", "conn-2"), "b")
    cache.drop_connection("conn-1")
    assert cache.get(("tenant", "conn-1")) is None and cache.get(("tenant", "conn-2")) == "b"


async def test_a_zero_ttl_cache_never_serves_stale() -> None:
    cache: LocalCache[str] = LocalCache(ttl=0.0)
    cache.put("k", "v")
    await asyncio.sleep(0.001)
    assert cache.get("k") is None
