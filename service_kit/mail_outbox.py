"""A Redis outbox of e-mails, safe with any number of processes: each message is sent once.

An outbox is two keys with a common prefix (the caller picks it, so a queue's mail lives in
the queue's cluster slot): ``<prefix>mail_outbox``, a sorted set message id -> due time (ms),
and ``<prefix>mail_messages``, a hash message id -> JSON payload (what to send, composed at
sending time) plus ``attempts:<id>`` counters.

A message enters an outbox only inside a Lua script, through the shared prelude
``lua/mail_enqueue.lua`` (:data:`ENQUEUE_PRELUDE`, ``enqueue_mail(message_id, payload)``): the
e-mail is queued in the same atomic step as the state it tells about (a shop's order, a queue's
offer), so no process can die between the two. It is the one implementation of the outbox's
format on the writing side; the message id makes queuing idempotent.

A process *claims* due messages with one Lua script (``lua/mail_claim.lua``) that pushes their
due time a lease into the future: no other process sees them while it sends. After the SMTP
server accepted a message it is deleted; after a failure it is due again when the lease ends,
with a growing back-off, and dropped after :data:`MAX_ATTEMPTS`. A process that dies between
the server's acceptance and the deletion leaves the message to be sent again after the lease
(at least once, never lost); that window is one Redis round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import orjson
from redis.asyncio import Redis

from service_kit.lua import LuaScript
from service_kit.mail import MailFailed

ENQUEUE_PRELUDE = ("service_kit", "mail_enqueue")
"""The prelude a script includes to queue mail (:class:`service_kit.lua.LuaScript`)."""
LOGGER = logging.getLogger("waitroom.mail")
LEASE_MILLISECONDS = 60_000
"""Longer than one SMTP exchange can take (the client's timeout is 10 s)."""
MAX_ATTEMPTS = 8
CLAIM_BATCH = 20
RETRY_BASE_MILLISECONDS = 5_000


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class OutboxKeys:
    prefix: str

    @property
    def outbox(self) -> str:
        return self.prefix + "mail_outbox"

    @property
    def messages(self) -> str:
        return self.prefix + "mail_messages"


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    message_id: str
    payload: dict[str, Any]
    attempt: int


Compose = Callable[[dict[str, Any]], Awaitable[EmailMessage | None]]
"""Builds the message of a payload; None when there is nothing to send any more."""
Send = Callable[[EmailMessage], Awaitable[None]]


class MailOutbox:
    """One per process; holds the registered claim script."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._claim = LuaScript(
            redis, "service_kit", "mail_claim", ("mail_outbox", "mail_messages"),
            ("limit", "lease_ms"),
        )

    async def claim(self, keys: OutboxKeys, limit: int = CLAIM_BATCH) -> list[ClaimedMessage]:
        raw = await self._claim([keys.outbox, keys.messages], [limit, LEASE_MILLISECONDS])
        claimed: list[ClaimedMessage] = []
        for index in range(0, len(raw), 3):
            try:
                payload = orjson.loads(raw[index + 1])
            except orjson.JSONDecodeError:
                payload = None
            message_id = _text(raw[index])
            if not isinstance(payload, dict):
                await self.forget(keys, message_id)
                continue
            claimed.append(ClaimedMessage(message_id, payload, int(raw[index + 2])))
        return claimed

    async def forget(self, keys: OutboxKeys, message_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.outbox, message_id)
            pipe.hdel(keys.messages, message_id, f"attempts:{message_id}")
            await pipe.execute()

    async def retry_later(self, keys: OutboxKeys, message: ClaimedMessage) -> None:
        delay = RETRY_BASE_MILLISECONDS * 2 ** min(message.attempt - 1, 8)
        now_seconds, micros = await self.redis.time()
        due = int(now_seconds) * 1000 + int(micros) // 1000 + delay
        await self.redis.zadd(keys.outbox, {message.message_id: due}, xx=True)

    async def pending(self, keys: OutboxKeys) -> int:
        return int(await self.redis.zcard(keys.outbox))

    async def deliver(self, keys: OutboxKeys, compose: Compose, send: Send) -> int:
        """Sends the due messages of one outbox; returns how many the server accepted."""
        sent = 0
        for message in await self.claim(keys):
            email = await compose(message.payload)
            if email is None:
                await self.forget(keys, message.message_id)
                continue
            try:
                await send(email)
            except MailFailed as error:
                if message.attempt >= MAX_ATTEMPTS:
                    LOGGER.error("mail %s dropped after %d attempts: %s",
                                 message.message_id, message.attempt, error)
                    await self.forget(keys, message.message_id)
                else:
                    LOGGER.warning("mail %s failed (attempt %d): %s",
                                   message.message_id, message.attempt, error)
                    await self.retry_later(keys, message)
                continue
            await self.forget(keys, message.message_id)
            sent += 1
        return sent
