"""One worker process for the shared-budget test: take budget from the core, call Zoho, count answers.

python -m tests.core.budget_worker CORE_ADDR TOKEN TENANT CONNECTION SECONDS
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter

import grpc
import httpx
from google.protobuf.duration_pb2 import Duration

from connector.v1 import budget_pb2, budget_pb2_grpc, common_pb2, token_pb2, token_pb2_grpc


async def main(addr: str, token: str, tenant: str, connection: str, seconds: float) -> dict[str, int]:
    metadata = (("authorization", f"Bearer {token}"),)
    counts: Counter[str] = Counter()
    async with grpc.aio.insecure_channel(addr) as channel, httpx.AsyncClient() as http:
        budgets = budget_pb2_grpc.BudgetServiceStub(channel)
        tokens = token_pb2_grpc.TokenServiceStub(channel)
        credential = await tokens.GetAccessToken(
            token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection), metadata=metadata
        )
        # A warm worker, as in production: the first request's imports and connection cost ~0.2 s, which
        # the compressed clock would magnify into a late arrival that shifts the provider's window.
        await http.get(f"{credential.base_url}/_sandbox/")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                grant = await budgets.AcquireBudget(
                    budget_pb2.AcquireBudgetRequest(
                        tenant_id=tenant,
                        connection_id=connection,
                        bucket="api",
                        cost=1,
                        priority=common_pb2.PRIORITY_LIVE,
                        max_wait=Duration(seconds=5),
                    ),
                    metadata=metadata,
                )
            except grpc.aio.AioRpcError as exc:
                counts[f"budget:{exc.code().name}"] += 1
                continue
            await asyncio.sleep(grant.delay.ToNanoseconds() / 1e9)
            if time.monotonic() >= deadline:
                break
            r = await http.get(
                f"{credential.base_url}/inventory/v1/items",
                params={**credential.params, "per_page": "1"},
                headers={credential.header_name: credential.header_value},
            )
            counts[str(r.status_code)] += 1
            if r.status_code == 429:
                await budgets.ReportUsage(
                    budget_pb2.ReportUsageRequest(
                        tenant_id=tenant,
                        connection_id=connection,
                        bucket="api",
                        http_status=429,
                        headers=dict(r.headers),
                    ),
                    metadata=metadata,
                )
    return dict(counts)


if __name__ == "__main__":
    addr, token, tenant, connection, seconds = sys.argv[1:6]
    print(json.dumps(asyncio.run(main(addr, token, tenant, connection, float(seconds)))))
