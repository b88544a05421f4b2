"""Leaving the queue: the fan's place is freed for admission to skip.

One script removes the visitor's place (``HDEL visitors``), marks the position in the queue's
``left`` bitmap (``SETBIT part("left") position 1``; admission skips marked positions) or drops
the visitor from the pre-queue, and deletes the pre-checkout profile.
"""

from __future__ import annotations

from redis.asyncio import Redis

from service_kit.lua import lua_source
from waitroom.storage.keys import QueueKeys

LEFT_BITMAP_PART = "left"


def left_bitmap_key(queue_id: str) -> str:
    return QueueKeys(queue_id).part(LEFT_BITMAP_PART)


class QueueLeaving:
    def __init__(self, redis: Redis) -> None:
        script = lua_source("waitroom.storage", "leave")
        self._leave = redis.register_script(script)

    async def leave(
        self, queue_id: str, visitor_id: str, keep_profile: bool = False
    ) -> int | None:
        """The position given up (0 from the pre-queue), None when no place was held. The
        profile is deleted unless ``keep_profile`` (the fan joins again at once)."""
        keys = QueueKeys(queue_id)
        names = [keys.visitors, left_bitmap_key(queue_id), keys.prequeue]
        if not keep_profile:
            names.append(keys.profile(visitor_id))
        position = int(await self._leave(keys=names, args=[visitor_id]))
        return None if position < 0 else position
