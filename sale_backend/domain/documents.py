"""Typed documents of the shop: the stored order and hold, and what buyers and staff see
(events with live stock, holds, orders with their tickets, refunds, scans). Encoded with
msgspec for the JSON API; the same types describe the answers in the OpenAPI document."""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from service_kit.languages import DEFAULT_LANGUAGE
from service_kit.models import Document

OrderStatus = Literal["paid", "partially_refunded", "refunded"]
TicketState = Literal["valid", "used", "refunded", "missing"]
SeatState = Literal["free", "held", "sold"]


class TierView(Document):
    tier_id: str
    name: str
    kind: str
    price_minor: int
    admits: int
    includes: str
    seated: bool
    on_sale: bool
    capacity: int
    remaining: int
    held: int
    sold: int


class PhaseNow(Document):
    """The sale phase open now."""

    phase_id: str
    name: str
    ends_at: float


class PhaseView(Document):
    phase_id: str
    name: str
    starts_at: float
    ends_at: float


class RowView(Document):
    row_id: str
    seats: int


class SectionView(Document):
    section_id: str
    name: str
    tier_id: str
    rows: list[RowView]


TextAsGiven = str | dict[str, str]
"""An organizer's text as given: one string, or one per language code."""


class TierTexts(Document):
    name: TextAsGiven
    includes: TextAsGiven


class EventTexts(Document):
    """The organizer's texts of an event as given, for staff (keyed by tier, phase, section)."""

    name: TextAsGiven
    venue: TextAsGiven
    tiers: dict[str, TierTexts]
    phases: dict[str, TextAsGiven]
    sections: dict[str, TextAsGiven]


class EventView(Document):
    """An event with live stock (``phase``: the sale phase open now, or null)."""

    event_id: str
    queue_id: str
    name: str
    venue: str
    time_zone: str
    starts_at: float
    currency: str
    max_tickets_per_order: int
    max_tickets_per_buyer: int
    phase: PhaseNow | None
    phases: list[PhaseView]
    tiers: list[TierView]
    sections: list[SectionView]
    sold_out: bool
    capacity_total: int
    remaining_total: int
    held_total: int
    sold_total: int
    texts: EventTexts | None = None
    """Staff answers only: the organizer's texts as given (a string, or one per language); the
    names above are in one language (the buyer's, else English)."""


class Events(Document):
    events: list[EventView]


class Seats(Document):
    event_id: str
    seats: dict[str, SeatState]


class BuyerProfile(Document):
    """The buyer's pre-checkout profile from the waiting room (empty when none)."""

    profile: dict[str, str]


class HoldLine(msgspec.Struct):
    tier_id: str
    seat_id: str
    price_minor: int = 0


class HoldData(msgspec.Struct):
    """A hold as stored (and read by the hold, release and confirm scripts)."""

    buyer: str
    items: dict[str, int]
    seats: list[str]
    lines: list[HoldLine]
    units: int
    amount_minor: int
    currency: str
    phase_id: str


class HoldView(Document):
    """A hold as its buyer sees it (the cart and its timer)."""

    hold_id: str
    event_id: str
    items: dict[str, int]
    seats: list[str]
    lines: list[HoldLine]
    tickets: int
    amount_minor: int
    currency: str
    phase_id: str
    expires_at_ms: int
    expires_in_seconds: int


class OrderTicket(msgspec.Struct):
    """A ticket of a stored order (``state``: filled in from the live ticket states;
    ``short_code`` empty for tickets sold before short codes existed)."""

    ticket_id: str
    tier_id: str
    tier_name: str = ""
    admits: int = 1
    seat_id: str = ""
    price_minor: int = 0
    short_code: str = ""
    state: TicketState | UnsetType = UNSET


class Order(msgspec.Struct):
    """An order as the confirm script stores it (read by the refund script; every field is
    written, ``status`` and the tickets' ``state`` only once filled in from the live states).
    ``language``: the buyer's at checkout (a supported code), the tickets e-mail's language;
    English for orders written before it was recorded."""

    order_id: str
    event_id: str
    event_name: str
    buyer: str
    payment_id: str
    hold_id: str
    name: str
    email: str
    amount_minor: int
    currency: str
    created_at: int
    tickets: list[OrderTicket]
    status: OrderStatus | UnsetType = UNSET
    language: str = DEFAULT_LANGUAGE


class TicketView(Document):
    ticket_id: str
    tier_id: str
    tier_name: str
    admits: int
    seat_id: str
    price_minor: int
    code: str
    short_code: str = ""
    """Printed under the QR code: K7M4-PX2Q-9C."""
    state: TicketState | UnsetType = UNSET


class OrderView(Document):
    """An order as its buyer sees it: ticket codes and the order link's ``access_key``."""

    order_id: str
    event_id: str
    event_name: str
    payment_id: str
    name: str
    email: str
    amount_minor: int
    currency: str
    created_at: int
    tickets: list[TicketView]
    access_key: str
    status: OrderStatus | UnsetType = UNSET


class Payment(msgspec.Struct):
    """A payment intent as recorded before the provider is charged (read back by the
    reconciler; ``express``: the hold was made by the checkout itself and goes back to stock
    when the payment fails; ``language``: the buyer's at checkout, handed on to the order, so
    an order the reconciler writes is e-mailed in it too). ``provider`` and ``created_at`` are
    for people reading the record; the reconciler settles a record without them."""

    payment_id: str
    hold_id: str
    buyer: str
    amount_minor: int
    currency: str
    name: str
    email: str
    provider: str = ""
    created_at: float = 0.0
    express: bool = False
    idempotency_key: str | None = None
    language: str = DEFAULT_LANGUAGE


class Refund(msgspec.Struct):
    """A refund as the refund script records it, with its state at the payment provider
    (``pending``: recorded, the reconciler resends it)."""

    refund_id: str
    order_id: str
    payment_id: str
    amount_minor: int
    currency: str
    ticket_ids: list[str]
    created_at: int
    status: Literal["done", "pending"] = "pending"


class SeatView(msgspec.Struct):
    section: str
    row: str
    number: int


class ScannedTicket(msgspec.Struct):
    """A ticket as the door sees it: every field when its details are known, else only
    ``ticket_id``, ``short_code``, ``tier_name`` and ``admits``. ``seat`` is null for a ticket
    without a seat."""

    ticket_id: str
    short_code: str = ""
    tier_name: str = ""
    admits: int = 1
    order_id: str | UnsetType = UNSET
    tier_id: str | UnsetType = UNSET
    seat_id: str | UnsetType = UNSET
    seat: SeatView | UnsetType | None = UNSET
    seat_label: str | UnsetType = UNSET
    holder: str | UnsetType = UNSET


class ScanEntry(msgspec.Struct, frozen=True):
    """One recorded scan of a ticket, as ``scan.lua`` keeps it and the scanners see it."""

    scan_id: str = ""
    at_ms: int = 0
    door: str = ""
    device: str = ""
    admitted: bool = False
    outcome: str = ""
    offline: bool = False


class FirstScan(msgspec.Struct):
    at_ms: int
    door: str
    device: str


class ScanResult(msgspec.Struct):
    """One scan's answer: ``outcome`` is admitted, already_scanned, duplicate, refunded,
    not_admitted, or for codes that are no ticket of the event mistyped, forged, unknown,
    wrong_event (those answers carry ``detail`` instead of the ticket); ``flagged``: let in
    twice, or let in though refunded."""

    scan_id: str
    outcome: str
    admitted: bool
    flagged: bool
    event_id: str | UnsetType = UNSET
    ticket_id: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    ticket: ScannedTicket | UnsetType = UNSET
    scanned_at_ms: int | UnsetType | None = UNSET
    first_scan: FirstScan | UnsetType | None = UNSET
    admissions: int | UnsetType = UNSET
    entries: list[ScanEntry] | UnsetType = UNSET
    detail: str | UnsetType = UNSET


class ScanAccepted(ScanResult):
    """An accepted entry scan (``accepted`` is always true)."""

    accepted: bool = True


class ScanResults(Document):
    event_id: str
    door: str
    results: list[ScanResult]


class ListedTicket(msgspec.Struct):
    """A ticket of the door scanners' list (``short_code_hash`` and ``short_code_hint`` empty
    for a ticket without a short code)."""

    ticket_id: str
    version: int
    state: TicketState
    code_hashes: list[str]
    short_code_hash: str
    short_code_hint: str
    tier_name: str
    admits: int
    seat_label: str
    holder: str
    first_scan: FirstScan | None
    admissions: int
    entries: list[ScanEntry]


class ScannerEvent(msgspec.Struct):
    event_id: str
    name: str
    venue: str
    starts_at: float
    time_zone: str


class TicketListPage(msgspec.Struct):
    """A page of the door scanners' ticket list (hashed codes; ``more``: ask again after
    ``version``)."""

    event: ScannerEvent
    after_version: int
    version: int
    more: bool
    server_time_ms: int
    tickets: list[ListedTicket]
