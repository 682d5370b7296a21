"""The log of requests a simulator received, for tests and support to inspect."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

MAX_BODY = 64 * 1024


@dataclass
class LoggedRequest:
    id: int
    at: str
    listener: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    status: int | None = None
    account: str | None = None
    fault: str | None = None


class RequestLog:
    def __init__(self, capacity: int = 20_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._next_id = 1

    def add(self, entry: LoggedRequest) -> LoggedRequest:
        with self._lock:
            entry.id = self._next_id
            self._next_id += 1
            self._entries.append(entry)
        return entry

    def query(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        account: str | None = None,
        since_id: int = 0,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        out = [
            asdict(e)
            for e in entries
            if e.id > since_id
            and (method is None or e.method == method.upper())
            and (path is None or e.path.startswith(path))
            and (account is None or e.account == account)
        ]
        return out[-limit:]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
