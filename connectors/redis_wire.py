"""One pipelined connection to Redis for hot paths (the core's budgets, the ingress's enqueue), speaking RESP
through hiredis' own parser.

Every budget acquire and report, and every job the ingress enqueues, is one EVALSHA (``Script``); redis-py
spends several times the script's own cost per command on its pool, retry and parser layers (``make bench``).
Here a command is packed at once and the commands of one turn of the event loop go out in one write (a
system call per call was half of an acquire's cost), and replies are matched to callers in order, as Redis
guarantees, so any number of calls share one socket with no lock. Everything else goes through redis-py.

With a ``linger``, a busy caller's commands wait to go together: while they come faster than one per half the
linger, each batch is held until the recent pace has brought as many as one linger holds, or for the linger
at most. A write, a wake-up of Redis and a read per batch rather than per command is most of what a busy
core spends on its budgets (``bench.core_throughput``); an occasional command still goes at once.

- The connection is opened on first use from the same settings as the redis-py client (host or unix socket,
  db, username and password, TLS) and opened again after it is lost; calls in flight then fail with
  ``ConnectionError`` — the caller never learns twice whether its script ran.
- A call unanswered for ``timeout`` seconds aborts the connection, failing every call on it.
- Error replies raise redis-py's exceptions (``NoScriptError`` for NOSCRIPT, else ``ResponseError``).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import ssl
import time
from typing import Any

import hiredis
from redis.asyncio import Redis
from redis.asyncio.connection import SSLConnection
from redis.exceptions import ConnectionError, NoScriptError, ResponseError

MAX_BATCH = 128
"""A lingering batch goes out at once when it holds this many commands."""


class _Protocol(asyncio.Protocol):
    def __init__(self, linger: float = 0.0) -> None:
        self.linger = linger
        self.reader = hiredis.Reader()
        self.waiting: collections.deque[tuple[float, asyncio.Future[Any]]] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.lost: Exception | None = None
        self.outgoing: list[bytes] = []
        self.unanswered = 0
        """Commands written whose replies have not all arrived: while any are, new ones wait to go together."""
        self.last_sent = 0.0
        self.gap = 1.0
        """A moving average of the seconds between commands: lingering pays when several come per linger."""
        self._lingering: asyncio.TimerHandle | None = None
        self.batch = MAX_BATCH
        """Lingering ends when this many commands are waiting: what the recent pace brings in one linger."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            _, future = self.waiting.popleft()
            if future.done():  # its caller gave up (a deadline); the reply is still consumed in order
                continue
            if isinstance(reply, hiredis.ReplyError):
                message = str(reply)
                future.set_exception(
                    NoScriptError(message) if message.startswith("NOSCRIPT") else ResponseError(message)
                )
            else:
                future.set_result(reply)
        self.unanswered = len(self.waiting) - len(self.outgoing)
        if self.unanswered == 0 and self.outgoing:
            if self._busy and len(self.outgoing) < self.batch:
                # The commands held meanwhile wait for the rest of their batch, counted from the first of them.
                self._linger_from(self.waiting[len(self.waiting) - len(self.outgoing)][0])
            else:
                self.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or ConnectionError("Redis closed the connection")
        while self.waiting:
            _, future = self.waiting.popleft()
            if not future.done():
                future.set_exception(ConnectionError(f"lost the connection to Redis: {self.lost}"))

    def send(self, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """Queue the command. It goes out at the end of this turn of the event loop with every other command
        queued meanwhile, or when lingering ends — or, while earlier commands await their replies, as soon as
        the last of those arrives (a busy caller's commands go in batches, one write and one read each)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        now = time.monotonic()
        self.gap += (min(now - self.last_sent, 1.0) - self.gap) / 8
        self.last_sent = now
        if not self.outgoing and not self.unanswered:
            if self._busy:
                self.batch = min(int(self.linger / max(self.gap, 1e-6)), MAX_BATCH)
                self._linger_from(now)
            else:
                self.batch = MAX_BATCH
                loop.call_soon(self.flush)
        self.outgoing.append(hiredis.pack_command(args))
        self.waiting.append((now, future))
        if len(self.outgoing) >= self.batch and not self.unanswered:
            self.flush()
        return future

    @property
    def _busy(self) -> bool:
        """Commands come faster than one per half the linger: lingering gathers several per write."""
        return self.gap < self.linger / 2

    def _linger_from(self, since: float) -> None:
        """Send what is waiting ``linger`` seconds after ``since`` (sooner if the batch fills)."""
        if self._lingering is None:
            wait = max(0.0, since + self.linger - time.monotonic())
            self._lingering = asyncio.get_running_loop().call_later(wait, self.flush)

    def flush(self) -> None:
        assert self.transport is not None
        if self._lingering is not None:
            self._lingering.cancel()
            self._lingering = None
        commands, self.outgoing = self.outgoing, []
        if self.lost is None and commands:
            self.unanswered += len(commands)
            self.transport.write(b"".join(commands))


class RedisWire:
    def __init__(self, redis: Redis, timeout: float = 5.0, linger: float = 0.0) -> None:
        self.settings: dict[str, Any] = dict(redis.connection_pool.connection_kwargs)
        self.tls = issubclass(redis.connection_pool.connection_class, SSLConnection)
        self.timeout, self.linger = timeout, linger
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future[_Protocol] | None = None
        self._watch: asyncio.TimerHandle | None = None

    async def call(self, *args: Any) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            protocol = await self._connect()
        future = protocol.send(args)
        if self._watch is None:
            self._watch = asyncio.get_running_loop().call_later(self.timeout / 2, self._check)
        return await future

    def _check(self) -> None:
        """Abort the connection if its oldest call has waited longer than the timeout."""
        self._watch = None
        protocol = self._protocol
        if protocol is None or protocol.lost is not None or not protocol.waiting:
            return
        sent, _ = protocol.waiting[0]
        if time.monotonic() - sent > self.timeout:
            protocol.connection_lost(TimeoutError(f"no reply from Redis in {self.timeout:.0f} s"))
            assert protocol.transport is not None
            protocol.transport.abort()
            return
        self._watch = asyncio.get_running_loop().call_later(self.timeout / 2, self._check)

    async def _connect(self) -> _Protocol:
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._open())
        connecting = self._connecting
        try:
            protocol = await asyncio.shield(connecting)
        finally:
            if self._connecting is connecting and connecting.done():
                self._connecting = None
        self._protocol = protocol
        return protocol

    def _new_protocol(self) -> _Protocol:
        return _Protocol(self.linger)

    async def _open(self) -> _Protocol:
        s = self.settings
        loop = asyncio.get_running_loop()
        try:
            if s.get("path"):
                _, protocol = await asyncio.wait_for(
                    loop.create_unix_connection(self._new_protocol, s["path"]), self.timeout
                )
            else:
                tls = ssl.create_default_context() if self.tls else None
                _, protocol = await asyncio.wait_for(
                    loop.create_connection(
                        self._new_protocol, s.get("host", "localhost"), s.get("port", 6379), ssl=tls
                    ),
                    self.timeout,
                )
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(f"cannot reach Redis: {exc}") from exc
        setup: list[asyncio.Future[Any]] = []
        if s.get("password"):
            auth = ("AUTH", s["username"], s["password"]) if s.get("username") else ("AUTH", s["password"])
            setup.append(protocol.send(auth))
        if s.get("db"):
            setup.append(protocol.send(("SELECT", s["db"])))
        await asyncio.wait_for(asyncio.gather(*setup), self.timeout)
        return protocol

    async def close(self) -> None:
        if self._watch:
            self._watch.cancel()
            self._watch = None
        if self._protocol and self._protocol.transport:
            self._protocol.flush()  # a lingering batch goes first; replies not read fail their callers
            self._protocol.transport.close()
        self._protocol = None


class Script:
    """A Lua script run by EVALSHA over a ``RedisWire``, loaded again should Redis have forgotten it (a
    restart, SCRIPT FLUSH): NOSCRIPT means it did not run, so the one resend is safe."""

    def __init__(self, wire: RedisWire, source: str) -> None:
        self.wire, self.source = wire, source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self.wire.call("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.wire.call("SCRIPT", "LOAD", self.source)
            return await self.wire.call("EVALSHA", self.sha, len(keys), *keys, *args)
