"""What the portal process holds open while it runs, shared by its domain slices, and the slice contract.

The portal is one Litestar app made of domain slices (the webhook ingress now; merchants' pages, login and
support later). Each slice is a module exposing a ``Slice``: its router and what it keeps on the app's
state, built from the shared ``Resources`` at startup:

    engine, sessions    PostgreSQL as the application role (row-level security; one tenant per transaction)
    queue               an arq pool on Redis, to enqueue work for the workers
    core                a gRPC channel to the core, with the portal's service token as call metadata;
                        ``stub(ServiceStub)`` gives a stub whose calls carry it
    sessions_store      people's sessions (Redis), ``throttle`` their failed logins

The portal never decrypts credentials and holds no secret but its own service token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from litestar import Router
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from connectors.core_client import Authed
from connectors.settings import Settings
from portal.security.sessions import SessionStore
from portal.security.throttle import LoginThrottle
from portal.settings import PortalConfig
from tenants.db import make_app_engine, make_sessions

log = structlog.get_logger("portal")

Metadata = tuple[tuple[str, str], ...]

CORE_TIMEOUT = 15.0
"""Seconds a page waits for the core before it answers 504 (a dry-run replay waits on a worker)."""

DB_POOL_SIZE = 10
DB_MAX_OVERFLOW = 10
"""Connections to PostgreSQL per portal process: each request holds one only for a short transaction, and
the server's connection limit is shared with the core and the workers."""


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    queue: ArqRedis
    core: grpc.aio.Channel
    core_metadata: Metadata
    """``authorization: Bearer <portal token>``: pass it with every call to the core."""
    config: PortalConfig
    sessions_store: SessionStore
    throttle: LoginThrottle
    _stubs: dict[Any, Any] = field(default_factory=dict)

    def stub(self, factory: Any) -> Any:
        """A stub of one core service (``record_pb2_grpc.RecordServiceStub``) whose calls carry the token."""
        if factory not in self._stubs:
            self._stubs[factory] = Authed(factory(self.core), self.core_metadata, CORE_TIMEOUT)
        return self._stubs[factory]

    async def close(self) -> None:
        """Close everything, each step even when an earlier one fails."""
        try:
            await self.core.close()
        finally:
            try:
                await self.queue.aclose()
            finally:
                await self.engine.dispose()


async def _queue(settings: Settings) -> ArqRedis:
    """The arq pool. When Redis is down at startup the portal still starts (webhooks are stored, and the
    sweeper enqueues stored events later): the pool then connects on first use."""
    redis_settings = RedisSettings.from_dsn(settings.redis_url)
    redis_settings.conn_retries = 0  # arq would otherwise wait 5 s at startup before giving up
    try:
        return await create_pool(redis_settings)
    except (OSError, RedisError) as exc:
        log.warning("redis unreachable at startup; enqueueing will retry per request", error=str(exc))
        return ArqRedis(
            host=redis_settings.host,
            port=redis_settings.port,
            db=redis_settings.database,
            username=redis_settings.username,
            password=redis_settings.password,
            socket_connect_timeout=redis_settings.conn_timeout,
            encoding="utf8",
        )


async def open_resources(settings: Settings, core_token: str, config: PortalConfig | None = None) -> Resources:
    """Open the database engine, the arq pool and the core channel (closing what opened if one fails)."""
    # hide_parameters: a database error's message must not carry a webhook's body or headers into the logs.
    engine = make_app_engine(settings, pool_size=DB_POOL_SIZE, max_overflow=DB_MAX_OVERFLOW, hide_parameters=True)
    try:
        queue = await _queue(settings)
    except BaseException:
        await engine.dispose()
        raise
    channel = grpc.aio.insecure_channel(settings.core_addr)
    config = config or PortalConfig.from_env(settings)
    return Resources(
        config=config,
        sessions_store=SessionStore(
            queue, idle_seconds=config.idle_minutes * 60, absolute_seconds=config.absolute_hours * 3600
        ),
        throttle=LoginThrottle(queue, config.login_failures_per_hour),
        settings=settings,
        engine=engine,
        sessions=make_sessions(engine),
        queue=queue,
        core=channel,
        core_metadata=(("authorization", f"Bearer {core_token}"),),
    )


@dataclass(frozen=True)
class Slice:
    """One domain slice of the portal: its routes, and what it keeps on ``app.state`` once resources are open."""

    name: str
    router: Router
    bind: Callable[[Resources], Mapping[str, object]]

    @classmethod
    def of_pages_and_api(cls, name: str, pages: Sequence[Any], api: Mapping[str, Sequence[Any]]) -> Slice:
        """A slice of server-rendered pages (kept out of the OpenAPI schema) and, under ``/api/v1``, its JSON
        routes by OpenAPI tag; nothing of its own on ``app.state``."""
        routers = [Router("/", route_handlers=list(pages), include_in_schema=False)]
        routers += [Router("/api/v1", route_handlers=list(handlers), tags=[tag]) for tag, handlers in api.items()]
        return cls(name, Router("/", route_handlers=routers), lambda resources: {})
