"""The your-turn e-mail: fans who opt in get one e-mail when the serving pointer passes their
place, with the link back to the queue page (which claims the pass).

Keys of the queue (hash tag ``{q:<id>}``):
- ``your_turn``: sorted set visitor id -> position (the fans waiting for the e-mail);
- ``your_turn_mail``: hash visitor id -> JSON ``{"email", "lang", "position", "epoch"}``
  (the epoch as text: Lua numbers keep 14 digits);
- ``mail_alert``: bitmap, one bit per position: a fan with the alert may close the page, so
  abandonment never skips the place (``lua/abandonment.lua``);
- ``mail_outbox`` / ``mail_messages``: the queue's outbox (:mod:`service_kit.mail_outbox`).

:meth:`YourTurnAlerts.queue_due` moves the fans whose place was reached into the outbox in one
Lua step (``lua/your_turn_due.lua``): any number of processes may call it, each fan's e-mail
is queued once.
"""

from __future__ import annotations

import orjson
from redis.asyncio import Redis

from service_kit.lua import lua_source
from service_kit.mail_outbox import OutboxKeys
from waitroom.storage.keys import QueueKeys

DUE_BATCH = 200


def queue_outbox(queue_id: str) -> OutboxKeys:
    return OutboxKeys(QueueKeys(queue_id).prefix)


class YourTurnAlerts:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._due = redis.register_script(lua_source("waitroom.storage", "your_turn_due"))

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
            pipe.zadd(keys.part("your_turn"), {visitor_id: position})
            pipe.hset(keys.part("your_turn_mail"), visitor_id, entry)
            pipe.setbit(keys.part("mail_alert"), position, 1)
            await pipe.execute()

    async def unsubscribe(self, queue_id: str, visitor_id: str, position: int | None) -> None:
        keys = QueueKeys(queue_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.part("your_turn"), visitor_id)
            pipe.hdel(keys.part("your_turn_mail"), visitor_id)
            if position:
                pipe.setbit(keys.part("mail_alert"), position, 0)
            await pipe.execute()

    async def subscribed(self, queue_id: str, visitor_id: str) -> bool:
        score = await self.redis.zscore(QueueKeys(queue_id).part("your_turn"), visitor_id)
        return score is not None

    async def queue_due(self, queue_id: str) -> int:
        """Queues the e-mails of the fans whose turn came; returns how many."""
        keys = QueueKeys(queue_id)
        outbox = queue_outbox(queue_id)
        names = [
            keys.counters,
            keys.part("your_turn"),
            keys.part("your_turn_mail"),
            outbox.outbox,
            outbox.messages,
        ]
        return int(await self._due(keys=names, args=[DUE_BATCH, queue_id]))
