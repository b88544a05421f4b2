"""The dashboard's forms: what each one changes, and which ones ask to be confirmed first.

Each form posts ``action`` (``settings``, ``schedule``, ``open_now``, ``pause``, ``resume``,
``close``, ``autotune``, ``code_create``, ``code_revoke``) with the session's CSRF token.
Steps that are hard to undo or that stop the sale ask for a second step that works without
JavaScript: closing the queue, a rate of 0 and opening before the scheduled time answer a
confirmation page whose form posts the same fields again with ``confirm=yes``.
Only fields that really change are applied (and so written to the audit log).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from service_kit.errors import InvalidInput
from waitroom.admission import QueueConfig
from waitroom.organizer.actions import (
    create_code,
    parse_whole_number,
    revoke_code,
    update_queue,
)
from waitroom.organizer.autotune_settings import autotune_form_body, update_autotune
from waitroom.organizer.local_time import local_text, parse_local, zone_label, zone_named
from waitroom.queue.autotune_store import AutotuneStore
from waitroom.queue.codes import validate_code_request
from waitroom.web.runtime import Runtime

PAST_TOLERANCE_SECONDS = 60
"""An opening this far in the past is taken as a slip (a form left open), not as "now"."""


@dataclass(frozen=True, slots=True)
class Done:
    notice: str
    created_code: str = ""


@dataclass(frozen=True, slots=True)
class NeedsConfirmation:
    """A confirmation page: what will happen, and the fields to post again with confirm=yes."""

    title: str
    explanation: str
    confirm_label: str
    fields: dict[str, str] = field(default_factory=dict)
    danger: bool = True


def _confirmed(form: dict[str, str]) -> bool:
    return form.get("confirm") == "yes"


async def apply_dashboard_form(
    runtime: Runtime, queue_id: str, actor: str, form: dict[str, str], config: QueueConfig
) -> Done | NeedsConfirmation:
    """Apply one form (raises InvalidInput with a message for the organizer)."""
    action = form.get("action", "")
    if action == "settings":
        return await _settings(runtime, queue_id, actor, form, config)
    if action == "schedule":
        return await _schedule(runtime, queue_id, actor, form, config)
    if action == "open_now":
        if config.opens_at <= time.time():
            return Done("The queue is open already.")
        if not _confirmed(form):
            return NeedsConfirmation(
                "Open the sale now?",
                "The opening was scheduled for later. Opening now draws the places of everyone "
                "in the pre-queue at once and starts admitting at the set rate.",
                "Open now",
                {"action": "open_now"},
            )
        await update_queue(runtime, queue_id, actor, {"opens_at": 0})
        return Done("The queue is open: the pre-queue's places are drawn now.")
    if action == "pause":
        reason = form.get("pause_reason", "")[:500]
        await update_queue(runtime, queue_id, actor, {"state": "paused", "pause_reason": reason})
        return Done("Queue paused: nobody new is let in until you resume.")
    if action == "resume":
        await update_queue(runtime, queue_id, actor, {"state": "open", "pause_reason": ""})
        return Done("Queue resumed.")
    if action == "close":
        if not _confirmed(form):
            return NeedsConfirmation(
                "Close the queue?",
                "New fans are turned away, and the fans who are waiting now are told the queue "
                "is closed and are not let in. You can open it again, but fans who left in the "
                "meantime do not come back by themselves.",
                "Close the queue",
                {"action": "close"},
            )
        await update_queue(runtime, queue_id, actor, {"state": "closed"})
        return Done("Queue closed.")
    if action == "autotune":
        before = await AutotuneStore(runtime.redis).settings(queue_id)
        after = await update_autotune(runtime, queue_id, actor, autotune_form_body(form))
        if after == before:
            return Done("Nothing changed.")
        if not after.enabled:
            return Done("Autotune is off: the rate stays where it is.")
        return Done(
            f"Autotune is on: the rate follows the shop's health between "
            f"{after.min_rate_per_minute} and {after.max_rate_per_minute} per minute."
        )
    if action == "code_create":
        kind, max_uses, label, _ = validate_code_request(
            {
                "kind": form.get("kind", "priority"),
                "max_uses": parse_whole_number(form.get("max_uses", "1"), "max_uses"),
                "label": form.get("label", ""),
            }
        )
        plain, _ = await create_code(runtime, queue_id, actor, kind, max_uses, label)
        return Done("Code created: copy it now, it is shown only once.", plain)
    if action == "code_revoke":
        await revoke_code(runtime, queue_id, actor, form.get("code_id", ""))
        return Done("Code revoked.")
    raise InvalidInput("unknown action", field="action")


async def _settings(
    runtime: Runtime, queue_id: str, actor: str, form: dict[str, str], config: QueueConfig
) -> Done | NeedsConfirmation:
    rate = parse_whole_number(form.get("rate_per_minute", ""), "rate_per_minute")
    cap = parse_whole_number(form.get("active_shopper_cap", "0") or "0", "active_shopper_cap")
    fields: dict[str, Any] = {}
    if rate != config.rate_per_minute:
        fields["rate_per_minute"] = rate
    if cap != config.active_shopper_cap:
        fields["active_shopper_cap"] = cap
    if not fields:
        return Done("Nothing changed.")
    if fields.get("rate_per_minute") == 0 and not _confirmed(form):
        return NeedsConfirmation(
            "Set the admission rate to 0?",
            "A rate of 0 lets nobody in: fans keep their places and see that the queue is "
            "paused, but without a reason. To stop admissions for a while, Pause (with a "
            "reason fans can read) says more.",
            "Set the rate to 0",
            {
                "action": "settings",
                "rate_per_minute": "0",
                "active_shopper_cap": str(cap),
            },
        )
    await update_queue(runtime, queue_id, actor, fields)
    return Done("Settings saved.")


async def _schedule(
    runtime: Runtime, queue_id: str, actor: str, form: dict[str, str], config: QueueConfig
) -> Done:
    zone = zone_named(form.get("time_zone"))
    typed = form.get("opens_at_local", "").strip()
    if not typed:
        raise InvalidInput(
            "choose the date and time of the opening (or Open now)", field="opens_at"
        )
    opens_at = parse_local(typed, zone)
    now = time.time()
    if opens_at < now - PAST_TOLERANCE_SECONDS:
        raise InvalidInput(
            f"{local_text(opens_at, zone)} ({zone_label(zone, opens_at)}) has passed: choose a "
            "time to come, or Open now",
            field="opens_at",
        )
    if abs(opens_at - config.opens_at) < 1:
        return Done("Nothing changed.")
    await update_queue(runtime, queue_id, actor, {"opens_at": max(opens_at, now)})
    return Done(
        f"Opening scheduled for {local_text(opens_at, zone)} ({zone_label(zone, opens_at)}). "
        "Fans who come before then wait in the pre-queue and get random places at opening."
    )
