"""BudgetService: the catalogue's limits, counted per provider account in Redis (``core.budgets``)."""

from __future__ import annotations

from typing import Any

from connector.v1 import budget_pb2 as pb
from connector.v1 import budget_pb2_grpc, common_pb2
from core import providers
from core.budgets import Budgets, Policy, Priority, retry_after_from
from core.changes import LocalCache
from core.connections import ConnectionRecord, Connections
from core.errors import BudgetExhausted, InvalidArgument
from core.providers.model import RateLimit
from core.services import convert
from core.services.rpc import rpc
from core.tenancy import parse_id
from core.usage import UsageStats

MAX_WAIT = 60.0


def budget_scope(record: ConnectionRecord, limit: RateLimit) -> str:
    """Who the provider counts: a Zoho organisation, a ShipStation key, an Amazon seller, else the connection."""
    account = {
        "organization": record.params.get("organization_id"),
        "api_key": record.params.get("api_key"),
        "operation": record.params.get("selling_partner_id"),
    }.get(limit.scope)
    return f"{record.provider}:{limit.scope}:{account or record.id}"


def policy(limit: RateLimit, time_scale: float = 1.0) -> Policy:
    """The bucket that keeps us inside the provider's limit; ``time_scale`` follows a compressed clock.

    Against a fixed window any span of ``per`` seconds may hold ``burst + rate * per`` calls, so the rate is
    what the window allows less the burst and the headroom (Zoho: 2 + 97 of 100 a minute).
    """
    per = limit.per / time_scale
    if limit.window == "fixed":
        burst = limit.burst or 1
        return Policy(rate=max(limit.limit - burst - limit.headroom, 1), per=per, burst=burst)
    return Policy(rate=limit.limit, per=per, burst=limit.burst or max(1, int(limit.limit)))


class BudgetService(budget_pb2_grpc.BudgetServiceServicer):
    def __init__(self, connections: Connections, budgets: Budgets, usage: UsageStats, time_scale: float = 1.0) -> None:
        self.connections, self.budgets, self.usage, self.time_scale = connections, budgets, usage, time_scale
        self._records: LocalCache[ConnectionRecord] = (
            connections.changes.cache(5.0) if connections.changes else LocalCache(0.0)
        )

    async def _limit(self, tenant_id: str, connection_id: str, bucket: str) -> tuple[ConnectionRecord, RateLimit]:
        key = (parse_id(tenant_id, "tenant_id"), parse_id(connection_id, "connection_id"))
        record = self._records.get(key)
        if record is None:
            record = await self.connections.get(*key)
            self._records.put(key, record)
        limits = {rl.bucket: rl for rl in providers.get(record.provider).rate_limits}
        limit = limits.get(bucket or "api")
        if limit is None:
            raise InvalidArgument.one("bucket", f"{record.provider} has buckets {', '.join(limits)}, not {bucket!r}")
        return record, limit

    @rpc
    async def AcquireBudget(self, request: pb.AcquireBudgetRequest, context: Any) -> pb.AcquireBudgetResponse:
        record, limit = await self._limit(request.tenant_id, request.connection_id, request.bucket)
        max_wait = request.max_wait.ToNanoseconds() / 1e9 if request.HasField("max_wait") else 0.0
        if not 0 <= max_wait <= MAX_WAIT:
            raise InvalidArgument.one("max_wait", f"must be between 0 and {MAX_WAIT:.0f} seconds")
        priority = Priority.BACKFILL if request.priority == common_pb2.PRIORITY_BACKFILL else Priority.LIVE
        try:
            grant = await self.budgets.acquire(
                budget_scope(record, limit),
                limit.bucket,
                policy(limit, self.time_scale),
                cost=request.cost or 1,
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
        return pb.AcquireBudgetResponse(delay=convert.duration(grant.delay), remaining=grant.remaining)

    @rpc
    async def ReportUsage(self, request: pb.ReportUsageRequest, context: Any) -> pb.ReportUsageResponse:
        record, limit = await self._limit(request.tenant_id, request.connection_id, request.bucket)
        await self.usage.answered(str(record.id), request.http_status)
        headers = providers.get(record.provider).rate_headers
        given = dict(request.headers)
        remaining = retry_after_from(given, (headers.remaining,))
        retry = retry_after_from(given, (headers.retry_after, headers.reset))
        level = await self.budgets.report(
            budget_scope(record, limit),
            limit.bucket,
            policy(limit, self.time_scale),
            status=request.http_status,
            retry_after=retry,
            remaining=remaining,
        )
        return pb.ReportUsageResponse(remaining=level)


def daily_capacity(provider: str) -> float:
    """Units a connection may take in a day at the catalogue's main limit (for "budget used today")."""
    limits = providers.get(provider).rate_limits
    main = next((rl for rl in limits if rl.bucket == "api"), limits[0])
    return main.limit * 86400 / main.per
