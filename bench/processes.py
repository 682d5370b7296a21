"""Starting the platform's processes for a benchmark, as the platform starts them, and stopping them."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

READY_TIMEOUT = 60.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def spawn(argv: list[str], env: dict[str, str], ready: Path, log: Path) -> asyncio.subprocess.Process:
    """Start a server process and wait for its ready file."""
    with log.open("wb") as out:  # the child keeps its own descriptor
        proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT)
    deadline = time.monotonic() + READY_TIMEOUT
    while not ready.exists():
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{' '.join(argv[:4])} did not start:\n{log.read_text()[-2000:]}")
        await asyncio.sleep(0.05)
    return proc


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
