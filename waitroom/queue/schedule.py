"""Scheduling an opening on a queue that is already open: later joiners wait in a pre-queue.

A queue opens once (the ``opened`` counter is set by the admission scripts when ``opens_at``
passes, and the fans in the pre-queue get their random places then). When an organizer sets an
opening time in the future on a queue that has opened already (typically: created open, then
scheduled), :func:`reopen_prequeue` makes it a queue that has not opened yet again, in one
transaction:

- ``opened`` is cleared, so the admission scripts send every new fan to the pre-queue and move
  the serving pointer no further until ``opens_at`` (fans who already have a place keep it and
  are first at the opening: they came before the schedule was set);
- a fresh shuffle seed is drawn and its commitment published: the old seed was revealed at the
  first opening, so it cannot decide the next draw;
- the stored after-opening publication of the first draw is dropped (the public record of
  ``GET /api/v1/queues/{id}/prequeue`` is always the coming or the latest draw).

The configure script has already set ``opens_at`` (and settled the pointer at the old
settings); this runs right after it. The admission scripts are untouched: the pre-queue and the
fair draw at opening are theirs.
"""

from __future__ import annotations

import hashlib
import secrets

from redis.asyncio import Redis

from waitroom.storage.keys import QueueKeys


async def reopen_prequeue(redis: Redis, queue_id: str) -> bool:
    """Make an opened queue wait for its (future) ``opens_at`` again, with a new seed.
    Returns True when the queue had opened (False: it was waiting already, nothing changed)."""
    keys = QueueKeys(queue_id)
    opened = await redis.hget(keys.counters, "opened")
    if opened not in (b"1", "1"):
        return False
    seed = secrets.token_hex(32)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hdel(keys.counters, "opened")
        pipe.hset(
            keys.config,
            mapping={
                "shuffle_seed": seed,
                "shuffle_seed_sha256": hashlib.sha256(seed.encode()).hexdigest(),
            },
        )
        pipe.delete(keys.prequeue_publication)
        await pipe.execute()
    return True
