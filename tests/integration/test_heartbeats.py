"""Heartbeats cost no Redis write per poll: one script call per queue per flush."""

from __future__ import annotations

from redis.asyncio import Redis, RedisCluster

from waitroom.admission import AdmissionStore
from waitroom.queue.heartbeats import HeartbeatRecorder
from waitroom.storage.keys import QueueKeys


async def evalsha_calls(redis: Redis) -> int:
    if isinstance(redis, RedisCluster):  # REDIS_URL=redis+cluster://: sum over the masters
        per_node = await redis.info("commandstats", target_nodes=RedisCluster.PRIMARIES)
        return sum(int(s.get("cmdstat_evalsha", {}).get("calls", 0)) for s in per_node.values())
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def test_polls_are_collected_in_process_and_flushed_in_one_call(
    redis: Redis, unique_id: str
) -> None:
    store = AdmissionStore(redis, default_burst=1)
    await store.configure(unique_id, {"rate_per_minute": 0, "abandon_after_seconds": 60})
    recorder = HeartbeatRecorder(store.scripts, flush_interval_seconds=3600)
    keys = QueueKeys(unique_id)
    recorder.seen(unique_id, 1)
    await recorder.flush()  # loads the script into Redis
    before = await evalsha_calls(redis)
    for position in range(1, 1001):
        recorder.seen(unique_id, position)
        recorder.seen(unique_id, position)  # many tabs / many polls: still one bit
    assert await evalsha_calls(redis) == before  # nothing written while polling
    assert await recorder.flush() == 1000
    assert await evalsha_calls(redis) == before + 1
    bitmaps = [keys.heartbeats, keys.heartbeats_b]
    counts = [await redis.bitcount(key) for key in bitmaps]
    assert sorted(counts) == [0, 1000]
    written = bitmaps[counts.index(1000)]
    assert await redis.strlen(written) <= 1001 // 8 + 1  # one bit per place
    assert 0 < await redis.pttl(written) <= 3 * 60_000


async def test_nothing_is_written_when_tracking_is_off(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=1)
    await store.configure(unique_id, {"rate_per_minute": 0, "abandon_after_seconds": 0})
    recorder = HeartbeatRecorder(store.scripts, flush_interval_seconds=3600)
    recorder.seen(unique_id, 5)
    assert await recorder.flush() == 0
    keys = QueueKeys(unique_id)
    assert not await redis.exists(keys.heartbeats, keys.heartbeats_b)
