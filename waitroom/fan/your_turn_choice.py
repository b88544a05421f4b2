"""The your-turn e-mail opt-in: a checkbox of the profile form (field ``your_turn_email``),
sent to the profile's e-mail when the serving pointer passes the fan's place
(:mod:`waitroom.queue.your_turn`). Offered only when SMTP is configured."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from service_kit.errors import InvalidInput
from waitroom.fan.page_context import page_language
from waitroom.tokens import PositionClaims
from waitroom.web.runtime import Runtime

YOUR_TURN_FIELD = "your_turn_email"


def wants_your_turn_mail(fields: dict[str, Any]) -> bool:
    """Pops the opt-in from the profile fields: ``true`` (JSON) or a ticked checkbox (``on``);
    absent or ``false`` means no e-mail. Raises InvalidInput for anything else."""
    value = fields.pop(YOUR_TURN_FIELD, False)
    if isinstance(value, bool):
        return value
    if value == "on":
        return True
    raise InvalidInput(
        f"{YOUR_TURN_FIELD} must be true or false (a form sends 'on')", field=YOUR_TURN_FIELD
    )


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
