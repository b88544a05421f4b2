"""The dashboard's forms: what each one changes, and which ones ask to be confirmed first.

Each form posts ``action`` (``settings``, ``schedule``, ``open_now``, ``pause``, ``resume``,
``close``, ``autotune``, ``code_create``, ``code_revoke``) with the session's CSRF token; it is
decoded into that action's model (:data:`waitroom.organizer.form_models.DashboardForm`, which
holds every field's type and bounds), so what is left here is what a model cannot say.
Steps that are hard to undo or that stop the sale ask for a second step that works without
JavaScript: closing the queue, a rate of 0 and opening before the scheduled time answer a
confirmation page whose form posts the same fields again with ``confirm=yes``.
Only fields that really change are applied (and so written to the audit log).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service_kit.errors import InvalidInput
from service_kit.form_fields import decode_form
from waitroom.admission import QueueConfig
from waitroom.organizer.actions import create_code, revoke_code, update_queue
from waitroom.organizer.autotune_settings import autotune_change, update_autotune
from waitroom.organizer.form_models import (
    AutotuneForm,
    CloseForm,
    CodeCreateForm,
    CodeRevokeForm,
    DashboardForm,
    OpenNowForm,
    PauseForm,
    ResumeForm,
    ScheduleForm,
    SettingsForm,
)
from waitroom.organizer.local_time import local_text, parse_local, zone_label, zone_named
from waitroom.queue.autotune_store import AutotuneStore
from waitroom.queue.codes import CodeRequest, validate_code_request
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


def dashboard_form(fields: Mapping[str, str]) -> DashboardForm:
    """The posted fields as their action's model (raises InvalidInput naming the field)."""
    form: DashboardForm = decode_form(fields, DashboardForm)
    return form


async def apply_dashboard_form(
    runtime: Runtime, queue_id: str, actor: str, form: DashboardForm, config: QueueConfig
) -> Done | NeedsConfirmation:
    """Apply one form (raises InvalidInput with a message for the organizer)."""
    if isinstance(form, SettingsForm):
        return await _settings(runtime, queue_id, actor, form, config)
    if isinstance(form, ScheduleForm):
        return await _schedule(runtime, queue_id, actor, form, config)
    if isinstance(form, OpenNowForm):
        if config.opens_at <= time.time():
            return Done("The queue is open already.")
        if form.confirm != "yes":
            return NeedsConfirmation(
                "Open the sale now?",
                "The opening was scheduled for later. Opening now draws the places of everyone "
                "in the pre-queue at once and starts admitting at the set rate.",
                "Open now",
                {"action": "open_now"},
            )
        await update_queue(runtime, queue_id, actor, {"opens_at": 0})
        return Done("The queue is open: the pre-queue's places are drawn now.")
    if isinstance(form, PauseForm):
        await update_queue(
            runtime, queue_id, actor, {"state": "paused", "pause_reason": form.pause_reason}
        )
        return Done("Queue paused: nobody new is let in until you resume.")
    if isinstance(form, ResumeForm):
        await update_queue(runtime, queue_id, actor, {"state": "open", "pause_reason": ""})
        return Done("Queue resumed.")
    if isinstance(form, CloseForm):
        if form.confirm != "yes":
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
    if isinstance(form, AutotuneForm):
        return await _autotune(runtime, queue_id, actor, form)
    if isinstance(form, CodeCreateForm):
        kind, max_uses, label, _ = validate_code_request(
            CodeRequest(kind=form.kind, max_uses=form.max_uses, label=form.label)
        )
        plain, _ = await create_code(runtime, queue_id, actor, kind, max_uses, label)
        return Done("Code created: copy it now, it is shown only once.", plain)
    assert isinstance(form, CodeRevokeForm)
    await revoke_code(runtime, queue_id, actor, form.code_id)
    return Done("Code revoked.")


async def _autotune(runtime: Runtime, queue_id: str, actor: str, form: AutotuneForm) -> Done:
    before = await AutotuneStore(runtime.redis).settings(queue_id)
    after = await update_autotune(runtime, queue_id, actor, autotune_change(form))
    if after == before:
        return Done("Nothing changed.")
    if not after.enabled:
        return Done("Autotune is off: the rate stays where it is.")
    return Done(
        f"Autotune is on: the rate follows the shop's health between "
        f"{after.min_rate_per_minute} and {after.max_rate_per_minute} per minute."
    )


async def _settings(
    runtime: Runtime, queue_id: str, actor: str, form: SettingsForm, config: QueueConfig
) -> Done | NeedsConfirmation:
    fields: dict[str, Any] = {}
    if form.rate_per_minute != config.rate_per_minute:
        fields["rate_per_minute"] = form.rate_per_minute
    if form.active_shopper_cap != config.active_shopper_cap:
        fields["active_shopper_cap"] = form.active_shopper_cap
    if not fields:
        return Done("Nothing changed.")
    if fields.get("rate_per_minute") == 0 and form.confirm != "yes":
        return NeedsConfirmation(
            "Set the admission rate to 0?",
            "A rate of 0 lets nobody in: fans keep their places and see that the queue is "
            "paused, but without a reason. To stop admissions for a while, Pause (with a "
            "reason fans can read) says more.",
            "Set the rate to 0",
            {
                "action": "settings",
                "rate_per_minute": "0",
                "active_shopper_cap": str(form.active_shopper_cap),
            },
        )
    await update_queue(runtime, queue_id, actor, fields)
    return Done("Settings saved.")


async def _schedule(
    runtime: Runtime, queue_id: str, actor: str, form: ScheduleForm, config: QueueConfig
) -> Done:
    zone = zone_named(form.time_zone)
    opens_at = parse_local(form.opens_at_local, zone)
    now = time.time()
    if opens_at < now - PAST_TOLERANCE_SECONDS:
        raise InvalidInput(
            f"opens_at: {local_text(opens_at, zone)} ({zone_label(zone, opens_at)}) has passed: "
            "choose a time to come, or Open now",
            field="opens_at",
        )
    if abs(opens_at - config.opens_at) < 1:
        return Done("Nothing changed.")
    await update_queue(runtime, queue_id, actor, {"opens_at": max(opens_at, now)})
    return Done(
        f"Opening scheduled for {local_text(opens_at, zone)} ({zone_label(zone, opens_at)}). "
        "Fans who come before then wait in the pre-queue and get random places at opening."
    )
