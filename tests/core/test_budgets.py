"""Shared budgets on the real Redis: many callers, one bucket; live work before backfills; 429s obeyed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from connectors.settings import Settings
from core.budgets import Budgets, Policy, Priority, retry_after_from


@pytest.fixture
async def budgets() -> AsyncIterator[tuple[Budgets, str]]:
    redis = Redis.from_url(Settings.from_env().redis_url)
    scope = f"test-{uuid.uuid4().hex}"
    budgets = Budgets(redis)
    yield budgets, scope
    await budgets.close()
    keys = [k async for k in redis.scan_iter(match=f"*{scope}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_concurrent_callers_never_exceed_the_burst(budgets: tuple[Budgets, str]) -> None:
    b, scope = budgets
    policy = Policy(rate=40, per=60, burst=40)
    grants = await asyncio.gather(*(b.acquire(scope, "api", policy) for _ in range(100)))
    assert sum(g.granted for g in grants) == 40
    refused = [g for g in grants if not g.granted]
    assert all(0 < g.retry_after <= 1.6 for g in refused)


async def test_a_caller_willing_to_wait_is_booked_a_slot_instead_of_refused(budgets: tuple[Budgets, str]) -> None:
    b, scope = budgets
    policy = Policy(rate=10, per=1, burst=2)
    first = [await b.acquire(scope, "api", policy, max_wait=5) for _ in range(5)]
    assert all(g.granted for g in first)
    delays = [g.delay for g in first]
    assert delays[:2] == [0.0, 0.0]
    assert delays[2] == pytest.approx(0.1, abs=0.02) and delays[4] == pytest.approx(0.3, abs=0.03)


async def test_backfills_leave_the_reserve_to_live_events(budgets: tuple[Budgets, str]) -> None:
    b, scope = budgets
    policy = Policy(rate=100, per=60, burst=100, reserve=0.2)
    backfill = [await b.acquire(scope, "api", policy, priority=Priority.BACKFILL) for _ in range(100)]
    assert sum(g.granted for g in backfill) == 80
    live = [await b.acquire(scope, "api", policy, priority=Priority.LIVE) for _ in range(20)]
    assert all(g.granted for g in live)


async def test_a_429_empties_the_bucket_until_the_providers_reset(budgets: tuple[Budgets, str]) -> None:
    b, scope = budgets
    policy = Policy(rate=40, per=60, burst=40)
    assert (await b.acquire(scope, "api", policy)).granted
    await b.report(scope, "api", policy, status=429, retry_after=30)
    refused = await b.acquire(scope, "api", policy)
    assert not refused.granted and refused.retry_after == pytest.approx(30, abs=0.5)


async def test_a_remaining_header_lowers_the_bucket(budgets: tuple[Budgets, str]) -> None:
    b, scope = budgets
    policy = Policy(rate=40, per=60, burst=40)
    level = await b.report(scope, "api", policy, status=200, remaining=3)
    assert level == pytest.approx(3, abs=0.1)
    grants = [await b.acquire(scope, "api", policy) for _ in range(5)]
    assert [g.granted for g in grants] == [True, True, True, False, False]


async def test_buckets_of_different_connections_are_independent(budgets: tuple[Budgets, str]) -> None:
    b, scope = budgets
    policy = Policy(rate=1, per=60, burst=1)
    assert (await b.acquire(scope + ":a", "api", policy)).granted
    assert (await b.acquire(scope + ":b", "api", policy)).granted
    assert not (await b.acquire(scope + ":a", "api", policy)).granted


def test_retry_after_is_read_from_the_providers_headers() -> None:
    headers = {"X-Rate-Limit-Reset": "17", "retry-after": "nonsense"}
    assert retry_after_from(headers, ("Retry-After", "X-Rate-Limit-Reset")) == 17
    assert retry_after_from({}, ("Retry-After",)) is None


async def test_budgets_survive_redis_forgetting_its_scripts(budgets: tuple[Budgets, str]) -> None:
    b, scope = budgets
    policy = Policy(rate=40, per=60, burst=40)
    assert (await b.acquire(scope, "api", policy)).granted
    await b.redis.script_flush()
    grants = await asyncio.gather(*(b.acquire(scope, "api", policy) for _ in range(5)))
    assert all(g.granted for g in grants)
    assert grants[-1].remaining == pytest.approx(34, abs=0.1)  # exactly six units taken, none twice
