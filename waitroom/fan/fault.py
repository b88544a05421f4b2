"""What a fan is told while the store is away, and the abandonment checks of the status path."""

from __future__ import annotations

from redis.asyncio import Redis

from waitroom.admission import FanState, QueueSnapshot
from waitroom.fan.status import FanStatus
from waitroom.queue.availability import PAUSED_FOR_FAULT_REASON, REDIS_ERRORS
from waitroom.storage.keys import QueueKeys


def paused_by_fault(
    position: int, last_known: QueueSnapshot | None, poll_after_ms: int
) -> FanStatus:
    """Fail closed: nobody is admitted, the fan keeps the place the token proves."""
    serving = last_known.serving if last_known is not None else 0
    ahead = max(0, position - serving - 1) if position > 0 and last_known is not None else 0
    return FanStatus(
        state=FanState.PAUSED,
        position=position,
        ahead=ahead,
        eta_seconds=None,
        eta_range_seconds=None,
        poll_after_ms=poll_after_ms,
        serving=serving,
        queue_length=last_known.queue_length if last_known is not None else 0,
        opens_at=last_known.config.opens_at if last_known is not None else 0.0,
        pause_reason=PAUSED_FOR_FAULT_REASON,
        progress=min(1.0, serving / position) if position > 0 and serving > 0 else 0.0,
    )


async def was_skipped(redis: Redis, queue_id: str, position: int) -> bool:
    """True when the pointer passed this place because its page had stopped polling."""
    if position <= 0:
        return False
    try:
        return bool(await redis.getbit(QueueKeys(queue_id).skipped, position))
    except REDIS_ERRORS:
        return True  # fail closed: no pass while the store cannot tell
