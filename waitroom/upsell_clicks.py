"""Click counts of upsell cards: total clicks and distinct fans (HyperLogLog) per card."""

from __future__ import annotations

from redis.asyncio import Redis

from waitroom.keys import QueueKeys
from waitroom.upsell_definitions import Upsell


def clicks_key(queue_id: str) -> str:
    return QueueKeys(queue_id).part("upsell_clicks")


def fans_key(queue_id: str, upsell_id: str) -> str:
    return QueueKeys(queue_id).part(f"upsell:{upsell_id}:fans")


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
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(clicks_key(queue_id))
        for upsell in upsells:
            pipe.pfcount(fans_key(queue_id, upsell.id))
        replies = await pipe.execute()
    clicks = {
        (key.decode() if isinstance(key, bytes) else str(key)): int(value)
        for key, value in replies[0].items()
    }
    return {
        upsell.id: (clicks.get(upsell.id, 0), int(fans))
        for upsell, fans in zip(upsells, replies[1:], strict=True)
    }
