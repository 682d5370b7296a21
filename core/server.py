"""The core's gRPC server: the connector.v1 services, grpc.health.v1, reflection, service-token auth."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
from arq.connections import RedisSettings, create_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from redis.asyncio import Redis

from connector.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    budget_pb2,
    budget_pb2_grpc,
    connection_pb2,
    connection_pb2_grpc,
    record_pb2,
    record_pb2_grpc,
    settings_pb2,
    settings_pb2_grpc,
    sync_pb2,
    sync_pb2_grpc,
    tenant_pb2,
    tenant_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
    webhook_pb2,
    webhook_pb2_grpc,
)
from connectors.changes import ChangeFeed
from connectors.settings import Settings
from core import providers
from core.auth import parse_tokens, require_token
from core.budgets import Budgets
from core.connections import Connections
from core.health import Health
from core.metering import Metering
from core.oauth import OAuthFlow
from core.services.audit import AuditService
from core.services.budgets import BudgetService
from core.services.connections import ConnectionService
from core.services.records import RecordService
from core.services.settings import SettingsService
from core.services.sync import SyncService
from core.services.tenants import TenantService
from core.services.tokens import TokenService
from core.services.webhooks import WebhookService
from core.tenancy import Tenants
from core.tokens.manager import TokenManager
from core.usage import UsageStats
from core.vault import Keyring, Vault
from tenants.db import make_app_engine, make_sessions


@dataclass
class Core:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    tokens: TokenManager
    closers: list[Any]

    async def stop(self, grace: float = 5.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        for close in self.closers:
            await close()


async def start(settings: Settings, addr: str | None = None) -> Core:
    """Build and start the core; ``addr`` may use port 0 for a free port (tests)."""
    tokens = parse_tokens(settings.service_tokens)
    if not tokens:
        raise ValueError("CONNECTORS_SERVICE_TOKENS is empty: callers could not authenticate")
    vault = Vault(Keyring.parse(settings.master_keys))
    providers.override_limits(settings.rate_limits)
    engine = make_app_engine(settings, pool_size=24, max_overflow=8)  # overflow opens a connection per checkout
    sessions = make_sessions(engine)
    redis = Redis.from_url(settings.redis_url)
    http = httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0))
    tenants = Tenants(sessions, vault)
    changes = ChangeFeed(redis)
    await changes.start()
    connections = Connections(sessions, vault, tenants, settings, changes)
    usage = UsageStats(redis)
    budgets = Budgets(redis, linger=settings.budget_linger_ms / 1000)
    metering = Metering(budgets, usage, settings.budget_time_scale)
    token_manager = TokenManager(connections, redis, http, metering=metering)
    queue = await create_pool(RedisSettings.from_dsn(settings.redis_url))

    server = grpc.aio.server()
    servicers: list[tuple[Any, str, Callable[[Any, grpc.aio.Server], None], object]] = [
        (tenant_pb2, "TenantService", tenant_pb2_grpc.add_TenantServiceServicer_to_server, TenantService(tenants)),
        (
            connection_pb2,
            "ConnectionService",
            connection_pb2_grpc.add_ConnectionServiceServicer_to_server,
            ConnectionService(
                connections,
                Health(connections, token_manager, http, metering),
                OAuthFlow(connections, http, settings),
                usage,
            ),
        ),
        (token_pb2, "TokenService", token_pb2_grpc.add_TokenServiceServicer_to_server, TokenService(token_manager)),
        (
            budget_pb2,
            "BudgetService",
            budget_pb2_grpc.add_BudgetServiceServicer_to_server,
            BudgetService(connections, metering),
        ),
        (
            webhook_pb2,
            "WebhookService",
            webhook_pb2_grpc.add_WebhookServiceServicer_to_server,
            WebhookService(connections),
        ),
        (sync_pb2, "SyncService", sync_pb2_grpc.add_SyncServiceServicer_to_server, SyncService(sessions, queue)),
        (
            record_pb2,
            "RecordService",
            record_pb2_grpc.add_RecordServiceServicer_to_server,
            RecordService(sessions, queue),
        ),
        (
            settings_pb2,
            "SettingsService",
            settings_pb2_grpc.add_SettingsServiceServicer_to_server,
            SettingsService(sessions),
        ),
        (audit_pb2, "AuditService", audit_pb2_grpc.add_AuditServiceServicer_to_server, AuditService(sessions)),
    ]
    services = []
    for module, name, add, servicer in servicers:
        descriptor = module.DESCRIPTOR.services_by_name[name]
        add(require_token(servicer, descriptor, tokens), server)
        services.append(descriptor.full_name)
    health_servicer = health.aio.HealthServicer()  # open to probes, as is reflection
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [*services, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME]
    reflection.enable_server_reflection(names, server)
    port = server.add_insecure_port(addr or settings.core_addr)
    if port == 0:
        raise OSError(f"cannot listen on {addr or settings.core_addr}")
    await server.start()
    for name in [*services, ""]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    closers = [changes.stop, budgets.close, http.aclose, redis.aclose, queue.aclose, engine.dispose]
    return Core(server, port, health_servicer, token_manager, closers)


async def serve(settings: Settings, ready: asyncio.Event | None = None) -> None:
    core = await start(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"core listening on {settings.core_addr.rsplit(':', 1)[0]}:{core.port}", flush=True)
    if ready:
        ready.set()
    await stop.wait()
    await core.stop()
