"""The waiting list after sell-out: fans still waiting in a queue that sold out leave their
e-mail; tickets that come back are offered to them in their queue order, each with a
time-limited pass sent by e-mail.

Keys of the queue (hash tag ``{q:<id>}``):
- ``waitlist``: sorted set visitor id -> position (fans waiting for an offer, queue order);
- ``waitlist_entries``: hash visitor id -> JSON ``{"email", "lang", "position", "pass_id",
  "status", "expires_at"?}``; ``status`` is ``waiting``, ``offered``, ``used`` (bought),
  ``ended`` (the shopping session ended without a purchase), ``lapsed`` (not used in time),
  ``skipped`` (the place had its pass already);
- ``waitlist_offers``: sorted set visitor id -> deadline of the offers not settled yet.

**Sharing returned tickets.** While anyone is on the list or holds an offer, returned tickets
go to the list: a stock report that makes tickets available again leaves the queue sold out
(``lua/stock_state.lua``) and :meth:`WaitingList.settle` offers them, one ticket per offer,
never more offers than tickets left over (an offer holds its ticket until it is used, lapses
or its shopping session ends; a purchase holds it until the next stock report). When the list
is empty, every offer settled and tickets are still left, the queue returns to the state it
had (everyone still in line is admitted as usual).

An offer is the place's own pass (pass id of the place, :func:`waitroom.tokens.derive_pass_id`),
issued early with ``exp`` = now + ``WAITROOM_WAITLIST_OFFER_SECONDS``: the site's normal
handoff claims it, and the place can never get a second pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from waitroom.queue.pass_records import RECORD_KEEP_SECONDS, PassRecord
from waitroom.storage.keys import QueueKeys
from waitroom.storage.scripts import QueueScripts

OFFERS_PER_STEP = 100
STATUSES = ("waiting", "offered", "used", "ended", "lapsed", "skipped")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class WaitlistEntry:
    email: str
    status: str
    position: int
    pass_id: str
    place_on_list: int | None
    """1 for the next fan to get an offer; None once the fan is no longer waiting."""
    expires_at: int | None = None


@dataclass(frozen=True, slots=True)
class SettleOutcome:
    offered: int
    lapsed: int
    outstanding: int
    reopened: bool


class WaitingList:
    """One per process; holds the registered script."""

    def __init__(self, redis: Redis, scripts: QueueScripts, offer_seconds: int) -> None:
        self.redis = redis
        self.scripts = scripts
        self.offer_seconds = offer_seconds

    async def join(
        self,
        queue_id: str,
        visitor_id: str,
        position: int,
        pass_id: str,
        email: str,
        language: str,
    ) -> WaitlistEntry:
        """Puts the fan on the list (or changes the e-mail of a fan still waiting)."""
        keys = QueueKeys(queue_id)
        current = await self.entry(queue_id, visitor_id)
        if current is not None and current.status != "waiting":
            return current
        document = {
            "email": email,
            "lang": language,
            "position": position,
            "pass_id": pass_id,
            "status": "waiting",
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.waitlist_entries, visitor_id, orjson.dumps(document))
            pipe.zadd(keys.waitlist, {visitor_id: position})
            await pipe.execute()
        entry = await self.entry(queue_id, visitor_id)
        assert entry is not None
        return entry

    async def leave(self, queue_id: str, visitor_id: str) -> bool:
        """Takes a waiting fan off the list; True when the fan was waiting."""
        keys = QueueKeys(queue_id)
        removed = await self.redis.zrem(keys.waitlist, visitor_id)
        if removed:
            await self.redis.hdel(keys.waitlist_entries, visitor_id)
        return bool(removed)

    async def entry(self, queue_id: str, visitor_id: str) -> WaitlistEntry | None:
        keys = QueueKeys(queue_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.waitlist_entries, visitor_id)
            pipe.zrank(keys.waitlist, visitor_id)
            raw, rank = await pipe.execute()
        if raw is None:
            return None
        document = orjson.loads(raw)
        expires_at = document.get("expires_at")
        return WaitlistEntry(
            email=str(document.get("email", "")),
            status=str(document.get("status", "waiting")),
            position=int(document.get("position", 0)),
            pass_id=str(document.get("pass_id", "")),
            place_on_list=None if rank is None else int(rank) + 1,
            expires_at=int(expires_at) if expires_at is not None else None,
        )

    async def settle(self, queue_id: str, now_seconds: float | None = None) -> SettleOutcome:
        """Settles the offers made, offers returned tickets to the next fans and reopens the
        queue once the list is done. Safe to call from any number of processes."""
        keys = QueueKeys(queue_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(keys.waitlist_offers, 0, -1)
            pipe.zrange(keys.waitlist, 0, OFFERS_PER_STEP - 1)
            offers, heads = await pipe.execute()
        visitors = list(dict.fromkeys(_text(item) for item in (*offers, *heads)))
        pass_ids: dict[str, str] = {}
        if visitors:
            raw = await self.redis.hmget(keys.waitlist_entries, visitors)
            for visitor, document in zip(visitors, raw, strict=True):
                pass_id = None if document is None else orjson.loads(document).get("pass_id")
                if isinstance(pass_id, str) and pass_id:
                    pass_ids[visitor] = pass_id
        now = time.time() if now_seconds is None else now_seconds
        offered, lapsed, outstanding, reopened = await self.scripts.waitlist_offer(
            queue_id, pass_ids, now, self.offer_seconds, RECORD_KEEP_SECONDS, OFFERS_PER_STEP
        )
        return SettleOutcome(offered, lapsed, outstanding, reopened)

    async def offered_pass(self, queue_id: str, pass_id: str) -> tuple[PassRecord, str] | None:
        """The record of an offer's pass and the visitor it belongs to; None when the record
        is gone (the offer ended long ago)."""
        values = await self.redis.hmget(
            QueueKeys(queue_id).pass_record(pass_id),
            ["exp", "state", "deadline", "reason", "visitor"],
        )
        if values[0] is None or values[4] is None:
            return None
        found = [_text(value) if value is not None else "" for value in values]
        record = PassRecord(int(found[0]), found[1] or "issued", int(found[2] or 0), found[3])
        return record, found[4]

    async def figures(self, queue_id: str) -> dict[str, int]:
        """Counts per status, for organizers."""
        raw = await self.redis.hvals(QueueKeys(queue_id).waitlist_entries)
        counts = dict.fromkeys(STATUSES, 0)
        for item in raw:
            status = str(orjson.loads(item).get("status", "waiting"))
            counts[status] = counts.get(status, 0) + 1
        return counts
