"""Who is calling: admin tokens (JWT, 4 h on the sandbox clock), integration tokens, OAuth 1.0a, ACL.

    POST /rest/V1/integration/admin/token {"username","password"} -> "<jwt>"   (bare JSON string)
    Authorization: Bearer <admin jwt>                 -> admin (all resources)
    Authorization: Bearer <integration access token>  -> integration, only if settings.standalone_bearer
    Authorization: OAuth oauth_consumer_key=...,...   -> integration (HMAC-SHA256/SHA1 signature checked)

Anything else (no header, unknown, expired or revoked token, integration token as Bearer with the flag
off) leaves the caller anonymous, and Magento then refuses the route's ACL resource with 401
``The consumer isn't authorized to access %resources.`` — the same answer an expired token gets.
Failed admin logins count towards a lockout (``max_login_failures``, ``lockout_seconds``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote

from sandbox.kit import Clock, TokenStore
from sandbox.magento import errors
from sandbox.magento.state import Integration, Store


@dataclass(frozen=True)
class Principal:
    kind: str  # "admin" | "integration"
    account: str
    user_id: int
    resources: tuple[str, ...] | None  # None = every resource

    def allows(self, resource: str | None) -> bool:
        if resource is None or self.resources is None:
            return True
        return resource in self.resources or "Magento_Backend::all" in self.resources


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Authenticator:
    def __init__(self, clock: Clock, tokens: TokenStore) -> None:
        self.clock = clock
        self.tokens = tokens
        self._secret = secrets.token_bytes(32)

    # ------------------------------------------------------------------ admin tokens
    def admin_login(self, store: Store, username: object, password: object) -> str:
        missing = [
            name
            for name, value in (("username", username), ("password", password))
            if not isinstance(value, str) or not value
        ]
        if missing:
            raise errors.required_many(missing)
        assert isinstance(username, str) and isinstance(password, str)
        now = self.clock.time()
        user = store.admins.get(username)
        if user is not None and user.locked_until is not None:
            if now < user.locked_until:
                raise errors.magento_error(401, errors.SIGN_IN)
            user.locked_until, user.failures = None, 0
        if user is None or not hmac.compare_digest(user.password, password):
            if user is not None:
                user.failures += 1
                if user.failures >= store.settings.max_login_failures:
                    user.locked_until = now + store.settings.lockout_seconds
            raise errors.magento_error(401, errors.SIGN_IN)
        user.failures = 0
        hours = store.settings.admin_token_lifetime_hours
        ttl = hours * 3600 if hours else None
        token = self._jwt(user.user_id, now, ttl)
        self.tokens.issue(store.account, kind="access", ttl=ttl, value=token, user_id=user.user_id, type="admin")
        return token

    def _jwt(self, user_id: int, now: float, ttl: float | None) -> str:
        header = {"kid": "1", "alg": "HS256"}
        payload: dict[str, object] = {"uid": user_id, "utypid": 2, "iat": int(now), "jti": secrets.token_hex(8)}
        if ttl is not None:
            payload["exp"] = int(now + ttl)
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        sig = hmac.new(self._secret, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{_b64(sig)}"

    # ------------------------------------------------------------------ resolving a caller
    def principal(self, store: Store, authorization: str | None, method: str, url: str) -> Principal | None:
        if not authorization:
            return None
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "bearer" and value and " " not in value:
            return self._bearer(store, value)
        if scheme == "oauth":
            return self._oauth(store, value, method, url)
        return None

    def _bearer(self, store: Store, value: str) -> Principal | None:
        checked = self.tokens.check(value)
        if not isinstance(checked, str):
            if checked.account != store.account or checked.data.get("type") != "admin":
                return None
            return Principal("admin", store.account, int(checked.data.get("user_id", 1)), None)
        if checked != "unknown":
            return None
        integration = next((i for i in store.integrations if hmac.compare_digest(i.access_token, value)), None)
        if integration is None or not store.settings.standalone_bearer:
            return None
        return Principal("integration", store.account, integration.id, integration.resources)

    def _oauth(self, store: Store, header: str, method: str, url: str) -> Principal | None:
        params = _oauth_params(header)
        integration = next(
            (
                i
                for i in store.integrations
                if i.consumer_key == params.get("oauth_consumer_key") and i.access_token == params.get("oauth_token")
            ),
            None,
        )
        if integration is None or not _signature_ok(integration, params, method, url):
            return None
        return Principal("integration", store.account, integration.id, integration.resources)


def _oauth_params(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key:
            out[key.strip()] = unquote(value.strip().strip('"'))
    return out


def _enc(value: str) -> str:
    return quote(value, safe="~-._")


def _signature_ok(integration: Integration, params: dict[str, str], method: str, url: str) -> bool:
    """OAuth 1.0a (RFC 5849) signature over method, base URL, query and oauth_* parameters."""
    algo = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1}.get(params.get("oauth_signature_method", ""))
    signature = params.get("oauth_signature")
    if algo is None or not signature:
        return False
    base_url, _, query = url.partition("?")
    pairs = [(k, v) for k, v in params.items() if k.startswith("oauth_") and k != "oauth_signature"]
    pairs += parse_qsl(query, keep_blank_values=True)
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in pairs))
    base = "&".join([method.upper(), _enc(base_url), _enc(normalized)])
    key = f"{_enc(integration.consumer_secret)}&{_enc(integration.token_secret)}"
    expected = base64.b64encode(hmac.new(key.encode(), base.encode(), algo).digest()).decode()
    return hmac.compare_digest(expected, signature)
