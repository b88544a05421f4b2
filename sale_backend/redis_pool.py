"""The shop's Redis client: a blocking pool, so a burst of checkouts waits briefly for a free
connection instead of failing when every connection is busy."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

POOL_WAIT_SECONDS = 10


def sale_redis_from_url(url: str, max_connections: int = 64) -> Redis:
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=POOL_WAIT_SECONDS,
        socket_timeout=5,
        socket_connect_timeout=5,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
