"""Signed position tokens as witnesses of queue state Redis may have lost (see state_guard)."""

from __future__ import annotations

from waitroom.admission import QueueSnapshot
from waitroom.errors import QueueNotFound, QueueUnavailable
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.queue.state_guard import STATE_LOST_REASON
from waitroom.queue.view import QueueView
from waitroom.tokens import PositionClaims
from waitroom.web.runtime import Runtime


def fresh_view_for_token(
    runtime: Runtime, claims: PositionClaims, fresh: QueueView | None
) -> QueueView | None:
    """``fresh`` (the fresh view of the token's queue, when there is one) if the token needs no
    witness step (nearly every status poll: no ``await``); None when
    :func:`view_checked_against_token` must read or check."""
    if fresh is None or runtime.views.state_guard is None:
        return fresh
    snapshot = fresh.snapshot
    if _place_unknown(snapshot, claims) or _being_checked(snapshot):
        return None
    return fresh


def _place_unknown(snapshot: QueueSnapshot, claims: PositionClaims) -> bool:
    """The token proves a place the view does not know of: the state guard checks it."""
    return claims.epoch == snapshot.epoch and claims.position > snapshot.tail


def _being_checked(snapshot: QueueSnapshot) -> bool:
    """Paused after a store incident: every place a token proves is remembered."""
    return snapshot.config.pause_reason == STATE_LOST_REASON


async def view_checked_against_token(runtime: Runtime, claims: PositionClaims) -> QueueView:
    """The view of the token's queue; when Redis lost what the token proves, the state guard
    restores the high-water mark and pauses the queue (waitroom/queue/state_guard.py)."""
    guard = runtime.views.state_guard
    try:
        view = await runtime.views.get(claims.queue_id)
    except QueueNotFound:
        if guard is None or not await guard.restore_from_token(
            claims.queue_id, claims.epoch, claims.position, queue_missing=True,
            unseen=runtime.views.places_unseen(claims.queue_id),
        ):
            raise
        runtime.views.invalidate(claims.queue_id)
        view = await runtime.views.get(claims.queue_id)
    snapshot = view.snapshot
    if guard is not None and _place_unknown(snapshot, claims):
        await guard.restore_from_token(
            claims.queue_id, claims.epoch, claims.position, queue_missing=False,
            unseen=runtime.views.places_unseen(claims.queue_id),
        )
        runtime.views.invalidate(claims.queue_id)
        view = await runtime.views.get(claims.queue_id)
        snapshot = view.snapshot
    if guard is not None and _being_checked(snapshot):
        try:
            await guard.remember_place(
                claims.queue_id, claims.epoch, snapshot.epoch, claims.visitor_id, claims.position
            )
        except REDIS_ERRORS:
            retry_after = runtime.protection.retry_after_seconds
            raise QueueUnavailable(claims.queue_id, retry_after) from None
    return view
