"""The your-turn e-mail opt-in: a checkbox of the profile form (field ``your_turn_email`` of
:class:`~waitroom.fan.profile.ProfileSubmission`),
sent to the profile's e-mail when the serving pointer passes the fan's place
(:mod:`waitroom.queue.your_turn`). Offered only when SMTP is configured."""

from __future__ import annotations

from starlette.requests import Request

from waitroom.fan.page_context import page_language
from waitroom.tokens import PositionClaims
from waitroom.web.runtime import Runtime


async def apply_your_turn_choice(
    runtime: Runtime, request: Request, claims: PositionClaims, wanted: bool, email: str
) -> bool:
    """Subscribes or unsubscribes the fan; True when the e-mail will be sent. A fan still in
    the pre-queue (no place yet) or already admitted is not subscribed."""
    if not runtime.settings.mail_enabled:
        return False
    queue_id = claims.queue_id
    position = await runtime.store.position_of(queue_id, claims.visitor_id) or 0
    alerts = runtime.your_turn
    if not wanted or position <= 0:
        await alerts.unsubscribe(queue_id, claims.visitor_id, position)
        return False
    view = await runtime.views.get(queue_id)
    if position <= view.snapshot.serving:
        return False
    language = page_language(runtime, request).code
    await alerts.subscribe(queue_id, claims.visitor_id, claims.epoch, position, email, language)
    return True
