"""Login tokens: HS256 JWTs like Shiprocket's (Laravel jwt-auth), accepted only as ``Authorization: Bearer``.

The token store (sandbox clock) is the authority on expiry and revocation; the JWT's ``exp`` says the same.
Refusal messages follow the Laravel jwt-auth / Dingo stack Shiprocket runs on (exact main-host texts
are not documented; every refusal is 401 with ``{"message", "status_code": 401}``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from sandbox.kit import SandboxError, TokenStore
from sandbox.kit.tokens import Token

ISSUER = "https://apiv2.shiprocket.in/v1/external/auth/login"

UNAUTHENTICATED: dict[str, str] = {
    "missing": "Failed to authenticate because of bad credentials or an invalid authorization header.",
    "unknown": "Token Signature could not be verified.",
    "expired": "Token has expired",
    "revoked": "The token has been blacklisted",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(secret: bytes, claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def issue(store: TokenStore, secret: bytes, account: str, user_id: int, company_id: int, ttl: float) -> Token:
    now = int(store.clock.time())
    claims = {
        "iss": ISSUER,
        "iat": now,
        "exp": int(now + ttl),
        "nbf": now,
        "jti": secrets.token_hex(8),
        "sub": user_id,
        "prv": hashlib.sha1(b"App\\User", usedforsecurity=False).hexdigest(),
        "cid": company_id,
    }
    return store.issue(account, ttl=ttl, value=make_jwt(secret, claims))


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(store: TokenStore, header: str | None) -> Token:
    """The live token behind an ``Authorization`` header, or a 401 in Shiprocket's shape."""
    value = bearer(header)
    if value is None:
        raise SandboxError(401, {"message": UNAUTHENTICATED["missing"], "status_code": 401})
    result = store.check(value)
    if isinstance(result, str):
        raise SandboxError(401, {"message": UNAUTHENTICATED[result], "status_code": 401})
    return result
