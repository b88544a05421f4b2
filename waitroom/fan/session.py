"""Joining and reading a fan's status: shared by the JSON API and the queue page.

Domain-level steps that raise :mod:`waitroom.errors` errors; callers turn them into HTTP.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import NamedTuple

from starlette.requests import Request

from service_kit.cookies import set_cookie_header
from waitroom.admission import QueueState
from waitroom.connector.queue_ids import is_valid_queue_id
from waitroom.errors import QueueNotFound, QueueUnavailable, TokenError, TokenMissing, TokenReset
from waitroom.fan.cookies import (
    VISITOR_COOKIE,
    VISITOR_COOKIE_MAX_AGE_SECONDS,
    position_cookie_name,
)
from waitroom.fan.passes import place_pass
from waitroom.fan.presented_token import token_in_headers
from waitroom.fan.status import (
    ADMITTED,
    PAUSED,
    WAITING,
    FanStatus,
    fan_status,
    place_closed,
    returning_status,
    store_away_status,
)
from waitroom.fan.witness import fresh_view_for_token, view_checked_against_token
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.queue.away import AWAY_TOO_LONG_REASON, AwayOutcome, returning_fan
from waitroom.queue.view import QueueView
from waitroom.storage.script_replies import JoinLimited, JoinLimits, JoinReply
from waitroom.tokens import (
    PositionClaims,
    TokenCodec,
    new_visitor_id,
)
from waitroom.web.runtime import Runtime

VISITOR_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


@dataclass(frozen=True, slots=True)
class Joined:
    claims: PositionClaims
    token: str
    created: bool
    reply: JoinReply
    """What the join script saw: the first status is told from it (no view refresh)."""


class StatusAnswer(NamedTuple):
    """Immutable; a named tuple because one is built for every status poll."""

    claims: PositionClaims
    status: FanStatus
    """What the fan is told (:mod:`waitroom.fan.status` decides the state)."""
    refreshed_token: str | None = None
    """A new position token, when the place changed (pre-queue shuffled, queued again)."""
    pass_token: str | None = None
    pass_expires_at: int | None = None
    redirect_url: str | None = None
    session_deadline: int | None = None
    """While the pass is in use at the site: the session's deadline (unix s)."""


def checked_queue_id(queue_id: str) -> str:
    if not is_valid_queue_id(queue_id):
        raise QueueNotFound(queue_id[:64])
    return queue_id


def presented_token(request: Request, queue_id: str) -> tuple[str | None, bool]:
    """(token, came_from_bearer_header)."""
    return token_in_headers(request.scope["headers"], queue_id)


def visitor_cookie(request: Request) -> str | None:
    value = request.cookies.get(VISITOR_COOKIE)
    if value and VISITOR_ID_PATTERN.match(value):
        return value
    return None


async def join(runtime: Runtime, request: Request, queue_id: str) -> Joined:
    """Join, or return the place this browser or token already holds."""
    token, from_header = presented_token(request, queue_id)
    claims: PositionClaims | None = None
    limits: JoinLimits | None = None
    if token is not None:
        try:
            claims = runtime.codec.verify_position(token, queue_id=queue_id)
        except TokenError as error:
            runtime.metrics.token_rejections.labels(error.reason).inc()
            if from_header:
                raise
            claims = None  # a stale cookie: join again by visitor id, which keeps the place
    if claims is not None:
        visitor_id = claims.visitor_id
        await view_checked_against_token(runtime, claims)
    else:
        visitor_id = visitor_cookie(request) or new_visitor_id()
        # no place proven by a token: proof of work (428/503), and the join limits the join
        # script applies in the same round trip (429)
        limits = await runtime.protection.before_new_place(request, runtime.redis, queue_id)
    result = await _join_store(runtime, queue_id, visitor_id, limits)
    # the tail the join script saw (every process's places, not only this one's): for this
    # process's view and the state guard's witness, without a view refresh
    runtime.views.note_place(queue_id, result.epoch, max(result.position, result.tail))
    runtime.metrics.joins.labels(queue_id, result.outcome).inc()
    if claims is not None and claims.epoch == result.epoch and claims.position == result.position:
        return Joined(claims, token or "", False, result)
    fresh = PositionClaims(queue_id, result.epoch, result.position, visitor_id, int(time.time()))
    return Joined(fresh, runtime.codec.issue_position(fresh), result.is_new, result)


async def _join_store(
    runtime: Runtime, queue_id: str, visitor_id: str, limits: JoinLimits | None = None
) -> JoinReply:
    """The join script; a queue Redis forgot is first put back by the state guard when this
    process's view proves it existed (waitroom/queue/state_guard.py), so a new fan never hears "not
    found" for a queue that exists, and gets a place above every place already given. Raises
    TooManyJoins when the client's join limits refuse a new place."""
    try:
        try:
            reply = await runtime.store.join(queue_id, visitor_id, limits)
        except QueueNotFound:
            if await runtime.views.confirm_missing(queue_id):
                raise
            reply = await runtime.store.join(queue_id, visitor_id, limits)
    except REDIS_ERRORS:
        raise QueueUnavailable(queue_id, runtime.protection.retry_after_seconds) from None
    if isinstance(reply, JoinLimited):
        raise runtime.protection.limited(queue_id, reply)
    return reply


async def view_after_join(runtime: Runtime, queue_id: str, joined: JoinReply) -> QueueView:
    """The view a fan's first status is told from: the process's cached view with what the join
    script just saw (pointer, tail, state), so a join costs no view refresh and no witness check
    (the join itself proved the place). When the queue's state changed since the cached view,
    the view is read again (the paused page for a fan who joined a paused queue)."""
    view = await runtime.views.get(queue_id)
    snapshot = view.snapshot
    if snapshot.epoch != joined.epoch or snapshot.config.state.value != joined.state:
        runtime.views.invalidate(queue_id)
        view = await runtime.views.get(queue_id)
        snapshot = view.snapshot
    if snapshot.redis_now_ms >= joined.redis_now_ms:
        if snapshot.tail >= joined.tail:
            return view
        return view._replace(snapshot=replace(snapshot, tail=joined.tail))
    return view._replace(
        snapshot=replace(
            snapshot,
            serving=joined.serving,
            tail=joined.tail,
            redis_now_ms=joined.redis_now_ms,
            opened=joined.opened,
        )
    )


def verify_for_status(
    codec: TokenCodec, request: Request, queue_id: str
) -> tuple[PositionClaims, str]:
    token, _ = presented_token(request, queue_id)
    return verify_status_token(codec, token, queue_id), token or ""


def verify_status_token(codec: TokenCodec, token: str | None, queue_id: str) -> PositionClaims:
    if token is None:
        raise TokenMissing("no position token: join the queue first")
    return codec.verify_position(token, queue_id=queue_id)


async def status(
    runtime: Runtime,
    claims: PositionClaims,
    fresh: QueueView | None = None,
    *,
    joined: JoinReply | None = None,
) -> StatusAnswer:
    """What the fan holding ``claims`` is told, with the pass once admitted. ``fresh``: the
    fresh view of the queue, when the caller already looked it up; ``joined``: told right after
    this join, from what the join script saw (see :func:`view_after_join`).

    A waiting fan in a fresh view (nearly every poll) costs no ``await``: the view is cached
    in-process and the heartbeat is recorded in memory."""
    view: QueueView | None = None
    if joined is None or joined.epoch != claims.epoch:
        if fresh is None:
            fresh = runtime.views.fresh(claims.queue_id)
        view = fresh_view_for_token(runtime, claims, fresh)
    if view is None:
        try:
            if joined is not None and joined.epoch == claims.epoch:
                view = await view_after_join(runtime, claims.queue_id, joined)
            else:
                view = await view_checked_against_token(runtime, claims)
        except QueueUnavailable:
            away = store_away_status(
                claims.position,
                runtime.views.last_known(claims.queue_id),
                runtime.settings.poll_interval_max_ms,
            )
            return StatusAnswer(claims, away)
    snapshot = view.snapshot
    if claims.epoch != snapshot.epoch:
        raise TokenReset("the queue was reset since this token was issued: join again")
    refreshed: str | None = None
    if claims.position == 0 and snapshot.opened:
        position = await runtime.store.position_of(claims.queue_id, claims.visitor_id)
        if position is None:
            raise TokenReset("this place is not known to the queue: join again")
        if position > 0:
            claims = PositionClaims(
                claims.queue_id, claims.epoch, position, claims.visitor_id, int(time.time())
            )
            refreshed = runtime.codec.issue_position(claims)
    settings = runtime.settings
    now = time.time()
    answer = fan_status(
        view, claims.position, now, settings.poll_interval_min_ms, settings.poll_interval_max_ms
    )
    state = answer.state
    if state is WAITING or state is PAUSED:
        runtime.protection.heartbeats.seen(claims.queue_id, claims.position)
    elif state is ADMITTED:
        # a place given up with "leave" (or reassigned) earns no pass, and is not queued again
        if await runtime.store.position_of(claims.queue_id, claims.visitor_id) != claims.position:
            raise TokenReset("this place was given up: join the queue again")
        redirect_url = snapshot.config.redirect_url
        return await _admitted(runtime, claims, answer, refreshed, redirect_url, now)
    return StatusAnswer(claims, answer, refreshed)


async def _admitted(
    runtime: Runtime,
    claims: PositionClaims,
    answer: FanStatus,
    refreshed: str | None,
    redirect_url: str,
    now: float,
) -> StatusAnswer:
    issued = await place_pass(
        runtime, claims.queue_id, claims.epoch, claims.position, claims.visitor_id,
        redirect_url, now,
    )
    if issued.not_admitted:
        return await _not_admitted_yet(runtime, claims, refreshed, now)
    if issued.skipped:
        # the pointer skipped the place while the fan was away (page closed, network down):
        # kept for the grace, then given up (waitroom/queue/away.py); checked once per place,
        # since an issued pass's record is remembered
        return await _back_from_away(runtime, claims, answer, refreshed, redirect_url, now)
    if issued.closed_reason is not None:
        closed = place_closed(answer, issued.closed_reason, runtime.settings.poll_interval_max_ms)
        return StatusAnswer(claims, closed, refreshed)
    return StatusAnswer(
        claims,
        answer,
        refreshed,
        issued.token,
        issued.expires_at,
        issued.redirect_url,
        issued.session_deadline,
    )


async def _back_from_away(
    runtime: Runtime,
    claims: PositionClaims,
    answer: FanStatus,
    refreshed: str | None,
    redirect_url: str,
    now: float,
) -> StatusAnswer:
    settings = runtime.settings
    kept = await returning_fan(runtime.store.scripts, claims.queue_id, claims.position)
    if kept.outcome is AwayOutcome.RETURNING:
        back = returning_status(answer, kept.ahead, settings.poll_interval_min_ms)
        return StatusAnswer(claims, back, refreshed)
    if kept.outcome is AwayOutcome.EXPIRED:
        gone = place_closed(answer, AWAY_TOO_LONG_REASON, settings.poll_interval_max_ms)
        return StatusAnswer(claims, gone, refreshed)
    # readmitted since the pass was asked for: the pass now
    return await _admitted(runtime, claims, answer, refreshed, redirect_url, now)


async def _not_admitted_yet(
    runtime: Runtime, claims: PositionClaims, refreshed: str | None, now: float
) -> StatusAnswer:
    """This process's view said "admitted" but the pointer in Redis is below the place (the view
    was read before a pause): the fan is told from a fresh view; no pass."""
    runtime.views.invalidate(claims.queue_id)
    view = await runtime.views.get(claims.queue_id)
    settings = runtime.settings
    answer = fan_status(
        view, claims.position, now, settings.poll_interval_min_ms, settings.poll_interval_max_ms
    )
    if answer.state is ADMITTED:
        config = view.snapshot.config
        paused = config.state is QueueState.PAUSED or config.rate_per_minute == 0
        answer = answer._replace(state=PAUSED if paused else WAITING)
    return StatusAnswer(claims, answer, refreshed)


def cookie_headers(
    runtime: Runtime,
    request: Request,
    queue_id: str,
    position_token: str | None,
    visitor_id: str | None,
) -> list[str]:
    secure = runtime.cookie_secure(request)
    headers: list[str] = []
    if visitor_id is not None and request.cookies.get(VISITOR_COOKIE) != visitor_id:
        headers.append(
            set_cookie_header(VISITOR_COOKIE, visitor_id, VISITOR_COOKIE_MAX_AGE_SECONDS, secure)
        )
    if position_token is not None:
        headers.append(
            set_cookie_header(
                position_cookie_name(queue_id),
                position_token,
                runtime.settings.position_token_max_age_seconds,
                secure,
            )
        )
    return headers

