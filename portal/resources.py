"""What the portal process holds open while it runs, shared by its domain slices, and the slice contract.

The portal is one Litestar app made of domain slices (the webhook ingress now; merchants' pages, login and
support later). Each slice is a module exposing a ``Slice``: its router and what it keeps on the app's
state, built from the shared ``Resources`` at startup:

    engine, sessions    PostgreSQL as the application role (row-level security; one tenant per transaction)
    inbox               a plain asyncpg pool, as the same role, for the ingress's one-statement insert
    queue               an arq pool on Redis, to enqueue work for the workers; ``jobs`` enqueues the
                        ingress's jobs in one round trip each
    changes, verifiers  the connection change feed, and the webhook verifiers it keeps fresh
    core                a gRPC channel to the core, with the portal's service token as call metadata;
                        ``stub(ServiceStub)`` gives a stub whose calls carry it
    sessions_store      people's sessions (Redis), ``throttle`` their failed logins

The portal never decrypts credentials and holds no provider secret: besides its own service token it keeps
only webhook verifiers in memory for a while, as the core allows (``portal.verifiers``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import grpc
import structlog
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from litestar import Router
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from connector.v1 import webhook_pb2_grpc
from connectors.changes import ChangeFeed
from connectors.core_client import Authed
from connectors.jobs import JobQueue
from connectors.redis_wire import RedisWire
from connectors.settings import Settings
from portal.security.sessions import SessionStore
from portal.security.throttle import LoginThrottle
from portal.settings import PortalConfig
from portal.verifiers import Verifiers
from tenants.db import make_app_engine, make_sessions
from workers.queue import QUEUE

log = structlog.get_logger("portal")

Metadata = tuple[tuple[str, str], ...]

CORE_TIMEOUT = 15.0
"""Seconds a page waits for the core before it answers 504 (a dry-run replay waits on a worker)."""

DB_POOL_SIZE = 16
DB_MAX_OVERFLOW = 4
"""Connections to PostgreSQL per portal process: each request holds one only for a short transaction, and
the server's connection limit is shared with the core and the workers. Little overflow: a burst waits a
moment for a pooled connection, where overflow would open and close one per request (a connection costs more
than dozens of inserts)."""
INBOX_POOL_SIZE = 8
"""Connections of the ingress's own pool (each held for one statement)."""
VERIFY_TIMEOUT = 5.0
"""Seconds the ingress waits for the core's verifier before it answers 503 (the provider retries)."""


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    inbox: asyncpg.Pool
    queue: ArqRedis
    jobs: JobQueue
    changes: ChangeFeed
    verifiers: Verifiers
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
        await _close_all([self.changes.stop, self.core.close, self.jobs.close, self.queue.aclose, self.inbox.close])
        await self.engine.dispose()


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    """The inbox pool's connections run one statement whose setting ends with it: nothing outlives a use, so
    the round trip asyncpg spends resetting a released connection is saved."""


async def _close_all(closers: Sequence[Callable[[], Awaitable[object]]]) -> None:
    """Run every closer, even after one fails; then raise the first failure."""
    failure: BaseException | None = None
    for close in closers:
        try:
            await close()
        except BaseException as exc:
            failure = failure or exc
    if failure is not None:
        raise failure


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
    """Open the database engine and pool, the arq pool, the change feed and the core channel (closing what
    opened if one fails). Neither PostgreSQL nor Redis need be up yet: each is connected to on first use."""
    # hide_parameters: a database error's message must not carry a webhook's body or headers into the logs.
    engine = make_app_engine(settings, pool_size=DB_POOL_SIZE, max_overflow=DB_MAX_OVERFLOW, hide_parameters=True)
    dsn = make_url(settings.app_url).set(drivername="postgresql").render_as_string(False)
    opened: list[Callable[[], Awaitable[object]]] = [engine.dispose]
    try:
        inbox = await asyncpg.create_pool(dsn, min_size=0, max_size=INBOX_POOL_SIZE, reset=_nothing_to_reset)
        opened.append(inbox.close)
        queue = await _queue(settings)
        opened.append(queue.aclose)
        changes = ChangeFeed(queue)
        await changes.start(wait=0)  # the portal serves while Redis is down; the feed subscribes when it can
        opened.append(changes.stop)
    except BaseException:
        await _close_all(opened[::-1])
        raise
    channel = grpc.aio.insecure_channel(settings.core_addr)
    metadata = (("authorization", f"Bearer {core_token}"),)
    config = config or PortalConfig.from_env(settings)
    webhooks = webhook_pb2_grpc.WebhookServiceStub(channel)
    return Resources(
        config=config,
        sessions_store=SessionStore(
            queue, idle_seconds=config.idle_minutes * 60, absolute_seconds=config.absolute_hours * 3600
        ),
        throttle=LoginThrottle(queue, config.login_failures_per_hour),
        settings=settings,
        engine=engine,
        sessions=make_sessions(engine),
        inbox=inbox,
        queue=queue,
        jobs=JobQueue(RedisWire(queue), QUEUE),
        changes=changes,
        verifiers=Verifiers(webhooks, metadata, changes, VERIFY_TIMEOUT),
        core=channel,
        core_metadata=metadata,
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
