"""Entry scans at the door: a typed short code or a signed QR code becomes a ticket of the
scanner's event, and ``scan.lua`` records the scan once per scan id with its time, door and
device. Offline scanners send the scans they decided themselves later, with the time they were
made; a ticket let in twice (two scanners offline, or a stale list) is flagged."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson

from sale_backend.domain.documents import ScanEntry
from sale_backend.domain.short_codes import parse_short_code
from sale_backend.domain.ticket_details import TicketDetails
from sale_backend.domain.tickets import TicketCodes
from sale_backend.errors import TicketRejected
from sale_backend.storage.store import SaleStore

DECISIONS = ("check", "admitted", "rejected")
"""``check``: the server decides (online). ``admitted``/``rejected``: an offline scanner did."""
SCAN_ID_LENGTH = range(8, 65)


@dataclass(frozen=True, slots=True)
class ScanRequest:
    code: Any
    door: str
    device: str
    scan_id: str = ""
    scanned_at_ms: int | None = None
    decision: str = "check"


def _entry(item: Any) -> ScanEntry | None:
    """A recorded scan, read leniently (numbers from text); ``None`` for what is no scan."""
    try:
        return msgspec.convert(item, ScanEntry, strict=False)
    except msgspec.ValidationError:
        return None


def entries_from_json(raw: str | bytes | None) -> tuple[ScanEntry, ...]:
    if not raw:
        return ()
    items = orjson.loads(raw)
    if not isinstance(items, list):  # Lua's cjson writes an empty list as {}
        return ()
    return tuple(entry for entry in map(_entry, items) if entry is not None)


def used_at_ms(state: str) -> int | None:
    """The time of the earliest admission kept in a ticket's state ``used:<ms>``."""
    kind, _, value = state.partition(":")
    return int(value) if kind == "used" and value.isdigit() else None


def first_admission(entries: tuple[ScanEntry, ...], state: str) -> ScanEntry | None:
    """The earliest admission; for a ticket scanned before scans were recorded, its state's time
    (door unknown)."""
    admissions = [entry for entry in entries if entry.admitted]
    if admissions:
        return min(admissions, key=lambda entry: entry.at_ms)
    at_ms = used_at_ms(state)
    if at_ms is None:
        return None
    return ScanEntry("", at_ms, "", "", True, "admitted", False)


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What the scan of a ticket of this shop found."""

    outcome: str
    event_id: str
    ticket_id: str
    scan_id: str
    state: str
    details: TicketDetails | None
    entries: tuple[ScanEntry, ...]

    @property
    def admitted(self) -> bool:
        return self.outcome == "admitted"

    @property
    def this_scan(self) -> ScanEntry | None:
        return next((entry for entry in self.entries if entry.scan_id == self.scan_id), None)

    @property
    def first_admission(self) -> ScanEntry | None:
        return first_admission(self.entries, self.state)

    @property
    def admissions(self) -> int:
        counted = sum(1 for entry in self.entries if entry.admitted)
        return counted or (1 if used_at_ms(self.state) is not None else 0)

    @property
    def flagged(self) -> bool:
        """Let in more than once, or let in although refunded."""
        refunded_admitted = self.state == "refunded" and any(e.admitted for e in self.entries)
        return self.admissions > 1 or refunded_admitted


class EntryScanner:
    def __init__(self, store: SaleStore, codes: TicketCodes) -> None:
        self.store = store
        self.codes = codes

    async def resolve(self, code: Any, event_id: str | None) -> tuple[str, str]:
        """(event id, ticket id) of a signed code or of a short code of ``event_id``.
        Raises TicketRejected (``mistyped``, ``forged``, ``unknown``, ``wrong_event``)."""
        if not isinstance(code, str):
            raise TicketRejected("not a ticket code", reason="forged")
        short_code = parse_short_code(code)
        if short_code is not None:
            if event_id is None:
                raise TicketRejected(
                    "a short ticket code is only valid at its event's scanner", reason="unknown"
                )
            ticket_id = await self.store.ticket_of_short_code(event_id, short_code)
            if ticket_id is None:
                raise TicketRejected("no ticket of this event has that code", reason="unknown")
            return event_id, ticket_id
        ticket_event, ticket_id = self.codes.verify(code.strip())
        if event_id is not None and ticket_event != event_id:
            raise TicketRejected(
                "this ticket is for another event", reason="wrong_event", event_id=ticket_event
            )
        return ticket_event, ticket_id

    async def scan(self, request: ScanRequest, event_id: str | None) -> ScanOutcome:
        """Record one scan; ``event_id`` is the scanner's event (``None``: the signed code's)."""
        ticket_event, ticket_id = await self.resolve(request.code, event_id)
        scan_id = request.scan_id or secrets.token_urlsafe(12)
        at_ms = "" if request.scanned_at_ms is None else str(request.scanned_at_ms)
        answer = await self.store.scripts.scan(
            ticket_event, ticket_id, scan_id, at_ms, request.door, request.device, request.decision
        )
        outcome, state, entries_raw, details_raw = answer
        if outcome == "unknown":
            raise TicketRejected("unknown ticket", reason="unknown")
        return ScanOutcome(
            outcome=outcome,
            event_id=ticket_event,
            ticket_id=ticket_id,
            scan_id=scan_id,
            state=state,
            details=TicketDetails.from_json(ticket_id, details_raw),
            entries=entries_from_json(entries_raw),
        )
