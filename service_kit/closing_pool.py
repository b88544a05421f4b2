"""A single node's connection pool that stays closed once its client is closed.

redis-py's pool disconnects its connections when it closes, and nothing more: a task still
running afterwards (a catalog reload nobody waits for, a batch whose callers went away, a
command retried on a new connection) takes a connection from it, opens a socket and puts it
back into a pool that is never closed again. That socket lives until the garbage collector
finds it, after the event loop has gone ("unclosed Connection ... loop is closed").

:class:`ClosingConnectionPool` makes no connection after :meth:`aclose`, and retires the ones
it made (:class:`service_kit.cluster_connections.GuardedConnection` then refuses to connect
again): such late work fails with a ``ConnectionError``, as with a Redis that went away.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from redis.asyncio import BlockingConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError

from service_kit.cluster_connections import CLIENT_CLOSED, GuardedConnection


class ClosingConnectionPool(BlockingConnectionPool):
    closed = False

    def make_connection(self) -> Any:
        if self.closed:
            raise RedisConnectionError(CLIENT_CLOSED)
        return super().make_connection()  # type: ignore[no-untyped-call]  # redis-py untyped

    async def aclose(self) -> None:
        self.closed = True
        for connection in chain(self._available_connections, self._in_use_connections):
            if isinstance(connection, GuardedConnection):
                connection.retired = True
        await super().aclose()
