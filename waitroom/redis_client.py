"""Create the async Redis client from a URL.

A blocking pool: when all connections are busy, a request waits (up to ``pool_timeout_seconds``)
for one instead of failing, so a surge queues inside the process rather than erroring.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis


def redis_from_url(
    url: str, max_connections: int = 128, pool_timeout_seconds: float = 5.0
) -> Redis:
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout_seconds,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
