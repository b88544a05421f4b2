"""Leaving the queue: the fan's place is freed for admission to skip.

One script (``leave.lua``) removes the visitor's place (``HDEL visitors``), marks the position in
the queue's ``left`` bitmap (admission skips marked positions) or drops the visitor from the
pre-queue, and deletes the pre-checkout profile.
"""

from __future__ import annotations

from waitroom.storage.scripts import QueueScripts


class QueueLeaving:
    def __init__(self, scripts: QueueScripts) -> None:
        self.scripts = scripts

    async def leave(
        self, queue_id: str, visitor_id: str, keep_profile: bool = False
    ) -> int | None:
        """The position given up (0 from the pre-queue), None when no place was held. The
        profile is deleted unless ``keep_profile`` (the fan joins again at once)."""
        position = await self.scripts.leave(queue_id, visitor_id, keep_profile)
        return None if position < 0 else position
