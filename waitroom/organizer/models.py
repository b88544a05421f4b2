"""Typed bodies of the organizers' JSON API (the queue settings model is
:class:`waitroom.admission.QueueSettings`, shared with the dashboard's forms)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from service_kit.models import Document, Model
from waitroom.admission import QueueState
from waitroom.fan.upsell_definitions import UpsellDefinition
from waitroom.queue.codes import CodeKind

NonNegative = Annotated[int, msgspec.Meta(ge=0)]


class TierFigures(Document):
    tier_id: str
    remaining: int
    name: str | None = None
    capacity: int | None = None
    sold: int | None = None
    held: int | None = None


class EventFigures(Document):
    """One event's figures as the site last reported them."""

    event_id: str
    remaining: int
    tiers: list[TierFigures]
    updated_at: float
    capacity: int | None = None
    sold: int | None = None
    held: int | None = None
    version: int | None = None


class StockFigures(Document):
    """Stock per event and the totals over them (null totals: no event reports)."""

    events: list[EventFigures]
    removed_event_ids: list[str]
    remaining_total: int | None = None
    capacity_total: int | None = None
    sold_total: int | None = None
    held_total: int | None = None
    sold_out: bool | None = None
    updated_at: float | None = None


class QueueDocument(Document):
    """A queue's settings and live figures (``GET`` adds the protection figures and
    ``stock``, the stock per event as the site reported it)."""

    queue_id: str
    state: QueueState
    rate_per_minute: NonNegative
    queue_length: int
    admitted_total: int
    opens_at: float | None = None
    burst: int | None = None
    redirect_url: str | None = None
    name: str | None = None
    pause_reason: str | None = None
    event_id: str | None = None
    active_shopper_cap: NonNegative | None = None
    abandon_after_seconds: NonNegative | None = None
    away_grace_seconds: NonNegative | None = None
    created_at: float | None = None
    shuffle_seed_sha256: str | None = None
    shuffle_seed: str | None = None
    prequeue: bool | None = None
    prequeue_length: int | None = None
    joined_total: int | None = None
    serving_position: int | None = None
    tail_position: int | None = None
    epoch: int | None = None
    measured_outflow_per_minute: float | None = None
    sold_out_by_stock: bool | None = None
    stock: StockFigures | None = None


class QueueIds(Document):
    queues: list[str]


class LiveFigures(Document):
    """Every figure of the dashboard in one answer."""

    queue_id: str
    now: float
    state: str
    series: dict[str, Any]
    queue_length: int | None = None
    admitted_total: int | None = None
    audit: list[dict[str, Any]] | None = None


class AuditEntry(Document):
    at: float
    actor: str
    action: str
    changes: dict[str, Any]


class AuditLog(Document):
    queue_id: str
    entries: list[AuditEntry]


class AuditQuery(Model):
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000, description="entries (default 50)")] = 50


class Code(Document):
    """A code as organizers see it (``code``, the plain code, only in the creation answer)."""

    code_id: str
    kind: CodeKind
    max_uses: int
    uses: int
    revoked: bool
    label: str = ""
    hint: str = ""
    created_at: float = 0.0
    code: str | None = None


class Codes(Document):
    queue_id: str
    codes: list[Code]


class EventRemoved(Document):
    queue_id: str
    event_id: str
    queue_state: str
    removed: bool
    had_figures: bool
    stock: StockFigures | None


class EventRestored(Document):
    """``restored`` false: the event was not removed."""

    queue_id: str
    event_id: str
    restored: bool


class SurveyResults(Document):
    queue_id: str
    surveys: list[dict[str, Any]]


class UpsellCard(UpsellDefinition):
    """An upsell card with its clicks and the fans who clicked."""

    clicks: int = 0
    fans: int = 0


class UpsellCards(Document):
    upsells: list[UpsellCard]


class LoginForm(Model):
    """The dashboard's login form (its CSRF token is double-submitted in a cookie)."""

    token: str
    csrf_token: str
    name: str = ""


class LogoutForm(Model):
    csrf_token: str = ""


class PreviewQuery(Model):
    queue_id: Annotated[str, msgspec.Meta(max_length=64, description="a queue, or a sample")] = ""


class AutotuneDecision(Document):
    at: float
    rate_before: int
    rate_per_minute: int
    kind: Literal["down", "up", "hold", "bound"]
    reason: str
    p95_ms: float | None
    error_ratio: float | None
    requests: int
    process: str = ""


class OperationHealthView(Document):
    requests: int
    errors: int
    error_ratio: float
    p95_ms: float | None


class SiteHealthView(Document):
    """The site's figures over the fresh reports of all its processes."""

    reporters: int
    updated_at: float
    window_seconds: int
    operations: dict[str, OperationHealthView]


class Autotune(Document):
    """Autotune's settings, the site's health and the latest decisions (newest first)."""

    queue_id: str
    enabled: bool
    min_rate_per_minute: int
    max_rate_per_minute: int
    target_p95_ms: int
    max_error_ratio: float
    interval_seconds: float
    health: SiteHealthView | None
    decisions: list[AutotuneDecision]
    now: float
