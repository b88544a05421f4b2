"""Typed bodies of the shop's JSON API: what buyers and staff send (msgspec models).

Types, ranges, patterns and unknown fields are checked when a body is decoded (a 400 problem
naming the field, :mod:`service_kit.models`); what needs the catalog or the store (the tier
exists, the seat is free, typed text) is checked by the domain functions that take these.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from sale_backend.domain.tickets import MAX_CODE_LENGTH
from service_kit.models import ID_PATTERN, Model

MAX_LINES = 50
MAX_REFUND_TICKETS = 100
MAX_SCANS_PER_BATCH = 200
PAGE_SIZE = 2000
"""Tickets in a page of the door scanners' list, unless asked for fewer."""
MAX_PAGE_SIZE = 5000
SHOP_ID = "^[a-z0-9][a-z0-9_-]{0,63}~[a-z][0-9a-f]{16}$"
"""Hold, order and ticket ids: ``<event_id>~<kind letter><16 hex>``."""
EventId = Annotated[str, msgspec.Meta(pattern=ID_PATTERN)]
ShopId = Annotated[str, msgspec.Meta(pattern=SHOP_ID)]
ScanId = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{8,64}$")]
Millis = Annotated[int, msgspec.Meta(ge=0, lt=2**53, description="ms since 1970")]
Door = Annotated[str, msgspec.Meta(description="a door name (at most 40 characters are kept)")]


Quantity = Annotated[int, msgspec.Meta(ge=0, le=100)]
TierKey = Annotated[str, msgspec.Meta(max_length=64)]
"""A tier named in a selection (whether it exists is the catalog's question)."""
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,255}$"
IdempotencyKey = Annotated[
    str, msgspec.Meta(pattern=IDEMPOTENCY_KEY, description="1-255 visible ASCII characters")
]
CardNumber = Annotated[
    str, msgspec.Meta(max_length=64, description="12-19 digits (spaces allowed)")
]
PayerName = Annotated[str, msgspec.Meta(max_length=1000, description="1-120 characters")]
PayerEmail = Annotated[str, msgspec.Meta(max_length=1000, description="an e-mail address")]
RefundTicketIds = Annotated[list[ShopId], msgspec.Meta(max_length=MAX_REFUND_TICKETS)]
"""Tickets of an order to refund (none: every valid ticket)."""


class Item(Model):
    tier_id: TierKey
    quantity: Quantity


Items = (
    Annotated[list[Item], msgspec.Meta(max_length=MAX_LINES, description="[{tier_id, quantity}]")]
    | Annotated[dict[str, Quantity], msgspec.Meta(max_length=MAX_LINES, description="{tier_id: n}")]
)
Seats = Annotated[
    list[Annotated[str, msgspec.Meta(max_length=100)]], msgspec.Meta(max_length=MAX_LINES)
]


class HoldBody(Model):
    """Tickets of tiers and seats of the seat map to hold (the cart timer starts)."""

    event_id: EventId
    items: Items = msgspec.field(default_factory=list)
    seats: Seats = msgspec.field(default_factory=list)


class CheckoutBody(Model):
    """Pay a hold (``hold_id``), or express: a selection (``event_id`` with ``items`` and
    ``seats``), with the payer's card, name and e-mail."""

    card_number: CardNumber
    name: PayerName
    email: PayerEmail
    hold_id: ShopId | None = None
    event_id: EventId | None = None
    items: Items = msgspec.field(default_factory=list)
    seats: Seats = msgspec.field(default_factory=list)


class RefundBody(Model):
    """Tickets of the order to refund (none listed: every valid ticket)."""

    ticket_ids: RefundTicketIds = msgspec.field(default_factory=list)


class ScanBody(Model):
    """One scan: the signed code (or, with ``event_id``, a short code typed at the door)."""

    code: Annotated[str, msgspec.Meta(description="the signed QR code, or a short code")]
    event_id: EventId | None = None
    door: Door | None = None
    scan_id: Annotated[str, msgspec.Meta(max_length=64)] = ""


class BatchScan(Model):
    scan_id: ScanId
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CODE_LENGTH)]
    scanned_at_ms: Millis | None = None
    decision: Literal["check", "admitted", "rejected"] = "check"


class ScanBatchBody(Model):
    """A scanner's scans (online ones, and those it decided offline with their times)."""

    device_id: ScanId
    scans: Annotated[list[BatchScan], msgspec.Meta(min_length=1, max_length=MAX_SCANS_PER_BATCH)]
    door: Door | None = None
    device_clock_ms: Millis | None = None


LocalId = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,32}$")]
PriceMinor = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
OrganizerText = Annotated[
    str | dict[str, str],
    msgspec.Meta(
        description="one line, at most 200 characters: one string, or an object of language "
        "codes (en, et, ru, zh_Hans) to strings (fans see theirs, else English, else the first)"
    ),
]
TierKind = Literal["standard", "vip", "child", "group", "bundle", "accessible", "other"]
FOREVER = 4_102_444_800.0
"""2100-01-01: a phase without an end."""


class Definition(msgspec.Struct, omit_defaults=True):
    """Base of the event definition's parts: organizers' documents (and the catalogs stored
    from them) may carry fields of their own, which are kept and ignored."""


class TierDefinition(Definition):
    tier_id: LocalId
    price_minor: PriceMinor
    capacity: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None
    """Required unless the tier is seated (then its seats are its capacity)."""
    name: OrganizerText | None = None
    kind: TierKind = "standard"
    admits: Annotated[int, msgspec.Meta(ge=1, le=50)] = 1
    includes: OrganizerText = ""


class PhaseDefinition(Definition):
    phase_id: LocalId
    name: OrganizerText | None = None
    starts_at: float = 0.0
    ends_at: float = FOREVER
    tier_ids: list[str] = msgspec.field(default_factory=list)
    prices_minor: dict[str, PriceMinor] = msgspec.field(default_factory=dict)


class RowDefinition(Definition):
    row_id: LocalId
    seats: Annotated[int, msgspec.Meta(ge=1, le=500)]


class SectionDefinition(Definition):
    section_id: LocalId
    tier_id: LocalId
    rows: list[RowDefinition]
    name: OrganizerText | None = None


def _general_phase() -> list[PhaseDefinition]:
    return [PhaseDefinition("general")]


class EventDefinition(Definition):
    """An event as the organizer defines it: tiers (prices in minor units of ``currency``),
    sale phases (default: one that is always open) and an optional seat map."""

    queue_id: EventId
    tiers: Annotated[list[TierDefinition], msgspec.Meta(min_length=1)]
    name: OrganizerText | None = None
    venue: OrganizerText = ""
    time_zone: Annotated[
        str, msgspec.Meta(max_length=64, description="IANA name (Europe/Tallinn); empty: none")
    ] = ""
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "EUR"
    starts_at: float = 0.0
    max_tickets_per_order: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    max_tickets_per_buyer: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 6
    phases: list[PhaseDefinition] = msgspec.field(default_factory=_general_phase)
    sections: list[SectionDefinition] = msgspec.field(default_factory=list)


class TicketListQuery(Model):
    """A page of the door scanners' ticket list: the tickets changed after ``after``."""

    after: Annotated[int, msgspec.Meta(ge=0, le=2**53, description="version the scanner has")] = 0
    limit: Annotated[
        int, msgspec.Meta(ge=0, le=MAX_PAGE_SIZE, description="page size (0: the default)")
    ] = PAGE_SIZE
