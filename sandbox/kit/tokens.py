"""Access tokens a simulator hands out: issued per merchant account, with expiry on the sandbox clock.

Tests revoke or expire them through the admin surface (``POST /_sandbox/tokens/expire``) to drive a
client's refresh path.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.kit.clock import Clock

TokenProblem = Literal["unknown", "expired", "revoked"]


@dataclass
class Token:
    value: str
    account: str
    kind: str
    issued_at: float
    expires_at: float | None
    revoked: bool = False
    data: dict[str, Any] = field(default_factory=dict)


class TokenStore:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def issue(
        self,
        account: str,
        *,
        kind: str = "access",
        ttl: float | None,
        make: Callable[[], str] | None = None,
        value: str | None = None,
        **data: Any,
    ) -> Token:
        now = self.clock.time()
        token_value = value or (make() if make else secrets.token_urlsafe(32))
        token = Token(token_value, account, kind, now, None if ttl is None else now + ttl, data=dict(data))
        with self._lock:
            self._tokens[token.value] = token
        return token

    def check(self, value: str | None, *, kind: str = "access") -> Token | TokenProblem:
        """The live token, or why it is not usable."""
        if not value:
            return "unknown"
        with self._lock:
            token = self._tokens.get(value)
        if token is None or token.kind != kind:
            return "unknown"
        if token.revoked:
            return "revoked"
        if token.expires_at is not None and self.clock.time() >= token.expires_at:
            return "expired"
        return token

    def get(self, value: str) -> Token | None:
        with self._lock:
            return self._tokens.get(value)

    def revoke(self, value: str) -> bool:
        with self._lock:
            token = self._tokens.get(value)
            if token is None:
                return False
            token.revoked = True
            return True

    def for_account(self, account: str | None = None, kind: str | None = None) -> list[Token]:
        with self._lock:
            return [
                t
                for t in self._tokens.values()
                if (account is None or t.account == account) and (kind is None or t.kind == kind)
            ]

    def expire_all(self, account: str | None = None, kind: str | None = "access") -> int:
        now = self.clock.time()
        tokens = self.for_account(account, kind)
        for t in tokens:
            t.expires_at = now
        return len(tokens)

    def revoke_all(self, account: str | None = None, kind: str | None = None) -> int:
        tokens = self.for_account(account, kind)
        for t in tokens:
            t.revoked = True
        return len(tokens)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
