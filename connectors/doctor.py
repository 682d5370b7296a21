"""``connectors doctor``: are PostgreSQL and Redis reachable? Says what is missing and how to start it."""

from __future__ import annotations

import asyncio
import sys

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from connectors.settings import Settings

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)


async def check_postgres(settings: Settings) -> str | None:
    from tenants.migrate import _connect_maintenance

    try:
        conn = await _connect_maintenance(make_url(settings.database_url))
    except ConnectionError as exc:
        return str(exc)
    await conn.close()
    return None


async def check_redis(settings: Settings) -> str | None:
    client = Redis.from_url(settings.redis_url, socket_connect_timeout=3)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        return (
            f"Redis is not reachable at {settings.redis_url} ({exc}). Start it with '{START_REDIS}', "
            "or point CONNECTORS_REDIS_URL at a running server."
        )
    finally:
        await client.aclose()
    return None


async def problems(settings: Settings) -> list[str]:
    found = await asyncio.gather(check_postgres(settings), check_redis(settings))
    return [p for p in found if p]


def doctor(settings: Settings) -> int:
    found = asyncio.run(problems(settings))
    for problem in found:
        print(f"missing: {problem}", file=sys.stderr)
    if not found:
        print("PostgreSQL and Redis are reachable.")
    return 1 if found else 0
