"""The event with live stock as buyers and staff see it (shared by the API and the HTML
pages), and JSON answers of documents."""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import Response

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import (
    EventTexts,
    EventView,
    PhaseNow,
    PhaseView,
    RowView,
    SectionView,
    TierTexts,
    TierView,
)
from service_kit.languages import DEFAULT_LANGUAGE
from service_kit.models import encode


def json_response(body: Any, status_code: int = 200) -> Response:
    """A JSON answer of a document (or of bytes already encoded), never cached."""
    payload = body if isinstance(body, bytes) else encode(body)
    return Response(
        payload,
        status_code=status_code,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


def event_view(
    event: Event,
    stock: dict[str, int],
    now_seconds: float | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> EventView:
    """The event with its names in ``language`` (else the organizer's default text)."""
    now = time.time() if now_seconds is None else now_seconds
    phase = event.active_phase(now)
    tiers = []
    for tier in event.tiers:
        prefix = f"tier:{tier.tier_id}:"
        tiers.append(
            TierView(
                tier_id=tier.tier_id,
                name=tier.name.text(language),
                kind=tier.kind,
                price_minor=event.price_minor(tier, phase) if phase else tier.price_minor,
                admits=tier.admits,
                includes=tier.includes.text(language),
                seated=tier.seated,
                on_sale=phase is not None and phase.offers(tier.tier_id),
                capacity=stock.get(prefix + "capacity", 0),
                remaining=stock.get(prefix + "remaining", 0),
                held=stock.get(prefix + "held", 0),
                sold=stock.get(prefix + "sold", 0),
            )
        )
    capacity_total = stock.get("capacity_total", 0)
    return EventView(
        event_id=event.event_id,
        queue_id=event.queue_id,
        name=event.name.text(language),
        venue=event.venue.text(language),
        time_zone=event.time_zone,
        starts_at=event.starts_at,
        currency=event.currency,
        max_tickets_per_order=event.max_tickets_per_order,
        max_tickets_per_buyer=event.max_tickets_per_buyer,
        phase=None
        if phase is None
        else PhaseNow(phase.phase_id, phase.name.text(language), phase.ends_at),
        phases=[
            PhaseView(p.phase_id, p.name.text(language), p.starts_at, p.ends_at)
            for p in event.phases
        ],
        tiers=tiers,
        sections=[
            SectionView(
                section.section_id,
                section.name.text(language),
                section.tier_id,
                [RowView(row.row_id, len(row.seat_numbers)) for row in section.rows],
            )
            for section in event.sections
        ],
        sold_out=capacity_total > 0 and stock.get("sold_total", 0) >= capacity_total,
        capacity_total=capacity_total,
        remaining_total=stock.get("remaining_total", 0),
        held_total=stock.get("held_total", 0),
        sold_total=stock.get("sold_total", 0),
    )


def event_texts(event: Event) -> EventTexts:
    """The organizer's texts as given (a string, or one per language), for staff: the event
    view's names are in one language."""
    return EventTexts(
        name=event.name.document(),
        venue=event.venue.document(),
        tiers={
            tier.tier_id: TierTexts(tier.name.document(), tier.includes.document())
            for tier in event.tiers
        },
        phases={phase.phase_id: phase.name.document() for phase in event.phases},
        sections={section.section_id: section.name.document() for section in event.sections},
    )


def staff_event_view(event: Event, stock: dict[str, int]) -> EventView:
    """The staff's view: names in English, and the organizer's texts as given."""
    view = event_view(event, stock)
    view.texts = event_texts(event)
    return view
