"""Fans with codes: redeem a code, then follow the priority lane (or pass straight through).

- ``POST /api/v1/queues/{id}/codes/redeem`` ``{"code"}`` (position token by cookie or bearer);
- ``GET /api/v1/queues/{id}/lane``: the fan's lane status, with a pass once admitted;
- pages ``GET/POST /q/{id}/code`` (form) and ``GET /q/{id}/lane`` (refreshes by itself).

A bypass fan is admitted as soon as the queue is open (pre-queue over, not paused); a priority
fan when the priority pointer reaches their place (waitroom/storage/lua/advance.lua).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

from starlette.requests import Request

from service_kit.text_input import clean_text
from waitroom.admission import FanState, QueueState
from waitroom.errors import CodeNotAccepted, NotInLane, QueueNotFound
from waitroom.fan import session as fan_session
from waitroom.fan.models import ClosedReason, Lane
from waitroom.fan.passes import place_pass
from waitroom.fan.witness import view_checked_against_token
from waitroom.organizer.metrics import organizer_metrics
from waitroom.queue.codes import CodeKind, CodeStore
from waitroom.tokens import PositionClaims
from waitroom.web.runtime import Runtime

LANE_POLL_MS = 3000
MAX_TYPED_CODE_CHARS = 200
"""What a fan may type into the code field (a real code is 6-64 characters; a longer one is
"unknown", a 404, like any other wrong code)."""


@dataclass(frozen=True, slots=True)
class LaneStatus:
    kind: CodeKind
    state: FanState
    priority_position: int
    ahead: int
    pass_token: str | None
    pass_expires_at: int | None
    redirect_url: str | None
    closed_reason: str | None = None

    def body(self) -> Lane:
        return Lane(
            lane=self.kind,
            state=self.state,
            priority_position=self.priority_position,
            ahead=self.ahead,
            poll_after_ms=LANE_POLL_MS,
            pass_=self.pass_token,
            pass_expires_at=self.pass_expires_at if self.pass_token is not None else None,
            redirect_url=self.redirect_url if self.pass_token is not None else None,
            closed_reason=cast(ClosedReason | None, self.closed_reason),
        )


def code_store(runtime: Runtime) -> CodeStore:
    return CodeStore(runtime.store.scripts)


async def lane_status(runtime: Runtime, claims: PositionClaims) -> LaneStatus:
    queue_id = claims.queue_id
    view = await runtime.views.get(queue_id)
    snapshot = view.snapshot
    place, priority_serving, _ = await code_store(runtime).priority_progress(
        queue_id, claims.visitor_id
    )
    if place is None:
        raise NotInLane()
    kind = CodeKind.PRIORITY if place > 0 else CodeKind.BYPASS
    state_by_config = {
        QueueState.PAUSED: FanState.PAUSED,
        QueueState.CLOSED: FanState.CLOSED,
        QueueState.SOLD_OUT: FanState.SOLD_OUT,
    }
    state = state_by_config.get(snapshot.config.state, FanState.WAITING)
    if state is FanState.WAITING and not snapshot.opened:
        state = FanState.PREQUEUE
    admitted = kind is CodeKind.BYPASS or place <= priority_serving
    if state is FanState.WAITING and admitted:
        state = FanState.ADMITTED
    ahead = max(0, place - priority_serving - 1) if kind is CodeKind.PRIORITY else 0
    if state is not FanState.ADMITTED:
        return LaneStatus(kind, state, place, ahead, None, None, None)
    issued = await place_pass(
        runtime, queue_id, claims.epoch, 0, claims.visitor_id, snapshot.config.redirect_url,
        time.time(),
    )
    if issued.closed_reason is not None:
        return LaneStatus(
            kind, FanState.CLOSED, place, 0, None, None, None, issued.closed_reason
        )
    return LaneStatus(
        kind, state, place, 0, issued.token, issued.expires_at, issued.redirect_url
    )


async def redeem(runtime: Runtime, request: Request, queue_id: str, code: object) -> LaneStatus:
    claims, _ = fan_session.verify_for_status(runtime.codec, request, queue_id)
    typed = clean_text(code, "code", MAX_TYPED_CODE_CHARS)
    counter = organizer_metrics(runtime).code_redemptions
    store = code_store(runtime)
    try:
        try:
            redemption = await store.redeem(queue_id, typed, claims.visitor_id)
        except QueueNotFound:
            # the token witnesses the queue: one Redis lost is restored (paused), not "not found"
            runtime.views.invalidate(queue_id)
            await view_checked_against_token(runtime, claims)
            redemption = await store.redeem(queue_id, typed, claims.visitor_id)
    except CodeNotAccepted as error:
        counter.labels(queue_id, str(error.extra.get("outcome", "rejected"))).inc()
        raise
    counter.labels(queue_id, f"{redemption.outcome}_{redemption.kind.value}").inc()
    return await lane_status(runtime, claims)
