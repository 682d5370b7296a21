"""Metering: every provider call — a worker's or the core's own — takes its units from the shared budget
of the provider account it counts against, and reports the answer back.

    budget_scope(record, limit)  who the provider counts (a Zoho organisation, a ShipStation key, ...)
    policy(limit, time_scale)    the token bucket that keeps us inside the provider's limit
    Metering.acquire / report    for calls about to be made / just answered
    Metering.charge              for a call made before its account was known (Zoho's organisation lookup)
"""

from __future__ import annotations

import asyncio
import functools
import math

from core import providers
from core.budgets import Budgets, Grant, Policy, Priority, retry_after_from
from core.connections import ConnectionRecord
from core.errors import BudgetExhausted, InvalidArgument
from core.providers.model import RateLimit
from core.usage import UsageStats


def budget_scope(record: ConnectionRecord, limit: RateLimit) -> str:
    """Who the provider counts (``RateLimit.scope``): one Zoho organisation, one ShipStation key... else the
    connection itself — also while the account is not known yet."""
    account = record.params.get(limit.scope)
    return f"{record.provider}:{limit.scope}:{account or record.id}"


JITTER = 0.1
"""Real seconds by which a call may reach the provider later than its neighbours (a first connection, a
busy event loop). The provider counts arrivals, we count grants: the headroom must cover the difference."""


@functools.lru_cache(maxsize=256)
def policy(limit: RateLimit, time_scale: float = 1.0) -> Policy:
    """The bucket that keeps us inside the provider's limit; ``time_scale`` follows a compressed clock.

    Against a fixed window any span of ``per`` seconds may hold ``burst + rate * per`` calls, so the rate is
    what the window allows less the burst and the headroom: the catalogue's, or the calls that ``JITTER``
    amounts to, whichever is more (Zoho in real time: 2 + 97 of 100 a minute).
    """
    per = limit.per / time_scale
    if limit.window == "fixed":
        burst = limit.burst or 1
        jitter_calls = math.ceil(limit.limit / per * JITTER)
        headroom = max(limit.headroom, jitter_calls)
        return Policy(rate=max(limit.limit - burst - headroom, 1), per=per, burst=burst)
    return Policy(rate=limit.limit, per=per, burst=limit.burst or max(1, int(limit.limit)))


def daily_capacity(provider: str) -> float:
    """Units a connection may take in a day at the catalogue's main limit (for "budget used today")."""
    rate_limits = providers.get(provider).rate_limits
    main = next((rl for rl in rate_limits if rl.bucket == "api"), rate_limits[0])
    return main.limit * 86400 / main.per


class Metering:
    def __init__(self, budgets: Budgets, usage: UsageStats, time_scale: float = 1.0) -> None:
        self.budgets, self.usage, self.time_scale = budgets, usage, time_scale

    @staticmethod
    def limit(record: ConnectionRecord, bucket: str) -> RateLimit:
        limits = providers.get(record.provider).limits
        limit = limits.get(bucket or "api")
        if limit is None:
            raise InvalidArgument.one("bucket", f"{record.provider} has buckets {', '.join(limits)}, not {bucket!r}")
        return limit

    async def acquire(
        self,
        record: ConnectionRecord,
        bucket: str,
        *,
        cost: int = 1,
        priority: Priority = Priority.LIVE,
        max_wait: float = 0.0,
    ) -> Grant:
        """Granted (perhaps after ``delay``), or BudgetExhausted with the time to retry."""
        limit = self.limit(record, bucket)
        try:
            grant = await self.budgets.acquire(
                budget_scope(record, limit),
                limit.bucket,
                policy(limit, self.time_scale),
                cost=cost,
                priority=priority,
                max_wait=max_wait,
                count_into=self.usage.units_key(str(record.id)),
            )
        except ValueError as exc:
            raise InvalidArgument.one("cost", str(exc)) from None
        if not grant.granted:
            raise BudgetExhausted(
                f"{record.display_name}: {limit.bucket} budget exhausted; retry in {grant.retry_after:.2f} s",
                grant.retry_after,
            )
        return grant

    async def wait_turn(self, record: ConnectionRecord, bucket: str = "api", max_wait: float = 30.0) -> None:
        """For the core's own calls: take a unit and sleep until it is ours."""
        grant = await self.acquire(record, bucket, max_wait=max_wait)
        await asyncio.sleep(grant.delay)

    async def charge(self, record: ConnectionRecord, bucket: str = "api", cost: int = 1) -> None:
        """Book units for a call already made, so the calls after it leave room for it (never refused)."""
        await self.acquire(record, bucket, cost=cost, max_wait=math.inf)

    async def report(self, record: ConnectionRecord, bucket: str, status: int, headers: dict[str, str]) -> float:
        limit = self.limit(record, bucket)
        names = providers.get(record.provider).rate_headers
        remaining = retry_after_from(headers, (names.remaining,))
        retry = retry_after_from(headers, (names.retry_after, names.reset))
        if retry is not None:
            retry /= self.time_scale  # the provider's seconds: a compressed clock's, when the sandbox runs one
        return await self.budgets.report(
            budget_scope(record, limit),
            limit.bucket,
            policy(limit, self.time_scale),
            status=status,
            retry_after=retry,
            remaining=remaining,
            count_into=self.usage.calls_key(str(record.id)),
        )
