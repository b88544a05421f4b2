"""The ``REDIS_URL`` contract: single node or ``redis+cluster://`` seeds, and burst behaviour."""

from __future__ import annotations

import asyncio

import pytest
import uvloop
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.exceptions import ConnectionError as RedisConnectionError

from service_kit.bounded_cluster import BoundedRedisCluster
from service_kit.errors import RedisUrlError
from service_kit.redis_client import cluster_seed_nodes, is_cluster_url, redis_from_url
from waitroom.admission import AdmissionStore


def test_cluster_urls_are_recognised_by_scheme() -> None:
    assert is_cluster_url("redis+cluster://cache:6379")
    assert is_cluster_url("rediss+cluster://cache:6380")
    assert not is_cluster_url("redis://cache:6379/0")
    assert not is_cluster_url("rediss://cache:6379/0")


def test_cluster_url_lists_every_seed_and_keeps_credentials_and_tls() -> None:
    url = "rediss+cluster://app:s3cret@node-a:7000,node-b:7001,[::1]:7002"
    plain, seeds = cluster_seed_nodes(url)
    assert plain == "rediss://app:s3cret@node-a:7000"
    assert seeds == [("node-a", 7000), ("node-b", 7001), ("::1", 7002)]


@pytest.mark.parametrize(
    "url",
    ["redis+cluster://node-a", "redis+cluster://node-a:7000/3", "redis+cluster://:7000"],
)
def test_bad_cluster_urls_are_rejected(url: str) -> None:
    with pytest.raises(RedisUrlError):
        cluster_seed_nodes(url)


async def test_single_node_url_gives_a_plain_client_that_waits_for_connections(
    redis_url: str, unique_id: str
) -> None:
    if is_cluster_url(redis_url):
        pytest.skip("REDIS_URL names a cluster; the cluster client is tested below")
    client = redis_from_url(redis_url, max_connections=4)
    try:
        assert type(client) is Redis
        # 200 concurrent commands on 4 connections queue up instead of failing
        key = f"wr:{{q:{unique_id}}}:n"
        results = await asyncio.gather(*(client.incr(key) for _ in range(200)))
        assert sorted(results) == list(range(1, 201))
    finally:
        await client.aclose()


def test_a_connection_closed_under_a_command_is_reconnected_not_an_error(
    redis_url: str,
) -> None:
    """uvloop (the servers' loop) raises ``RuntimeError`` for a write on a transport that was
    closed under a pooled connection; the client's connections turn it into a connection
    error, which the reconnect retry handles: the command succeeds on a new connection."""
    if is_cluster_url(redis_url):
        pytest.skip("the cluster client's node connections are guarded the same way")

    async def command_on_a_connection_closed_under_it() -> bool:
        client = redis_from_url(redis_url, max_connections=1)  # the next command reuses it
        try:
            await client.ping()
            connection = await client.connection_pool.get_connection()
            assert connection._writer is not None
            connection._writer.transport.abort()  # gone, as when the server went away
            await client.connection_pool.release(connection)
            return bool(await client.ping())
        finally:
            await client.aclose()

    assert uvloop.run(command_on_a_connection_closed_under_it()) is True


async def test_work_left_running_when_the_client_closes_opens_no_connection(
    redis_url: str, unique_id: str
) -> None:
    """A task that outlives its app's Redis client (a catalog reload nobody waits for) fails
    as with a Redis that went away, instead of opening a socket in a pool that is never closed
    again (the collector found those after the event loop had gone)."""
    if is_cluster_url(redis_url):
        pytest.skip("the single node's pool")
    client = redis_from_url(redis_url, max_connections=4)
    await client.set(f"{unique_id}:k", "v")
    pool = client.connection_pool
    taken = await pool.get_connection()  # a command under way as the client closes
    late = asyncio.create_task(client.get(f"{unique_id}:k"))  # runs once the close began
    await client.aclose()
    with pytest.raises(RedisConnectionError, match="client was closed"):
        await late
    with pytest.raises(RedisConnectionError, match="client was closed"):
        await taken.send_command("PING")  # sent again after the close: no new socket
    await pool.release(taken)
    connections = [*pool._available_connections, *pool._in_use_connections]
    assert connections and not any(connection.is_connected for connection in connections)


async def test_cluster_url_gives_a_cluster_client_that_waits_for_connections(
    cluster_url: str, unique_id: str
) -> None:
    client = redis_from_url(cluster_url, max_connections=4)
    try:
        assert isinstance(client, BoundedRedisCluster)
        assert isinstance(client, RedisCluster)
        key = f"wr:{{q:{unique_id}}}:n"
        results = await asyncio.gather(*(client.incr(key) for _ in range(200)))
        assert sorted(results) == list(range(1, 201))
        assert len(client.get_primaries()) == 3
    finally:
        await client.aclose()


async def test_cluster_scripts_reload_after_the_nodes_forget_them(
    cluster_url: str, unique_id: str
) -> None:
    """As after a failover to a replica that never saw SCRIPT LOAD: NOSCRIPT, load, run."""
    client = redis_from_url(cluster_url)
    try:
        assert isinstance(client, RedisCluster)
        store = AdmissionStore(client, default_burst=10)
        await store.configure(unique_id, {"rate_per_minute": 60})
        for node in client.get_primaries():
            await client.execute_command("SCRIPT FLUSH", target_nodes=node)
            assert (await cached_scripts(client, node)) == 0
        assert (await store.join(unique_id, "fan")).position == 1
        assert (await store.snapshot(unique_id)).tail == 1
        owner = client.get_node_from_key(f"wr:{{q:{unique_id}}}:config")
        assert (await cached_scripts(client, owner)) >= 2
    finally:
        await client.aclose()


async def cached_scripts(client: RedisCluster, node: ClusterNode) -> int:
    info = await client.info("memory", target_nodes=node)
    return int(info["number_of_cached_scripts"])
