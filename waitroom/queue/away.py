"""A place kept while its fan is away: the pointer skips places whose page stopped checking in
(``abandonment.lua``), and keeps each for the queue's ``away_grace_seconds``.

A fan who comes back within the grace is admitted at the next admission step, ahead of everyone
still waiting (``advance.lua`` takes the ``returned`` set first); past the grace the place is
given up and the fan is told so and may join again. The queue never waits for absent fans: a
skipped place does not hold the pointer.
"""

from __future__ import annotations

from enum import StrEnum

from waitroom.admission import DEFAULT_AWAY_GRACE_SECONDS
from waitroom.storage.script_replies import AwayReply
from waitroom.storage.scripts import QueueScripts

AWAY_TOO_LONG_REASON = "away_too_long"
"""``closed_reason`` of a place given up because its fan was away longer than the grace."""


class AwayOutcome(StrEnum):
    ADMITTED = "admitted"
    RETURNING = "returning"
    EXPIRED = "expired"


async def returning_fan(scripts: QueueScripts, queue_id: str, position: int) -> AwayReply:
    """What became of a place below the serving pointer: ``admitted`` (never skipped, or
    readmitted), ``returning`` (skipped, its fan back within the grace: this call records the
    return) or ``expired``. Raises the client's Redis errors (the caller fails closed)."""
    reply = await scripts.away_return(queue_id, position, DEFAULT_AWAY_GRACE_SECONDS)
    return AwayReply(AwayOutcome(reply.outcome), reply.ahead)
