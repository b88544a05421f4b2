"""The organizer's HTML forms as typed models: every field with its type and bounds.

The pages decode a post with :func:`service_kit.form_fields.decode_form` into one of these (the
content editor's position-numbered names first go through
:func:`~service_kit.form_fields.unflatten`); the same models describe the forms in the OpenAPI
document. The bounds are the JSON API's (:class:`waitroom.admission.QueueSettings`,
:class:`~waitroom.queue.autotune_store.AutotuneChange`,
:class:`~waitroom.queue.codes.CodeRequest`, the survey and card definitions); what a model
cannot say (an opening in the future in the organizer's zone, min <= max, a price's decimals
for its currency) is checked where the form is applied.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from service_kit.form_fields import Checkbox, DecimalText
from service_kit.models import Model
from waitroom.admission import Rate
from waitroom.connector.queue_ids import QUEUE_ID_PATTERN
from waitroom.fan.survey_definitions import (
    DEFAULT_TEXT_ANSWER_CHARS,
    MAX_LABEL_CHARS,
    MAX_QUESTIONS,
    MAX_SURVEYS,
    MAX_TEXT_ANSWER_CHARS,
)
from waitroom.fan.upsell_definitions import MAX_UPSELLS, MAX_URL_CHARS
from waitroom.organizer.local_time import LOCAL_INPUT
from waitroom.queue.autotune_store import MAX_TARGET_P95_MS, RatePerMinute
from waitroom.queue.codes import MAX_CODE_USES, CodeKind

DEFAULT_RATE_PER_MINUTE = 60

Confirmed = Literal["yes"] | UnsetType
"""Close, rate 0 and opening early answer a confirmation page first; its form says yes."""
LocalTime = Annotated[
    str,
    msgspec.Meta(
        pattern=LOCAL_INPUT.pattern, description="a local date and time, e.g. 2026-05-01T10:00"
    ),
]
TimeZone = Annotated[
    str, msgspec.Meta(max_length=64, description="an IANA zone, e.g. Europe/Tallinn (else UTC)")
]
ItemIdText = Annotated[
    str, msgspec.Meta(max_length=64, description="a stored item's id (hidden; else made)")
]
LabelText = Annotated[str, msgspec.Meta(max_length=MAX_LABEL_CHARS)]


class DashboardFormFields(Model, tag_field="action"):
    """A dashboard form: its ``action`` and the session's CSRF token."""

    csrf_token: str


class SettingsForm(DashboardFormFields, tag="settings"):
    """The admission rate and the shopper cap (a rate of 0 asks to be confirmed)."""

    rate_per_minute: Rate
    active_shopper_cap: Rate = 0
    confirm: Confirmed = UNSET


class ScheduleForm(DashboardFormFields, tag="schedule"):
    """The opening at a local date and time in the organizer's zone (in the future)."""

    opens_at_local: LocalTime
    time_zone: TimeZone = ""


class OpenNowForm(DashboardFormFields, tag="open_now"):
    """Open before the scheduled time (asks to be confirmed)."""

    confirm: Confirmed = UNSET


class PauseForm(DashboardFormFields, tag="pause"):
    pause_reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ResumeForm(DashboardFormFields, tag="resume"):
    pass


class CloseForm(DashboardFormFields, tag="close"):
    """Close the queue (asks to be confirmed)."""

    confirm: Confirmed = UNSET


class AutotuneForm(DashboardFormFields, tag="autotune"):
    """Autotune on or off, its range of rates and its limits (the error limit in percent)."""

    min_rate_per_minute: RatePerMinute
    max_rate_per_minute: RatePerMinute
    target_p95_ms: Annotated[int, msgspec.Meta(ge=1, le=MAX_TARGET_P95_MS)]
    max_error_percent: DecimalText
    enabled: Checkbox = UNSET


class CodeCreateForm(DashboardFormFields, tag="code_create"):
    kind: CodeKind = CodeKind.PRIORITY
    max_uses: Annotated[int, msgspec.Meta(ge=0, le=MAX_CODE_USES, description="0 = unlimited")] = 1
    label: Annotated[str, msgspec.Meta(max_length=200)] = ""


class CodeRevokeForm(DashboardFormFields, tag="code_revoke"):
    code_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


DashboardForm = (
    SettingsForm
    | ScheduleForm
    | OpenNowForm
    | PauseForm
    | ResumeForm
    | CloseForm
    | AutotuneForm
    | CodeCreateForm
    | CodeRevokeForm
)
"""Every dashboard form, told apart by ``action``."""


class QueueCreationForm(Model):
    """The form that creates a queue: it opens at once, or at a local date and time."""

    csrf_token: str
    queue_id: Annotated[str, msgspec.Meta(pattern=QUEUE_ID_PATTERN.pattern)]
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    rate_per_minute: Rate = DEFAULT_RATE_PER_MINUTE
    active_shopper_cap: Rate = 0
    redirect_url: Annotated[str, msgspec.Meta(max_length=MAX_URL_CHARS)] = ""
    start: Literal["now", "schedule"] = "now"
    opens_at_local: LocalTime | UnsetType = UNSET
    time_zone: TimeZone = ""


class QuestionRow(Model):
    """A question of the content editor (``s<i>-q<j>-<field>``)."""

    id: ItemIdText = ""
    text: LabelText = ""
    type: Literal["single", "multiple", "text"] = "single"
    options: Annotated[
        str,
        msgspec.Meta(
            max_length=4000,
            description="one answer per line; in a quiz a line starting with * is correct",
        ),
    ] = ""
    max_length: Annotated[int, msgspec.Meta(ge=1, le=MAX_TEXT_ANSWER_CHARS)] = (
        DEFAULT_TEXT_ANSWER_CHARS
    )
    required: Checkbox = UNSET
    remove: Checkbox = UNSET


class SurveyRow(Model):
    """A survey or quiz of the content editor (``s<i>-<field>``)."""

    id: ItemIdText = ""
    title: LabelText = ""
    kind: Literal["survey", "quiz"] = "survey"
    questions: Annotated[list[QuestionRow], msgspec.Meta(max_length=MAX_QUESTIONS)] = msgspec.field(
        default_factory=list
    )
    remove: Checkbox = UNSET


class CardRow(Model):
    """An upsell card of the content editor (``u<i>-<field>``)."""

    id: ItemIdText = ""
    title: Annotated[str, msgspec.Meta(max_length=120)] = ""
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    link_url: Annotated[str, msgspec.Meta(max_length=MAX_URL_CHARS)] = ""
    image_url: Annotated[str, msgspec.Meta(max_length=MAX_URL_CHARS)] = ""
    price: DecimalText | UnsetType = UNSET
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")] = "EUR"
    remove: Checkbox = UNSET


class ContentForm(Model):
    """The content editor: surveys, their questions and upsell cards by position (field names
    ``s<i>-title``, ``s<i>-q<j>-text``, ``u<i>-link_url``, ...), the session's CSRF token."""

    csrf_token: str = ""
    surveys: Annotated[list[SurveyRow], msgspec.Meta(max_length=MAX_SURVEYS)] = msgspec.field(
        default_factory=list
    )
    upsells: Annotated[list[CardRow], msgspec.Meta(max_length=MAX_UPSELLS)] = msgspec.field(
        default_factory=list
    )


CONTENT_GROUPS = {"s": "surveys", "q": "questions", "u": "upsells"}
"""The content editor's position letters (for :func:`service_kit.form_fields.unflatten`)."""


class PreviewForm(ContentForm):
    """The preview of a draft: the creation form's or the content editor's fields (a draft that
    is not valid yet is shown with what to fix)."""

    queue_id: Annotated[str, msgspec.Meta(max_length=64)] = ""
    content_form: Literal["1"] | UnsetType = UNSET
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    rate_per_minute: Rate | UnsetType = UNSET
    start: Literal["now", "schedule"] | UnsetType = UNSET
    opens_at_local: LocalTime | UnsetType = UNSET
    time_zone: TimeZone = ""
