"""Redis Cluster fixtures (a pytest plugin loaded by tests/conftest.py).

``redis_cluster`` starts three masters from the embedded redis-server binary on loopback ports,
joined with ``redis-cli --cluster create``, once per session, and removes them at the end.
``cluster_url`` is its ``redis+cluster://`` seed URL, the form ``REDIS_URL`` takes in production.
``queue_ids_on_distinct_masters`` picks queue ids whose hash tags land on different masters.

To run any invariant against both a single node and the cluster, take the ``any_redis_url``
fixture: it is parametrized as ``single`` and ``cluster``. Shop tests start a shop on the cluster
with ``shop_factory(redis_url=cluster_url)`` and spread events over masters with
``event_ids_on_distinct_masters`` (see tests/integration/sale/test_sale_on_cluster.py).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis, RedisCluster
from redis.crc import key_slot

from service_kit.redis_client import redis_from_url
from waitroom.storage.local_cluster import LocalRedisCluster


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[LocalRedisCluster]:
    with LocalRedisCluster(masters=3) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def cluster_url(redis_cluster: LocalRedisCluster) -> str:
    return redis_cluster.seed_url


@pytest.fixture
async def cluster_redis(cluster_url: str) -> AsyncIterator[Redis]:
    client = redis_from_url(cluster_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(params=["single", "cluster"])
def any_redis_url(request: pytest.FixtureRequest) -> str:
    """The same test against one Redis node and against the three-master cluster."""
    name = "redis_url" if request.param == "single" else "cluster_url"
    url: str = request.getfixturevalue(name)
    return url


async def master_of(client: Redis, key: str) -> str:
    """``host:port`` of the master that owns ``key``'s slot (asked from the cluster itself)."""
    cluster = client
    assert isinstance(cluster, RedisCluster)
    slot = int(await cluster.cluster_keyslot(key))
    assert slot == key_slot(key.encode())
    node = cluster.nodes_manager.get_node_from_slot(slot)
    return f"{node.host}:{node.port}"


async def queue_ids_on_distinct_masters(client: Redis, count: int, prefix: str) -> list[str]:
    """``count`` fresh queue ids whose ``{q:<id>}`` tags live on ``count`` different masters."""
    return await ids_on_distinct_masters(client, count, prefix, "wr:{{q:{}}}:config")


async def event_ids_on_distinct_masters(client: Redis, count: int, prefix: str) -> list[str]:
    """``count`` fresh event ids whose ``{e:<id>}`` tags live on ``count`` different masters."""
    return await ids_on_distinct_masters(client, count, prefix, "sale:{{e:{}}}:stock")


async def ids_on_distinct_masters(
    client: Redis, count: int, prefix: str, key_template: str
) -> list[str]:
    chosen: dict[str, str] = {}
    for _ in range(500):
        candidate = f"{prefix}{secrets.token_hex(3)}"
        master = await master_of(client, key_template.format(candidate))
        if master not in chosen:
            chosen[master] = candidate
        if len(chosen) == count:
            return list(chosen.values())
    raise AssertionError(f"could not spread {count} ids over distinct masters")
