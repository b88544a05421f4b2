"""An organizer's event definition (:class:`EventDefinition`) into a
:class:`sale_backend.domain.catalog.Event`.

The model checks every field's type, range and pattern when the body is decoded; this module
checks what needs more than one field (seated tiers, phases naming known tiers, the seat count)
and the typed texts. Errors are :class:`InvalidInput` naming the offending field.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sale_backend.domain.catalog import Event, Phase, Row, Section, Tier
from sale_backend.domain.requests import EventDefinition, PhaseDefinition, SectionDefinition
from sale_backend.storage.keys import is_valid_event_id
from service_kit.errors import InvalidInput
from service_kit.models import convert, decode_json
from service_kit.text_input import clean_text

MAX_SEATS = 20_000
MAX_TEXT_CHARS = 200


def _text(value: str | None, default: str, field: str) -> str:
    """An organizer's text (a name, the venue): normalized, one line, at most 200 chars."""
    return clean_text(
        default if value is None else value, field, MAX_TEXT_CHARS, required=bool(default)
    )


def _sections(definitions: list[SectionDefinition]) -> tuple[Section, ...]:
    sections = []
    for index, definition in enumerate(definitions):
        rows = tuple(
            Row(row.row_id, tuple(range(1, row.seats + 1))) for row in definition.rows
        )
        name = _text(definition.name, definition.section_id, f"sections[{index}].name")
        sections.append(Section(definition.section_id, name, definition.tier_id, rows))
    return tuple(sections)


def _time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Tallinn``), or empty for none."""
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "time_zone must be an IANA time zone name such as Europe/Tallinn", field="time_zone"
        ) from None
    return name


def _phases(definitions: list[PhaseDefinition], tier_ids: set[str]) -> tuple[Phase, ...]:
    phases = []
    for index, definition in enumerate(definitions):
        phase_id = definition.phase_id
        offered = tuple(definition.tier_ids)
        if not set(offered) <= tier_ids or not set(definition.prices_minor) <= tier_ids:
            raise InvalidInput(f"phase {phase_id} names an unknown tier", field="phases")
        if definition.ends_at <= definition.starts_at:
            raise InvalidInput(f"phase {phase_id} ends before it starts", field="phases")
        name = _text(definition.name, phase_id, f"phases[{index}].name")
        phases.append(
            Phase(
                phase_id,
                name,
                definition.starts_at,
                definition.ends_at,
                offered,
                dict(definition.prices_minor),
            )
        )
    return tuple(sorted(phases, key=lambda phase: phase.starts_at))


def event_definition(data: EventDefinition | bytes | Any) -> EventDefinition:
    """The definition from a model, a JSON body or decoded JSON (a stored catalog)."""
    if isinstance(data, EventDefinition):
        return data
    if isinstance(data, bytes):
        return decode_json(data, EventDefinition)
    return convert(data, EventDefinition)


def parse_event(event_id: str, data: EventDefinition | bytes | Any) -> Event:
    """Check an organizer's event definition. Raises InvalidInput naming the field."""
    if not is_valid_event_id(event_id):
        raise InvalidInput("event_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", field="event_id")
    definition = event_definition(data)
    sections = _sections(definition.sections)
    seat_counts: dict[str, int] = {}
    for section in sections:
        seat_counts[section.tier_id] = seat_counts.get(section.tier_id, 0) + len(section.seat_ids())
    if sum(seat_counts.values()) > MAX_SEATS:
        raise InvalidInput(f"at most {MAX_SEATS} seats per event", field="sections")
    tiers = []
    for index, tier in enumerate(definition.tiers):
        seated = tier.tier_id in seat_counts
        capacity = seat_counts[tier.tier_id] if seated else tier.capacity
        if capacity is None:
            raise InvalidInput("capacity is required", field=f"tiers[{index}].capacity")
        tiers.append(
            Tier(
                tier_id=tier.tier_id,
                name=_text(tier.name, tier.tier_id, f"tiers[{index}].name"),
                price_minor=tier.price_minor,
                capacity=capacity,
                kind=tier.kind,
                admits=tier.admits,
                includes=_text(tier.includes, "", f"tiers[{index}].includes"),
                seated=seated,
            )
        )
    tier_ids = {tier.tier_id for tier in tiers}
    if len(tier_ids) != len(tiers):
        raise InvalidInput("tiers must have distinct tier_id", field="tiers")
    if not set(seat_counts) <= tier_ids:
        raise InvalidInput("a section names an unknown tier", field="sections")
    return Event(
        event_id=event_id,
        queue_id=definition.queue_id,
        name=_text(definition.name, event_id, "name"),
        currency=definition.currency,
        tiers=tuple(tiers),
        phases=_phases(definition.phases, tier_ids),
        sections=sections,
        venue=_text(definition.venue, "", "venue"),
        starts_at=definition.starts_at,
        max_tickets_per_order=definition.max_tickets_per_order,
        max_tickets_per_buyer=definition.max_tickets_per_buyer,
        time_zone=_time_zone(definition.time_zone),
    )
