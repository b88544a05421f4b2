"""A redis-py asyncio ``RedisCluster`` that waits for a connection instead of failing.

redis-py's cluster client keeps at most ``max_connections`` connections per node and raises
``MaxConnectionsError`` when a burst of concurrent commands needs more (it has no blocking
pool). The waiting room sees such bursts at an on-sale's opening (thousands of joins in the same
second per process), so this client bounds the commands in flight per process to
``max_connections``: extra commands queue on a semaphore, as they would on the single-node
``BlockingConnectionPool``. Any one node then never needs more than ``max_connections``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import RedisCluster
from redis.exceptions import MaxConnectionsError

from service_kit.cluster_connections import guard_cluster_connections


class BoundedRedisCluster(RedisCluster):
    def __init__(
        self,
        *,
        max_connections: int = 100,
        connection_wait_seconds: float | None = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_connections=max_connections, **kwargs)
        guard_cluster_connections(self)  # service_kit/cluster_connections.py
        self._in_flight = asyncio.Semaphore(max_connections)
        self.connection_wait_seconds = connection_wait_seconds

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        if self._initialize:
            # discover the slots once, before any command opens a connection: concurrent first
            # commands on a fresh client otherwise race the discovery (seen with redis-py 8.1)
            await self.initialize()
        try:
            await asyncio.wait_for(self._in_flight.acquire(), self.connection_wait_seconds)
        except TimeoutError:
            raise MaxConnectionsError("no Redis connection became free in time") from None
        try:
            return await super().execute_command(*args, **kwargs)
        finally:
            self._in_flight.release()
