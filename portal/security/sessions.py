"""Server-side sessions in Redis, so that every portal replica sees the same ones and logout is immediate.

The browser holds only a random token (cookie ``portal_session``: HttpOnly, SameSite=Lax, Secure behind TLS);
Redis keeps the session under the token's SHA-256, so a copy of Redis holds no usable cookie. A session ends
after ``idle`` without use (the key's TTL, renewed at most once a minute) or ``absolute`` after login however
busy. Login always makes a new token (rotation: a token planted before login is worth nothing after it),
and logout deletes the session.

A session says who signed in and which tenant they act for (a person may belong to several; support staff
act for none and name a tenant per request in the support console).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, field, replace

from redis.asyncio import Redis

COOKIE = "portal_session"
PREFIX = "portal:session"
RENEW_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class Membership:
    tenant_id: str
    role: str
    tenant_name: str = ""


@dataclass(frozen=True)
class Session:
    user_id: str
    email: str
    name: str
    is_support: bool
    created: float
    seen: float
    tenant_id: str | None = None
    role: str | None = None
    memberships: tuple[Membership, ...] = field(default_factory=tuple)

    @property
    def tenant(self) -> uuid.UUID | None:
        return uuid.UUID(self.tenant_id) if self.tenant_id else None

    def acting_for(self, tenant_id: str) -> Session:
        """The session switched to another of the person's tenants (ValueError when not a member)."""
        for m in self.memberships:
            if m.tenant_id == tenant_id:
                return replace(self, tenant_id=m.tenant_id, role=m.role)
        raise ValueError(f"not a member of tenant {tenant_id}")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> Session:
        data = json.loads(text)
        data["memberships"] = tuple(Membership(**m) for m in data.get("memberships", ()))
        return cls(**data)


def _key(token: str) -> str:
    return f"{PREFIX}:{hashlib.sha256(token.encode()).hexdigest()}"


def _user_key(user_id: str) -> str:
    return f"portal:user-sessions:{user_id}"


class SessionStore:
    def __init__(self, redis: Redis, *, idle_seconds: float, absolute_seconds: float) -> None:
        self.redis = redis
        self.idle, self.absolute = idle_seconds, absolute_seconds

    def _ttl_ms(self, session: Session, now: float) -> int:
        left = min(self.idle, session.created + self.absolute - now)
        return max(1, int(left * 1000))

    async def create(self, session: Session, *, replacing: str | None = None) -> str:
        """Store a new session under a new token (and end the one it replaces); returns the token."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        session = replace(session, created=now, seen=now)
        async with self.redis.pipeline(transaction=True) as pipe:
            if replacing:
                pipe.delete(_key(replacing))
            pipe.set(_key(token), session.to_json(), px=self._ttl_ms(session, now))
            pipe.sadd(_user_key(session.user_id), _key(token))
            pipe.expire(_user_key(session.user_id), int(self.absolute) + 60)
            await pipe.execute()
        return token

    async def load(self, token: str | None) -> Session | None:
        """The live session for ``token``, its idle timer renewed; None when there is none or it is over."""
        if not token or len(token) > 128:
            return None
        raw = await self.redis.get(_key(token))
        if raw is None:
            return None
        session = Session.from_json(raw)
        now = time.time()
        if now - session.created >= self.absolute or now - session.seen >= self.idle:
            await self.redis.delete(_key(token))
            return None
        if now - session.seen >= RENEW_AFTER_SECONDS or self.idle < RENEW_AFTER_SECONDS * 2:
            session = replace(session, seen=now)
            await self.redis.set(_key(token), session.to_json(), px=self._ttl_ms(session, now))
        return session

    async def save(self, token: str, session: Session) -> None:
        """Replace what the session says (the tenant it acts for), keeping its timers."""
        now = time.time()
        await self.redis.set(_key(token), session.to_json(), px=self._ttl_ms(session, now))

    async def end(self, token: str | None) -> None:
        if token:
            await self.redis.delete(_key(token))

    async def end_all(self, user_id: str) -> None:
        """End every session of one person (their role changed, or they left the tenant)."""
        keys: set[bytes] = await self.redis.smembers(_user_key(user_id))  # type: ignore[misc]
        if keys:
            await self.redis.delete(*keys)
        await self.redis.delete(_user_key(user_id))


FLASH_SECONDS = 300


async def flash(redis: Redis, token: str | None, message: str) -> None:
    """A one-time message for the session's next page (after a POST that redirects)."""
    if token:
        key = f"portal:flash:{hashlib.sha256(token.encode()).hexdigest()}"
        async with redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, message)
            pipe.expire(key, FLASH_SECONDS)
            await pipe.execute()


async def take_flashes(redis: Redis, token: str | None) -> list[str]:
    if not token:
        return []
    key = f"portal:flash:{hashlib.sha256(token.encode()).hexdigest()}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lrange(key, 0, -1)
        pipe.delete(key)
        items, _ = await pipe.execute()
    return [i.decode() if isinstance(i, bytes) else str(i) for i in items]
