"""Typed bodies of the connector API (docs/connector.md, section 6): what a protected site
sends and what it gets back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from service_kit.models import Document, Model
from waitroom.queue.pass_records import PASS_ID_PATTERN, SESSION_ID_PATTERN
from waitroom.queue.stock_reports import PurchaseStock

MAX_UNTIL_SECONDS = 2**40
PassId = Annotated[str, msgspec.Meta(pattern=PASS_ID_PATTERN.pattern)]
EndReason = Literal["purchase_completed", "session_ended"]


class Claim(Model):
    """A pass presented to the site, to bind to the site's session ``session_id``."""

    pass_: Annotated[str, msgspec.Meta(min_length=1)] = msgspec.field(name="pass")
    session_id: Annotated[str, msgspec.Meta(pattern=SESSION_ID_PATTERN.pattern)]


class Session(Document):
    pass_id: str
    session_id: str
    deadline: int
    buyer: str


class SessionState(Document):
    state: Literal["active", "ended", "expired"]
    deadline: int
    reason: str | None = None


class Extension(Model):
    until: Annotated[int, msgspec.Meta(ge=0, lt=MAX_UNTIL_SECONDS, description="unix seconds")]


class Deadline(Document):
    """The granted deadline (unix seconds)."""

    deadline: int


class Ending(Model):
    reason: EndReason = "session_ended"
    stock: PurchaseStock | None = None
    """With ``purchase_completed``: the event sold in and its stock ``version`` at the sale, so
    a waiting-list ticket stays held until a stock report that counted this sale."""


class Ended(Document):
    ended: bool


MAX_CALLS_PER_BATCH = 64


class ClaimCall(Model, tag_field="op", tag="claim"):
    """A claim in a batch: the body of ``POST sessions``."""

    pass_: Annotated[str, msgspec.Meta(min_length=1)] = msgspec.field(name="pass")
    session_id: Annotated[str, msgspec.Meta(pattern=SESSION_ID_PATTERN.pattern)]


class EndCall(Model, tag_field="op", tag="end"):
    """An end in a batch: ``POST sessions/{pass_id}/end`` with its body."""

    pass_id: PassId
    reason: EndReason = "session_ended"
    stock: PurchaseStock | None = None


class SessionCalls(Model):
    """Claims and ends of one site process sent together (each answered on its own)."""

    calls: Annotated[
        list[ClaimCall | EndCall], msgspec.Meta(min_length=1, max_length=MAX_CALLS_PER_BATCH)
    ]


class CallAnswer(Document):
    """One call's answer: the status and body its own endpoint gives."""

    status: int
    body: dict[str, Any]


class SessionAnswers(Document):
    answers: list[CallAnswer]


class SiteProfile(Document):
    """The fan's pre-checkout profile (``{}`` when none)."""

    profile: dict[str, Any]


class StockAnswer(Document):
    """Stored: the queue's state after the report and the stock over all its events
    (``stale``: an older version than the one kept, so nothing changed)."""

    queue_state: str
    remaining_total: int
    stale: bool | None = None


class HealthAccepted(Document):
    """A stored health report (section 7)."""

    accepted: bool
    autotune: bool
    """Whether autotune is on for the queue."""
