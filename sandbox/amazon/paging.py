"""``NextToken`` values: opaque, URL-safe, tamper-evident cursors.

A token carries where the previous page ended (keyset: date, then order id), the upper time bound
fixed on the first page (so orders updated meanwhile do not shift pages), and a fingerprint of the
filters, because Amazon expects the same filters to be resent with the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

_SIG = 12


@dataclass(frozen=True)
class Cursor:
    scope: str
    """What the token pages over: the account and operation (and order id for order items)."""
    fingerprint: str
    after_key: tuple[float, str] | None
    """The (unix time, id) of the last record already returned."""
    upper: float | None = None
    offset: int = 0


class TokenCodec:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def encode(self, cursor: Cursor) -> str:
        body = json.dumps(
            {
                "s": cursor.scope,
                "f": cursor.fingerprint,
                "k": list(cursor.after_key) if cursor.after_key else None,
                "u": cursor.upper,
                "o": cursor.offset,
            },
            separators=(",", ":"),
        ).encode()
        sig = hmac.new(self._secret, body, hashlib.sha256).digest()[:_SIG]
        return base64.urlsafe_b64encode(sig + body).decode().rstrip("=")

    def decode(self, token: str) -> Cursor | None:
        """The cursor, or None when the token was not made by this simulator (or was altered)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            return None
        sig, body = raw[:_SIG], raw[_SIG:]
        if len(sig) < _SIG or not hmac.compare_digest(
            sig, hmac.new(self._secret, body, hashlib.sha256).digest()[:_SIG]
        ):
            return None
        try:
            data: dict[str, Any] = json.loads(body)
            key = data["k"]
            return Cursor(
                scope=str(data["s"]),
                fingerprint=str(data["f"]),
                after_key=(float(key[0]), str(key[1])) if key else None,
                upper=None if data["u"] is None else float(data["u"]),
                offset=int(data["o"]),
            )
        except (ValueError, KeyError, TypeError, IndexError):
            return None
