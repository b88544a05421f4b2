"""Typed bodies of the fans' API: what fans send and what they get back.

The status answer (:class:`Status`) is built by the status path itself (a hand-made body on
the hot path); the model here describes it for the OpenAPI document and adds no work to a poll.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from service_kit.models import Document, Model, StrictModel
from waitroom.admission import FanState
from waitroom.fan.profile import ProfileDocument, ProfileFormDocument
from waitroom.fan.survey_definitions import SurveyDefinition
from waitroom.fan.upsell_definitions import UpsellDefinition
from waitroom.queue.codes import CodeKind

NonNegative = Annotated[int, msgspec.Meta(ge=0)]
ClosedReason = Literal[
    "purchase_completed", "pass_expired", "session_ended", "queue_closed", "away_too_long"
]


class Status(Document):
    """A fan's place: the answer of join, status and rejoin (``token`` and ``queue_id`` on
    join and rejoin; ``pass``, ``pass_expires_at`` and ``redirect_url`` once admitted)."""

    state: FanState
    position: NonNegative
    ahead: NonNegative
    eta_seconds: int | None
    poll_after_ms: NonNegative
    eta_range_seconds: list[int] | None = None
    serving: int | None = None
    queue_length: int | None = None
    progress: float | None = None
    server_time: float | None = None
    tickets_remaining: int | None = None
    stock_may_return: bool | None = None
    opens_at: float | None = None
    pause_reason: str | None = None
    token: str | None = None
    queue_id: str | None = None
    pass_: str | None = msgspec.field(default=None, name="pass")
    pass_expires_at: int | None = None
    redirect_url: str | None = None
    session_deadline: int | None = None
    closed_reason: ClosedReason | None = None
    degraded: bool | None = None
    away_grace_seconds: int | None = None
    """How long a place is kept while its fan is away (absent: the queue never skips absent
    fans)."""
    returning: bool | None = None
    """Back within the grace after the place was skipped: admitted at the next step."""


class Frame(Document):
    """The shared queue frame (``waitroom/fan/frame.py``): the same for every fan of a queue,
    ``Cache-Control: public, max-age=1`` with an ``ETag``."""

    queue_id: str
    epoch: int
    state: Literal["prequeue", "open", "paused", "sold_out", "closed"]
    opened: bool
    serving: int
    tail: int
    queue_length: int
    outflow_per_second: float
    eta_spread: list[float]
    heartbeat_after_ms: int
    frame_poll_ms: int
    opens_at: float | None = None
    tickets_remaining: int | None = None
    stock_may_return: bool | None = None
    pause_reason: str | None = None
    away_grace_seconds: int | None = None


class Challenge(Document):
    """A proof-of-work challenge for joining."""

    challenge: str
    difficulty_bits: int
    expires_in_seconds: int
    required: bool


class Lane(Document):
    """A fan's place in a priority or bypass lane (a pass once admitted)."""

    lane: CodeKind
    state: FanState
    priority_position: int
    ahead: int
    poll_after_ms: int
    pass_: str | None = msgspec.field(default=None, name="pass")
    pass_expires_at: int | None = None
    redirect_url: str | None = None
    closed_reason: ClosedReason | None = None


class CodeRedemption(Model):
    code: Annotated[str, msgspec.Meta(description="the code as typed (at most 200 characters)")]


class JoinForm(Model):
    """The queue page's "Join the queue" button (no fields of its own: the visitor cookie and
    the page's origin say who joins)."""


class CodeForm(Model):
    code: str


Profile = ProfileDocument
"""A saved pre-checkout profile."""


class ProfileAnswer(Document):
    profile: Profile | None


class SavedProfile(Document):
    profile: Profile
    ttl_seconds: int
    your_turn_email: bool
    """The your-turn e-mail will be sent (the fan opted in and the waiting room sends e-mail)."""


SurveyAnswer = str | list[str]


class SurveySubmission(Model):
    answers: dict[str, SurveyAnswer]


class LabelledOption(Document):
    id: str
    label: str


class QuestionReview(Document):
    """A quiz question after answering: the fan's options, the right ones, whether they match."""

    question_id: str
    text: str
    chosen: list[LabelledOption]
    correct: list[LabelledOption]
    is_correct: bool


class RecordedAnswers(Document):
    """Recorded answers (a quiz adds ``score``, ``out_of`` and the ``review``)."""

    survey_id: str
    answers: dict[str, SurveyAnswer]
    score: int | None = None
    out_of: int | None = None
    review: list[QuestionReview] | None = None


class FanContent(Document):
    """What the queue page offers (surveys without their correct answers)."""

    surveys: list[SurveyDefinition]
    upsells: list[UpsellDefinition]
    profile_form: ProfileFormDocument
    answered_surveys: list[str]
    quiz_reviews: dict[str, list[QuestionReview]]
    """An answered quiz's review, by survey id."""
    profile: Profile | None


class Left(Document):
    """The place was given up (``position`` null when it was already gone)."""

    state: Literal["left"]
    position: int | None


class Receipt(Document):
    """A signed receipt of the fan's place and where the pre-queue's order is published."""

    receipt: dict[str, Any]
    signed: str
    publication_url: str


class ReceiptToCheck(Model):
    signed: str


class ReceiptCheck(Document):
    """A genuine receipt (``valid``: whether it names this queue)."""

    valid: bool
    receipt: dict[str, Any]


class Publication(Document):
    """The public record of the fair pre-queue: the commitment, hashed visitor ids, and after
    the opening the seed and the order."""

    queue_id: str
    opened: bool
    count: int
    hashed_visitor_ids: list[str]
    opens_at: float | None = None
    shuffle_seed_sha256: str | None = None
    shuffle_seed: str | None = None
    first_position: int | None = None
    ordered_hashed_visitor_ids: list[str] | None = None


class WaitlistSubmission(StrictModel):
    """A fan still waiting in a queue sold out by stock leaves an e-mail for returned tickets."""

    email: Annotated[str, msgspec.Meta(description="an e-mail address, at most 254 characters")]


WaitlistStatus = Literal["waiting", "offered", "used", "ended", "lapsed", "skipped"]


class WaitlistEntryView(Document):
    status: WaitlistStatus
    email: str
    place_on_list: Annotated[int, msgspec.Meta(ge=1)] | None
    """1 for the next fan to get an offer; null once the fan is not waiting any more."""
    offer_expires_at: int | None


class WaitlistAnswer(Document):
    waitlist: WaitlistEntryView | None
    offered: bool = True
    """This waiting room sends e-mail (else there is no waiting list)."""


class WaitlistRemoved(Document):
    removed: bool
