"""Click counts of upsell cards: total clicks and distinct fans (HyperLogLog) per card."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from waitroom.fan.upsell_definitions import Upsell
from waitroom.storage.keys import QueueKeys


def clicks_key(queue_id: str) -> str:
    return QueueKeys(queue_id).upsell_clicks


def fans_key(queue_id: str, upsell_id: str) -> str:
    return QueueKeys(queue_id).upsell_fans(upsell_id)


async def count_click(redis: Redis, queue_id: str, upsell_id: str, visitor_id: str | None) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(clicks_key(queue_id), upsell_id, 1)
        if visitor_id is not None:
            pipe.pfadd(fans_key(queue_id, upsell_id), visitor_id)
        await pipe.execute()


async def click_counts(
    redis: Redis, queue_id: str, upsells: tuple[Upsell, ...]
) -> dict[str, tuple[int, int]]:
    """Per card: (clicks, distinct fans)."""
    # PFCOUNT one by one: redis-py refuses it inside a Redis Cluster pipeline
    raw_clicks = await redis.hgetall(clicks_key(queue_id))
    fan_counts: list[int] = await asyncio.gather(
        *(redis.pfcount(fans_key(queue_id, upsell.id)) for upsell in upsells)
    )
    clicks = {
        (key.decode() if isinstance(key, bytes) else str(key)): int(value)
        for key, value in raw_clicks.items()
    }
    return {
        upsell.id: (clicks.get(upsell.id, 0), int(fans))
        for upsell, fans in zip(upsells, fan_counts, strict=True)
    }
