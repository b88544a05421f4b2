"""The catalog: events, ticket tiers, sale phases and an optional seat map.

Names (event, venue, tiers, what a tier includes, phases, sections) are
:class:`~service_kit.localized_text.LocalizedText`: one string or one per language. Organizers
send it as JSON (``PUT /shop/api/v1/staff/events/{event_id}``);
:func:`sale_backend.domain.catalog_parsing.parse_event` validates it. Prices are in minor units
(cents) of the event's currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service_kit.languages import Translate
from service_kit.localized_text import LocalizedText

NO_TEXT = LocalizedText.plain("")


@dataclass(frozen=True, slots=True)
class Tier:
    tier_id: str
    name: LocalizedText
    price_minor: int
    capacity: int
    kind: str = "standard"
    admits: int = 1
    includes: LocalizedText = NO_TEXT
    seated: bool = False


@dataclass(frozen=True, slots=True)
class Phase:
    phase_id: str
    name: LocalizedText
    starts_at: float
    ends_at: float
    tier_ids: tuple[str, ...] = ()
    prices_minor: dict[str, int] = field(default_factory=dict)

    def is_active(self, now_seconds: float) -> bool:
        return self.starts_at <= now_seconds < self.ends_at

    def offers(self, tier_id: str) -> bool:
        return not self.tier_ids or tier_id in self.tier_ids


@dataclass(frozen=True, slots=True)
class Row:
    row_id: str
    seat_numbers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Section:
    section_id: str
    name: LocalizedText
    tier_id: str
    rows: tuple[Row, ...]

    def seat_ids(self) -> list[str]:
        return [
            seat_id(self.section_id, row.row_id, number)
            for row in self.rows
            for number in row.seat_numbers
        ]


def seat_id(section_id: str, row_id: str, number: int) -> str:
    return f"{section_id}-{row_id}-{number}"


@dataclass(frozen=True, slots=True)
class SeatPlace:
    """Where a seat is, in words: section name, row and seat number."""

    section: LocalizedText
    row: str
    number: int

    @property
    def label(self) -> str:
        """In English, for the door scanners' list."""
        return f"{self.section}, row {self.row}, seat {self.number}"

    def words(self, language: str, _: Translate) -> str:
        """``Stalls, row B, seat 12`` in a fan's language (pages and the tickets e-mail)."""
        return _(
            "%(section)s, row %(row)s, seat %(number)s",
            section=self.section.text(language),
            row=self.row,
            number=self.number,
        )


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    queue_id: str
    name: LocalizedText
    currency: str
    tiers: tuple[Tier, ...]
    phases: tuple[Phase, ...]
    sections: tuple[Section, ...] = ()
    venue: LocalizedText = NO_TEXT
    starts_at: float = 0.0
    max_tickets_per_order: int = 10
    max_tickets_per_buyer: int = 6
    time_zone: str = ""
    """IANA name of the venue's time zone (``Europe/Tallinn``); empty: the viewer's own."""

    def tier(self, tier_id: str) -> Tier | None:
        return next((tier for tier in self.tiers if tier.tier_id == tier_id), None)

    def seat_tiers(self) -> dict[str, str]:
        return {seat: section.tier_id for section in self.sections for seat in section.seat_ids()}

    def seat_place(self, seat: str) -> SeatPlace | None:
        """The section, row and number of a seat id (ids may contain ``-``, so the catalog
        decides, not the string)."""
        for section in self.sections:
            for row in section.rows:
                prefix = f"{section.section_id}-{row.row_id}-"
                number = seat[len(prefix) :]
                if seat.startswith(prefix) and number.isdigit() and int(number) in row.seat_numbers:
                    return SeatPlace(section.name, row.row_id, int(number))
        return None

    def active_phase(self, now_seconds: float) -> Phase | None:
        return next((phase for phase in self.phases if phase.is_active(now_seconds)), None)

    def price_minor(self, tier: Tier, phase: Phase) -> int:
        return phase.prices_minor.get(tier.tier_id, tier.price_minor)
