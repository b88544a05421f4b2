"""The local Redis Cluster with replicas: killing the master of a key promotes its replica,
which still holds the key; the old master comes back as a replica."""

from __future__ import annotations

import time

import pytest
import redis

from waitroom.storage.local_cluster import LocalRedisCluster


@pytest.mark.slow
def test_killed_master_is_replaced_by_its_replica_with_the_data() -> None:
    key = "wr:{q:failover}:counters"
    with LocalRedisCluster(masters=3, replicas_per_master=1, node_timeout_ms=1000) as cluster:
        views = cluster.topology()
        assert sum(view.is_master for view in views) == 3
        assert sum("slave" in view.flags for view in views) == 3
        master = cluster.master_for_key(key)
        [replica] = cluster.replicas_of(master)
        with redis.Redis(port=master.port) as client:
            client.hset(key, "tail", 42)
            client.wait(1, 2000)  # the replica has the write before the crash
        master.kill()
        promoted = cluster.wait_for_new_master(key, master, timeout_seconds=30)
        assert promoted.port == replica.port
        assert cluster.master_for_key(key).port == replica.port
        with redis.Redis(port=promoted.port) as client:
            assert client.hget(key, "tail") == b"42"
        master.restart()
        deadline = time.monotonic() + 20
        while [node.port for node in cluster.replicas_of(promoted)] != [master.port]:
            assert time.monotonic() < deadline, "the old master did not rejoin as a replica"
            time.sleep(0.1)
