"""Create the async Redis client from a URL (single node; cluster support via ``redis+cluster``)."""

from __future__ import annotations

from redis.asyncio import Redis


def redis_from_url(url: str, max_connections: int = 256) -> Redis:
    return Redis.from_url(
        url,
        max_connections=max_connections,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
        decode_responses=False,
    )
