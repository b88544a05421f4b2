"""Validation of an organizer's event JSON into a :class:`sale_backend.domain.catalog.Event`.

Every field is checked; errors are :class:`InvalidInput` naming the offending field.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sale_backend.domain.catalog import Event, Phase, Row, Section, Tier
from sale_backend.storage.keys import is_valid_event_id
from service_kit.errors import InvalidInput
from service_kit.text_input import clean_text
from waitroom.connector.queue_ids import is_valid_queue_id

TIER_KINDS = ("standard", "vip", "child", "group", "bundle", "accessible", "other")
LOCAL_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_PRICE_MINOR = 100_000_000
MAX_CAPACITY = 1_000_000
MAX_SEATS = 20_000
MAX_TEXT_CHARS = 200


def _field(data: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = data.get(name, default)
    if value is None:
        raise InvalidInput(f"{name} is required", field=name)
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidInput(f"{name} must be an integer", field=name)
    if kind is float:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidInput(f"{name} must be a number", field=name)
        return float(value)
    if kind is str and (not isinstance(value, str) or len(value) > 200):
        raise InvalidInput(f"{name} must be a string of at most 200 chars", field=name)
    if kind is list and not isinstance(value, list):
        raise InvalidInput(f"{name} must be a list", field=name)
    if kind is dict and not isinstance(value, dict):
        raise InvalidInput(f"{name} must be an object", field=name)
    return value


def _text(data: dict[str, Any], name: str, default: str, where: str = "") -> str:
    """An organizer's text (a name, the venue): normalized, one line, at most 200 chars."""
    return clean_text(
        data.get(name, default), f"{where}{name}", MAX_TEXT_CHARS, required=bool(default)
    )


def _local_id(data: dict[str, Any], name: str) -> str:
    value = _field(data, name, str)
    if not LOCAL_ID_PATTERN.match(value):
        raise InvalidInput(f"{name} must match {LOCAL_ID_PATTERN.pattern}", field=name)
    return str(value)


def _bounded(value: int, name: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return value


def _object(item: Any, name: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidInput(f"every entry of {name} must be an object", field=name)
    return item


def _parse_sections(raw: list[Any]) -> tuple[Section, ...]:
    sections = []
    for item in raw:
        data = _object(item, "sections")
        rows = []
        for row_item in _field(data, "rows", list):
            row = _object(row_item, "rows")
            seats = _field(row, "seats", int)
            rows.append(
                Row(_local_id(row, "row_id"), tuple(range(1, _bounded(seats, "seats", 1, 500) + 1)))
            )
        section_id = _local_id(data, "section_id")
        sections.append(
            Section(
                section_id,
                _text(data, "name", section_id, "sections."),
                _local_id(data, "tier_id"),
                tuple(rows),
            )
        )
    return tuple(sections)


def _time_zone(data: dict[str, Any]) -> str:
    """An IANA time zone name (``Europe/Tallinn``), or empty for none."""
    name = _field(data, "time_zone", str, "")
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "time_zone must be an IANA time zone name such as Europe/Tallinn", field="time_zone"
        ) from None
    return str(name)


def _parse_phases(raw: list[Any], tier_ids: set[str]) -> tuple[Phase, ...]:
    phases = []
    for item in raw:
        data = _object(item, "phases")
        phase_id = _local_id(data, "phase_id")
        offered = tuple(str(value) for value in _field(data, "tier_ids", list, []))
        prices = {
            str(key): _bounded(
                _field({"prices_minor": value}, "prices_minor", int),
                "prices_minor",
                0,
                MAX_PRICE_MINOR,
            )
            for key, value in _field(data, "prices_minor", dict, {}).items()
        }
        if not set(offered) <= tier_ids or not set(prices) <= tier_ids:
            raise InvalidInput(f"phase {phase_id} names an unknown tier", field="phases")
        starts_at = _field(data, "starts_at", float, 0)
        ends_at = _field(data, "ends_at", float, 4_102_444_800)
        if ends_at <= starts_at:
            raise InvalidInput(f"phase {phase_id} ends before it starts", field="phases")
        name = _text(data, "name", phase_id, "phases.")
        phases.append(Phase(phase_id, name, starts_at, ends_at, offered, prices))
    return tuple(sorted(phases, key=lambda phase: phase.starts_at))


def parse_event(event_id: str, data: Any) -> Event:
    """Validate an organizer's event JSON. Raises InvalidInput naming the field."""
    if not is_valid_event_id(event_id):
        raise InvalidInput("event_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", field="event_id")
    data = _object(data, "event")
    queue_id = _field(data, "queue_id", str)
    if not is_valid_queue_id(queue_id):
        raise InvalidInput("queue_id is not a valid queue id", field="queue_id")
    currency = _field(data, "currency", str, "EUR")
    if not CURRENCY_PATTERN.match(currency):
        raise InvalidInput("currency must be an ISO 4217 code such as EUR", field="currency")
    sections = _parse_sections(_field(data, "sections", list, []))
    seat_counts: dict[str, int] = {}
    for section in sections:
        seat_counts[section.tier_id] = seat_counts.get(section.tier_id, 0) + len(section.seat_ids())
    if sum(seat_counts.values()) > MAX_SEATS:
        raise InvalidInput(f"at most {MAX_SEATS} seats per event", field="sections")
    tiers = []
    for item in _field(data, "tiers", list):
        tier_data = _object(item, "tiers")
        tier_id = _local_id(tier_data, "tier_id")
        kind = _field(tier_data, "kind", str, "standard")
        if kind not in TIER_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(TIER_KINDS)}", field="kind")
        seated = tier_id in seat_counts
        capacity = seat_counts[tier_id] if seated else _field(tier_data, "capacity", int)
        tiers.append(
            Tier(
                tier_id=tier_id,
                name=_text(tier_data, "name", tier_id, "tiers."),
                price_minor=_bounded(
                    _field(tier_data, "price_minor", int), "price_minor", 0, MAX_PRICE_MINOR
                ),
                capacity=_bounded(capacity, "capacity", 0, MAX_CAPACITY),
                kind=kind,
                admits=_bounded(_field(tier_data, "admits", int, 1), "admits", 1, 50),
                includes=_text(tier_data, "includes", "", "tiers."),
                seated=seated,
            )
        )
    tier_ids = {tier.tier_id for tier in tiers}
    if not tiers or len(tier_ids) != len(tiers):
        raise InvalidInput("tiers must be a non-empty list with distinct tier_id", field="tiers")
    if not set(seat_counts) <= tier_ids:
        raise InvalidInput("a section names an unknown tier", field="sections")
    phases = _parse_phases(_field(data, "phases", list, [{"phase_id": "general"}]), tier_ids)
    return Event(
        event_id=event_id,
        queue_id=queue_id,
        name=_text(data, "name", event_id),
        currency=currency,
        tiers=tuple(tiers),
        phases=phases,
        sections=sections,
        venue=_text(data, "venue", ""),
        starts_at=_field(data, "starts_at", float, 0),
        max_tickets_per_order=_bounded(
            _field(data, "max_tickets_per_order", int, 10), "max_tickets_per_order", 1, 100
        ),
        max_tickets_per_buyer=_bounded(
            _field(data, "max_tickets_per_buyer", int, 6), "max_tickets_per_buyer", 1, 1000
        ),
        time_zone=_time_zone(data),
    )
