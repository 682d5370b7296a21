"""Injected faults: what a test asks a simulator to do wrong, and for which requests.

A rule matches requests by method and path prefix (and optionally merchant account) and fires with
``rate`` probability, at most ``count`` times. Kinds:

    status             -- answer ``status`` (429, 500, 502, 503, 504) with the provider's own error body
    latency            -- add ``latency_ms`` before handling
    timeout            -- never answer; hold the request for ``hang_seconds`` then close the connection
    drop_after_commit  -- run the handler (the write happens) then close the connection unanswered
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FaultKind = Literal["status", "latency", "timeout", "drop_after_commit"]
KINDS: tuple[str, ...] = ("status", "latency", "timeout", "drop_after_commit")


@dataclass
class FaultRule:
    kind: FaultKind
    rate: float = 1.0
    count: int | None = None
    method: str | None = None
    path_prefix: str | None = None
    account: str | None = None
    status: int = 503
    latency_ms: int = 0
    hang_seconds: float = 30.0
    retry_after: int | None = None
    fired: int = 0
    id: int = 0

    @classmethod
    def parse(cls, data: dict[str, Any]) -> FaultRule:
        """Validate a rule from the admin API; raises ValueError naming the bad field."""
        known = {f for f in cls.__dataclass_fields__ if f not in ("fired", "id")}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        kind = data.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        rule = cls(**data)
        if not 0.0 <= float(rule.rate) <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if rule.kind == "status" and not (rule.status == 429 or 500 <= rule.status <= 599):
            raise ValueError("status faults must be 429 or 5xx")
        if rule.count is not None and rule.count < 1:
            raise ValueError("count must be at least 1")
        return rule


@dataclass
class Faults:
    rules: list[FaultRule] = field(default_factory=list)
    seed: int | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)
        self._next_id = 1

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def reseed(self, seed: int | None) -> None:
        self._random = random.Random(seed)

    def fire(self, method: str, path: str, account: str | None) -> list[FaultRule]:
        """The rules that fire for this request (each at most once), consuming their counts."""
        fired: list[FaultRule] = []
        with self._lock:
            for rule in self.rules:
                if rule.method and rule.method.upper() != method.upper():
                    continue
                if rule.path_prefix and not path.startswith(rule.path_prefix):
                    continue
                if rule.account and rule.account != account:
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                fired.append(rule)
        return fired

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(r) for r in self.rules]
