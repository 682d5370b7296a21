"""The served side of ``bench.core_throughput``, in its own process so the load generator's work does not
slow the servers: a bare grpc.aio echo service and the core, with one tenant and one connection.

    python -m bench.core_server READY_FILE      writes ports and ids there, serves until SIGTERM
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import grpc

from connector.v1 import common_pb2, connection_pb2, connection_pb2_grpc, tenant_pb2, tenant_pb2_grpc, token_pb2
from connectors.core_client import Authed
from connectors.settings import Settings
from core.server import start
from core.vault import Keyring
from tenants.migrate import drop_database_async, ensure_database, migrate

TOKEN = "b" * 32


async def _echo_server() -> tuple[grpc.aio.Server, int]:
    """The baseline: a grpc.aio service that answers each call with its own request message and does nothing
    else (no interceptor, no lookup), so the core's ratio to it is the price of the core's own work."""

    async def echo(request: token_pb2.GetAccessTokenRequest, context: Any) -> token_pb2.GetAccessTokenRequest:
        return request

    method = grpc.unary_unary_rpc_method_handler(
        echo,
        request_deserializer=token_pb2.GetAccessTokenRequest.FromString,
        response_serializer=token_pb2.GetAccessTokenRequest.SerializeToString,
    )
    handler = grpc.method_handlers_generic_handler("bench.Echo", {"Echo": method})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


async def main(ready: Path) -> None:
    base = Settings.from_env()
    url = f"{base.database_url.rsplit('/', 1)[0]}/connectors_bench_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=url,
        redis_url=base.redis_url,
        service_tokens=f"bench:{TOKEN}",
        master_keys=Keyring.generate_entry("b1"),
        # A budget that never runs dry, so the bench measures the service rather than ShipStation's limit.
        budget_time_scale=1e6,
        budget_linger_ms=base.budget_linger_ms,  # as configured (CONNECTORS_BUDGET_LINGER_MS)
    )
    await ensure_database(url)
    await asyncio.to_thread(migrate, settings)
    echo, echo_port = await _echo_server()
    core = await start(settings, "127.0.0.1:0")
    # A replica that sends every budget call to Redis at once, to show what lingering buys.
    eager = await start(dataclasses.replace(settings, budget_linger_ms=0), "127.0.0.1:0")
    try:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{core.port}")
        meta = (("authorization", f"Bearer {TOKEN}"),)
        tenants = Authed(tenant_pb2_grpc.TenantServiceStub(channel), meta)
        tenant = (await tenants.CreateTenant(tenant_pb2.CreateTenantRequest(slug="bench", name="Bench"))).tenant
        connections = Authed(connection_pb2_grpc.ConnectionServiceStub(channel), meta)
        request = connection_pb2.CreateConnectionRequest(
            tenant_id=tenant.tenant_id,
            provider=common_pb2.PROVIDER_SHIPSTATION,
            region="us",
            environment=common_pb2.ENVIRONMENT_SANDBOX,
            credentials=connection_pb2.Credentials(
                api_key=connection_pb2.ApiKeyCredentials(api_key="k", api_secret="s")
            ),
        )
        connection = (await connections.CreateConnection(request)).connection
        await channel.close()
        ready.write_text(
            json.dumps(
                {
                    "echo_port": echo_port,
                    "core_port": core.port,
                    "eager_core_port": eager.port,
                    "token": TOKEN,
                    "tenant_id": tenant.tenant_id,
                    "connection_id": connection.connection_id,
                }
            )
        )
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
    finally:
        await core.stop(0)
        await eager.stop(0)
        await echo.stop(0)
        await drop_database_async(url)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
