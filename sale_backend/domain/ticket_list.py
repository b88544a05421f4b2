"""The list a door scanner keeps for working offline: every ticket of one event with what the
scanner shows (tier, seat, admits, holder), its state and scans, and hashes of its codes instead
of the codes (SHA-256 of ``waitroom-ticket|<event>|<q or s>|<code>``, 16 bytes, base64url): a
scanner checks a scanned code by hashing it. Downloaded in pages of changes after a version, so
a scanner that has the list fetches only what changed since (sales, refunds, other doors'
scans)."""

from __future__ import annotations

import base64
import hashlib
import time

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import (
    FirstScan,
    ListedTicket,
    ScannerEvent,
    TicketListPage,
    TicketState,
)
from sale_backend.domain.entry_scans import entries_from_json, first_admission
from sale_backend.domain.short_codes import format_short_code
from sale_backend.domain.ticket_details import TicketDetails
from sale_backend.domain.tickets import TicketCodes
from sale_backend.storage.store import SaleStore

HASH_BYTES = 16
SIGNED, SHORT = "q", "s"
_LISTED_STATES: dict[str, TicketState] = {"valid": "valid", "used": "used", "refunded": "refunded"}


def code_hash(event_id: str, kind: str, code: str) -> str:
    """The list's hash of a signed code (``kind`` q) or a canonical short code (``kind`` s)."""
    digest = hashlib.sha256(f"waitroom-ticket|{event_id}|{kind}|{code}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:HASH_BYTES]).rstrip(b"=").decode()


def short_code_hint(short_code: str) -> str:
    """The first four characters: enough for staff to compare with the ticket, not enough to
    make one from a lost scanner's list."""
    return format_short_code(short_code)[:4] + "-…" if short_code else ""


async def ticket_page(
    store: SaleStore, codes: TicketCodes, event: Event, after_version: int, limit: int
) -> TicketListPage:
    changed = await store.changed_tickets(event.event_id, after_version, limit)
    rows = await store.ticket_rows(event.event_id, [ticket_id for ticket_id, _ in changed])
    tickets = []
    for (ticket_id, version), (state, details_raw, entries_raw) in zip(changed, rows, strict=True):
        details = TicketDetails.from_json(ticket_id, details_raw)
        entries = entries_from_json(entries_raw)
        first = first_admission(entries, state or "")
        short_code = details.short_code if details else ""
        tickets.append(
            ListedTicket(
                ticket_id=ticket_id,
                version=version,
                state=listed_state(state),
                code_hashes=[
                    code_hash(event.event_id, SIGNED, code)
                    for code in codes.codes_of_every_key(ticket_id)
                ],
                short_code_hash=code_hash(event.event_id, SHORT, short_code) if short_code else "",
                short_code_hint=short_code_hint(short_code),
                tier_name=details.tier_name if details else "",
                admits=details.admits if details else 1,
                seat_label=details.seat_label(event) if details else "",
                holder=details.holder if details else "",
                first_scan=None
                if first is None
                else FirstScan(first.at_ms, first.door, first.device),
                admissions=sum(1 for entry in entries if entry.admitted) or (1 if first else 0),
                entries=list(entries),
            )
        )
    return TicketListPage(
        event=scanner_event(event),
        after_version=after_version,
        version=changed[-1][1] if changed else after_version,
        more=len(changed) == limit,
        server_time_ms=int(time.time() * 1000),
        tickets=tickets,
    )


def listed_state(state: str | None) -> TicketState:
    """A ticket's state without its time (``used:<ms>`` is ``used``); ``missing`` when the
    ticket has none."""
    return _LISTED_STATES.get((state or "").partition(":")[0], "missing")


def scanner_event(event: Event) -> ScannerEvent:
    return ScannerEvent(
        event_id=event.event_id,
        name=event.name,
        venue=event.venue,
        starts_at=event.starts_at,
        time_zone=event.time_zone,
    )
