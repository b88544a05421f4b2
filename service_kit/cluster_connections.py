"""Node connections of redis-py's asyncio cluster client that fail like connections when another
task closed them under a command.

After a cluster node restarts, the first command that meets a dead connection makes redis-py
(8.1) close every idle connection of that node (``ClusterNode.disconnect_free_connections``).
That close awaits, and meanwhile other tasks take those very connections from the free list
and write on them: the write fails with ``AttributeError`` (the writer was cleared),
``RuntimeError`` (uvloop: closed transport) or ``TypeError`` (CPython: transport torn down)
instead of ``ConnectionError``. Those escape the cluster client's retry (which handles
``ConnectionError``: new connection, new slot map, command sent again) and became HTTP 500s:
62 of a burst of 300 joins right after a node restart. Upstream: redis/redis-py#4287 (fixed on
the main branch by #4288, not in a release yet).

:func:`guard_cluster_connections` makes a cluster client create its node connections from a
subclass that turns exactly these errors into ``ConnectionError`` when, and only when, the
connection is in fact closed (writer gone or its transport closing); any other error stays what
it is. Remove the cluster part once a released redis-py contains the fix.

A single node's pool meets the uvloop half of it too: a command written on a pooled connection
whose transport was closed under it (the server went away between the check at checkout and
the write) raises ``RuntimeError: unable to perform operation on <TCPTransport closed=True>``
(uvloop, MagicStack/uvloop#506; plain asyncio ignores the write), which escaped the reconnect
retry and every handler's Redis errors: a 500 seen in the log after a Redis kill.
:func:`guard_pool_connections` gives a pool the same connection class.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import ConnectionPool, RedisCluster
from redis.asyncio.connection import Connection, SSLConnection
from redis.exceptions import ConnectionError as RedisConnectionError

RACE_ERRORS = (AttributeError, RuntimeError, TypeError)


def _closed(connection: Connection) -> bool:
    writer = connection._writer
    return writer is None or writer.transport is None or writer.transport.is_closing()


CLIENT_CLOSED = "the Redis client was closed"


class GuardedConnection(Connection):
    retired = False
    """Its pool was closed (:class:`service_kit.closing_pool.ClosingConnectionPool`): it opens
    no socket again, so work still running after its client closed fails instead of leaving a
    connection that nobody closes."""

    async def connect_check_health(
        self, check_health: bool = True, retry_socket_connect: bool = True
    ) -> None:
        if self.retired:
            raise RedisConnectionError(CLIENT_CLOSED)
        await super().connect_check_health(check_health, retry_socket_connect)
        if self.retired:  # the pool closed while it connected
            await self.disconnect()
            raise RedisConnectionError(CLIENT_CLOSED)

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        try:
            await super().send_packed_command(command, check_health)
        except RACE_ERRORS as error:
            if not _closed(self):
                raise
            raise RedisConnectionError("the connection was closed while sending") from error

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().read_response(*args, **kwargs)
        except RACE_ERRORS as error:
            if not _closed(self):
                raise
            raise RedisConnectionError("the connection was closed while reading") from error


class GuardedSSLConnection(SSLConnection, GuardedConnection):
    """The same for ``rediss+cluster://`` (TLS)."""


def guard_cluster_connections(cluster: RedisCluster) -> None:
    """Node connections made from now on are :class:`GuardedConnection` (or the TLS one).

    The cluster client builds every node from one keyword dictionary (``connection_kwargs``,
    shared with its nodes manager); the seed nodes already exist and are switched too."""
    plain = cluster.connection_kwargs.get("connection_class", Connection)
    guarded = GuardedSSLConnection if issubclass(plain, SSLConnection) else GuardedConnection
    cluster.connection_kwargs["connection_class"] = guarded
    for node in cluster.nodes_manager.startup_nodes.values():
        node.connection_class = guarded


def guard_pool_connections(pool: ConnectionPool) -> None:
    """Connections the single-node ``pool`` makes from now on are guarded (TLS kept)."""
    plain = pool.connection_class
    pool.connection_class = (
        GuardedSSLConnection if issubclass(plain, SSLConnection) else GuardedConnection
    )
