"""The your-turn e-mail: fans who opt in get one e-mail when the serving pointer passes their
place, with the link back to the queue page (which claims the pass).

Keys of the queue (hash tag ``{q:<id>}``):
- ``your_turn``: sorted set visitor id -> position (the fans waiting for the e-mail);
- ``your_turn_mail``: hash visitor id -> JSON ``{"email", "lang", "position", "epoch"}``
  (the epoch as text: Lua numbers keep 14 digits);
- ``mail_outbox`` / ``mail_messages``: the queue's outbox (:mod:`service_kit.mail_outbox`).

A subscribed fan may close the page: the mail worker marks their places live (heartbeats,
:mod:`waitroom.queue.heartbeats`) so abandonment never skips them; the e-mail calls them back.

:meth:`YourTurnAlerts.queue_due` moves the fans whose place was reached into the outbox in one
Lua step (``lua/your_turn_due.lua``): any number of processes may call it, each fan's e-mail
is queued once.
"""

from __future__ import annotations

import orjson
from redis.asyncio import Redis

from service_kit.mail_outbox import OutboxKeys
from waitroom.storage.keys import QueueKeys
from waitroom.storage.scripts import QueueScripts

DUE_BATCH = 200


def queue_outbox(queue_id: str) -> OutboxKeys:
    return OutboxKeys(QueueKeys(queue_id).prefix)


class YourTurnAlerts:
    def __init__(self, redis: Redis, scripts: QueueScripts) -> None:
        self.redis = redis
        self.scripts = scripts

    async def subscribe(
        self,
        queue_id: str,
        visitor_id: str,
        epoch: int,
        position: int,
        email: str,
        language: str,
    ) -> None:
        keys = QueueKeys(queue_id)
        entry = orjson.dumps(
            {"email": email, "lang": language, "position": position, "epoch": str(epoch)}
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(keys.your_turn, {visitor_id: position})
            pipe.hset(keys.your_turn_mail, visitor_id, entry)
            await pipe.execute()

    async def unsubscribe(self, queue_id: str, visitor_id: str, position: int | None) -> None:
        keys = QueueKeys(queue_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.your_turn, visitor_id)
            pipe.hdel(keys.your_turn_mail, visitor_id)
            await pipe.execute()

    async def subscribed(self, queue_id: str, visitor_id: str) -> bool:
        score = await self.redis.zscore(QueueKeys(queue_id).your_turn, visitor_id)
        return score is not None

    async def queue_due(self, queue_id: str) -> int:
        """Queues the e-mails of the fans whose turn came; returns how many."""
        return await self.scripts.your_turn_due(queue_id, DUE_BATCH)

    async def waiting_positions(self, queue_id: str, after_position: int) -> list[int]:
        """The places of subscribed fans the pointer has not reached (kept live while their
        page is closed: the e-mail calls them back)."""
        members = await self.redis.zrangebyscore(
            QueueKeys(queue_id).your_turn, f"({after_position}", "+inf", withscores=True
        )
        return [int(item[1]) for item in members if isinstance(item, tuple | list)]
