"""Connection changes, announced to every core replica, portal and worker so their in-process caches never
serve stale data.

Each core replica keeps recently used connection records and credentials in memory for a few seconds, each
portal its webhook verifiers, and each worker the access tokens the core handed it (``LocalCache``). Whatever
changes a connection (new credentials, a refresh, an invalidation after a provider 401, a move to
needs_reauth, deletion) publishes its id on one Redis channel; every subscriber drops it. The time-to-live is
the safety net should a message be lost, and ``ChangeFeed.live`` says whether the feed is subscribed at all (a
cache must not be trusted while not).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

import structlog
from redis.asyncio import Redis

CHANNEL = "connectors:connection-changes"
log = structlog.get_logger("connectors.changes")

V = TypeVar("V")


class LocalCache(Generic[V]):
    """Values by key for ``ttl`` seconds (or each its own), loaded once however many callers ask meanwhile."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[Hashable, tuple[float, V]] = {}
        """key → (when it expires on the monotonic clock, value)"""
        self._loading: dict[Hashable, asyncio.Future[V | None]] = {}

    async def get_or_load(
        self, key: Hashable, load: Callable[[], Awaitable[V | None]], ttl_of: Callable[[V], float] | None = None
    ) -> V | None:
        """The cached value, else ``load()`` once however many callers ask meanwhile (None is not cached).
        ``ttl_of``: the seconds a loaded value may be kept, when the value says (else the cache's ``ttl``)."""
        value = self.get(key)
        if value is not None:
            return value
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(self._load(key, load, ttl_of))
            self._loading[key] = loading
            loading.add_done_callback(lambda _: self._loading.pop(key, None))
        return await asyncio.shield(loading)

    async def _load(
        self, key: Hashable, load: Callable[[], Awaitable[V | None]], ttl_of: Callable[[V], float] | None
    ) -> V | None:
        value = await load()
        if value is not None:
            self.put(key, value, ttl_of(value) if ttl_of else None)
        return value

    def get(self, key: Hashable) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if time.monotonic() > expires:
            self._items.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: V, ttl: float | None = None) -> None:
        self._items[key] = (time.monotonic() + (self.ttl if ttl is None else ttl), value)

    def discard(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def drop_connection(self, connection_id: str) -> None:
        """Drop every entry whose key is a tuple ending in the connection's id."""
        for key in [k for k in self._items if isinstance(k, tuple) and str(k[-1]) == connection_id]:
            self._items.pop(key, None)


class ChangeFeed:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.caches: list[LocalCache[Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def cache(self, ttl: float) -> LocalCache[Any]:
        cache: LocalCache[Any] = LocalCache(ttl)
        self.caches.append(cache)
        return cache

    def drop_locally(self, connection_id: str) -> None:
        for cache in self.caches:
            cache.drop_connection(connection_id)

    async def changed(self, connection_id: str) -> None:
        self.drop_locally(connection_id)
        await self.redis.publish(CHANNEL, connection_id)

    @property
    def live(self) -> bool:
        """Subscribed now: a change made elsewhere will reach the caches."""
        return self._subscribed.is_set()

    async def start(self, wait: float = 10.0) -> None:
        """Start listening; wait up to ``wait`` seconds to be subscribed (TimeoutError after that, while the
        listener keeps trying; 0 to return at once)."""
        self._task = asyncio.create_task(self._listen())
        if wait > 0:
            await asyncio.wait_for(self._subscribed.wait(), wait)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self.drop_locally(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a lost Redis connection: caches expire by TTL meanwhile; resubscribe
                self._subscribed.clear()
                log.warning("change feed interrupted", error=str(exc))
                for cache in self.caches:
                    cache._items.clear()
                await asyncio.sleep(1)
