"""BudgetService: workers' provider calls metered against the shared budgets (``core.metering``)."""

from __future__ import annotations

from typing import Any

from connector.v1 import budget_pb2 as pb
from connector.v1 import budget_pb2_grpc, common_pb2
from connectors.changes import LocalCache
from core.budgets import Priority
from core.connections import ConnectionRecord, Connections
from core.errors import InvalidArgument
from core.metering import Metering
from core.services import convert
from core.services.rpc import rpc

MAX_WAIT = 60.0


class BudgetService(budget_pb2_grpc.BudgetServiceServicer):
    def __init__(self, connections: Connections, metering: Metering) -> None:
        self.connections, self.metering = connections, metering
        # Connection records change rarely; every replica drops one as soon as it does.
        self._records: LocalCache[ConnectionRecord] = connections.cache()

    async def _record(self, request: convert.ConnectionAddressed) -> ConnectionRecord:
        key = convert.connection_ref(request)
        record = await self._records.get_or_load(key, lambda: self.connections.get(*key))
        assert record is not None  # get() raises NotFound rather than answer None
        return record

    @rpc
    async def AcquireBudget(self, request: pb.AcquireBudgetRequest, context: Any) -> pb.AcquireBudgetResponse:
        record = await self._record(request)
        max_wait = convert.seconds_of(request.max_wait)  # 0 when absent
        if not 0 <= max_wait <= MAX_WAIT:
            raise InvalidArgument.one("max_wait", f"must be between 0 and {MAX_WAIT:.0f} seconds")
        priority = Priority.BACKFILL if request.priority == common_pb2.PRIORITY_BACKFILL else Priority.LIVE
        grant = await self.metering.acquire(
            record, request.bucket, cost=request.cost or 1, priority=priority, max_wait=max_wait
        )
        if grant.delay:
            return pb.AcquireBudgetResponse(delay=convert.duration(grant.delay), remaining=grant.remaining)
        return pb.AcquireBudgetResponse(remaining=grant.remaining)  # no delay: take it now

    @rpc
    async def ReportUsage(self, request: pb.ReportUsageRequest, context: Any) -> pb.ReportUsageResponse:
        record = await self._record(request)
        level = await self.metering.report(record, request.bucket, request.http_status, dict(request.headers))
        return pb.ReportUsageResponse(remaining=level)
