"""Login throttling in Redis, shared by every portal replica: at most ``limit`` failed logins per account, and
``ADDRESS_FACTOR`` times as many per remote address (an office behind one NAT address has many people), in an
hour; the next attempt is refused before the password is even checked.

Each counter is a fixed window opened by its first failure (``INCR`` then ``EXPIRE NX`` in one pipeline).
A successful login clears its account's counter, never the address's.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

WINDOW_SECONDS = 3600
ADDRESS_FACTOR = 10
PREFIX = "portal:login-failures"


def _key(kind: str, value: str) -> str:
    return f"{PREFIX}:{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]}"


class LoginThrottle:
    def __init__(self, redis: Redis, limit: int) -> None:
        self.redis, self.limit = redis, limit

    async def refused_for(self, email: str, address: str) -> int | None:
        """Seconds until the next attempt is allowed, or None when it is allowed now."""
        keys = [_key("account", email), _key("address", address)]
        counts = await self.redis.mget(keys)
        waits = []
        for key, count, limit in zip(keys, counts, (self.limit, self.limit * ADDRESS_FACTOR), strict=True):
            if count is not None and int(count) >= limit:
                waits.append(max(1, await self.redis.ttl(key)))
        return max(waits) if waits else None

    async def failed(self, email: str, address: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (_key("account", email), _key("address", address)):
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS, nx=True)
            await pipe.execute()

    async def succeeded(self, email: str) -> None:
        await self.redis.delete(_key("account", email))
