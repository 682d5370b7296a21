"""Serving simulators over real HTTP: one uvicorn server per simulator, one socket per listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

import uvicorn

from sandbox.kit.errors import ConnectionDropped
from sandbox.kit.simulator import Simulator


class _DropNoise(logging.Filter):
    """An injected dropped connection is not an error worth a traceback in the server log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


class _Server(uvicorn.Server):
    """Several servers share one loop, so signals are handled once by the caller, not per server."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


def bind(host: str, port: int) -> socket.socket:
    # proto=TCP: asyncio sets TCP_NODELAY on accepted connections only when the listening socket says so.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this: without it every kept-alive answer waits ~40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror} (is another sandbox running?)") from exc
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def planned_ports(sim_cls: type[Simulator], offset: int = 0, ephemeral: bool = False) -> dict[str, int]:
    return {name: 0 if ephemeral else port + offset for name, port in sim_cls.listeners.items()}


class SandboxServer:
    """Runs a set of simulators in the current event loop until ``stop()``."""

    def __init__(self, simulators: list[Simulator], host: str = "127.0.0.1") -> None:
        self.simulators = simulators
        self.host = host
        self._servers: list[uvicorn.Server] = []
        self._tasks: list[asyncio.Task[None]] = []
        logging.getLogger("uvicorn.error").addFilter(_DropNoise())

    async def start(self, ports: dict[str, dict[str, int]]) -> None:
        """Bind every listener (port 0 picks a free one), then serve; returns once all accept connections."""
        for sim in self.simulators:
            sockets = {name: bind(self.host, port) for name, port in ports[sim.name].items()}
            sim.bind({name: s.getsockname()[1] for name, s in sockets.items()}, self.host)
            config = uvicorn.Config(
                sim.app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=2
            )
            server = _Server(config)
            self._servers.append(server)
            self._tasks.append(asyncio.create_task(server.serve(sockets=list(sockets.values()))))
        while not all(s.started for s in self._servers):
            failed = [t for t in self._tasks if t.done()]
            if failed:
                await failed[0]
                raise RuntimeError("a sandbox server stopped during start-up")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for sim in self.simulators:
            await sim.webhooks.aclose()

    async def wait(self) -> None:
        await asyncio.gather(*self._tasks)

    def info(self) -> dict[str, Any]:
        return {sim.name: sim.info() for sim in self.simulators}
