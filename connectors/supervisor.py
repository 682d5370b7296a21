"""``connectors up`` / ``down``: the platform's processes, started detached with pid, log and ready files.

Each service is data: a name, the command that runs it, and the file it writes once ready.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_DIR = Path(os.environ.get("CONNECTORS_RUN_DIR", ".run"))


@dataclass(frozen=True)
class Service:
    name: str
    argv: tuple[str, ...]
    description: str

    @property
    def pid_file(self) -> Path:
        return RUN_DIR / f"{self.name}.pid"

    @property
    def ready_file(self) -> Path:
        return RUN_DIR / f"{self.name}.json"

    @property
    def log_file(self) -> Path:
        return RUN_DIR / "logs" / f"{self.name}.log"


SERVICES: tuple[Service, ...] = (
    Service(
        "sandbox",
        (sys.executable, "-m", "connectors.cli", "sandbox", "--ready-file", str(RUN_DIR / "sandbox.json")),
        "offline provider sandboxes with the demo merchant",
    ),
    Service(
        "core",
        (sys.executable, "-m", "connectors.cli", "core", "--ready-file", str(RUN_DIR / "core.json")),
        "gRPC core: credentials, tokens, budgets",
    ),
    Service(
        "worker",
        (sys.executable, "-m", "connectors.cli", "worker", "--ready-file", str(RUN_DIR / "worker.json")),
        "arq worker: the sync flows",
    ),
    Service(
        "portal",
        (sys.executable, "-m", "connectors.cli", "portal", "--ready-file", str(RUN_DIR / "portal.json")),
        "portal: webhook ingress",
    ),
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(service: Service) -> int | None:
    try:
        pid = int(service.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def start(service: Service, timeout: float = 60.0) -> dict[str, Any]:
    """Start the service unless it runs already; return what it wrote to its ready file."""
    if running_pid(service) is not None and service.ready_file.exists():
        info: dict[str, Any] = json.loads(service.ready_file.read_text())
        return info
    (RUN_DIR / "logs").mkdir(parents=True, exist_ok=True)
    service.ready_file.unlink(missing_ok=True)
    with service.log_file.open("ab") as log:
        proc = subprocess.Popen(
            service.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    service.pid_file.write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while not service.ready_file.exists():
        try:
            code = proc.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service.name} not ready after {timeout:.0f} s; see {service.log_file}") from None
            continue
        tail = service.log_file.read_text()[-2000:]
        raise RuntimeError(f"{service.name} exited with {code}; last log lines:\n{tail}")
    ready: dict[str, Any] = json.loads(service.ready_file.read_text())
    return ready


def stop(service: Service, timeout: float = 15.0) -> bool:
    pid = running_pid(service)
    if pid is None:
        service.pid_file.unlink(missing_ok=True)
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    service.pid_file.unlink(missing_ok=True)
    service.ready_file.unlink(missing_ok=True)
    return True
