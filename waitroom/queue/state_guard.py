"""Detects a queue whose Redis state was lost and pauses it instead of reusing places.

Two witnesses remember more than a Redis that restarted empty (or from an old snapshot):
- each process's cached view: the epoch, tail and serving pointer it read last;
- each fan's signed position token: epoch and position.
When Redis knows less than a witness proves (queue gone, older epoch, tail below a known place),
``restore.lua`` puts the high-water marks back (the tail with a margin for the places handed out
since the witness was read: waitroom/queue/unseen_places.py), sets the queue to ``paused`` and
records an alert (``wr:{q:<id>}:alerts``) that the organizer API shows. New joins then get
places above every place already given, fans with tokens keep theirs, and nobody is admitted
until an organizer resumes the queue (which clears the alert).
"""

from __future__ import annotations

import logging
from typing import Any

from waitroom.admission import QueueSnapshot
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.storage.keys import QUEUE_REGISTRY_KEY, QueueKeys
from waitroom.storage.scripts import QueueScripts

STATE_LOST_REASON = "the queue is being checked after a technical incident; places are kept"
logger = logging.getLogger(__name__)


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def knows_less(previous: QueueSnapshot, current: QueueSnapshot | None) -> bool:
    """True when ``current`` (None: queue gone) forgot what ``previous`` showed. The pointer is
    compared as far as it reached into the places handed out: the room it had beyond the tail
    is given up when the queue is paused (advance.lua), which forgets no one."""
    if current is None:
        return True
    if current.epoch != previous.epoch:
        return current.epoch < previous.epoch
    return current.tail < previous.tail or min(current.serving, current.tail) < min(
        previous.serving, previous.tail
    )


class StateGuard:
    def __init__(self, scripts: QueueScripts) -> None:
        self.scripts = scripts
        self.redis = scripts.redis

    async def restore(
        self,
        queue_id: str,
        epoch: int,
        tail: int,
        serving: int,
        opened: bool,
        source: str,
        config: dict[str, str] | None = None,
        unseen: int = 0,
    ) -> bool:
        """When Redis knows less than ``tail`` and ``serving`` (high-water marks), put them back
        and pause; then raise the tail by ``unseen`` places the witness may not have seen (a
        second step, so a witness that is merely behind Redis finds nothing lost)."""
        keys = QueueKeys(queue_id)
        kept = {
            name: value
            for name, value in (config or {}).items()
            if name not in {"state", "pause_reason"}
        }

        async def put_back(high_tail: int) -> bool:
            return await self.scripts.restore(
                queue_id, epoch, high_tail, serving, opened, source, STATE_LOST_REASON, kept
            )

        restored = await put_back(tail)
        if restored and unseen > 0:
            tail += unseen
            await put_back(tail)
        if restored:
            await self.redis.sadd(QUEUE_REGISTRY_KEY, queue_id)
            await self.redis.set(keys.instance_marker, "restored", nx=True)
            logger.error(
                "queue %s: Redis lost its state; restored tail>=%s (%s of them for places the "
                "%s witness may not have seen) serving>=%s and paused it",
                queue_id, tail, unseen, source, serving,
            )
        return restored

    async def data_was_lost(self, queue_id: str) -> bool:
        """The queue's instance marker is gone: its Redis (or cluster node) lost its data."""
        return not await self.redis.exists(QueueKeys(queue_id).instance_marker)

    async def check_view(
        self, previous: QueueSnapshot, current: QueueSnapshot | None, unseen: int = 0
    ) -> bool:
        """Restores and pauses when ``current`` forgot what ``previous`` showed; the tail goes
        back ``unseen`` places above the witness (the detection itself uses the witness)."""
        if not knows_less(previous, current):
            return False
        if current is None and not await self.data_was_lost(previous.queue_id):
            return False  # the queue was removed on purpose; Redis kept its other data
        return await self.restore_from_view(previous, unseen)

    async def restore_from_view(self, previous: QueueSnapshot, unseen: int = 0) -> bool:
        return await self.restore(
            previous.queue_id,
            previous.epoch,
            previous.tail,
            previous.serving,
            previous.opened,
            "process",
            previous.config.stored_hash(),
            unseen,
        )

    async def restore_from_token(
        self, queue_id: str, epoch: int, position: int, queue_missing: bool, unseen: int = 0
    ) -> bool:
        """A signed token proves a place Redis does not know: the queue is gone with all the
        data (``queue_missing``), or its tail is below the token's position (old snapshot)."""
        try:
            if queue_missing and not await self.data_was_lost(queue_id):
                return False
            return await self.restore(
                queue_id, epoch, position, 0, position > 0, "token", unseen=unseen
            )
        except REDIS_ERRORS:
            return False

    async def remember_place(
        self, queue_id: str, epoch: int, current_epoch: int, visitor_id: str, position: int
    ) -> None:
        """Puts a token-proven place back into the visitors hash if Redis forgot it."""
        if position > 0 and epoch == current_epoch:
            await self.redis.hsetnx(QueueKeys(queue_id).visitors, visitor_id, position)

    async def alerts(self, queue_id: str) -> list[dict[str, str]]:
        raw = await self.redis.hgetall(QueueKeys(queue_id).alerts)
        if not raw:
            return []
        return [{_decode(name): _decode(value) for name, value in raw.items()}]

    async def clear_alerts(self, queue_id: str) -> None:
        await self.redis.delete(QueueKeys(queue_id).alerts)
