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
from typing import Any

from sale_backend.domain.catalog import Event
from sale_backend.domain.entry_scans import entries_from_json, first_admission
from sale_backend.domain.short_codes import format_short_code
from sale_backend.domain.ticket_details import TicketDetails
from sale_backend.domain.tickets import TicketCodes
from sale_backend.storage.store import SaleStore

PAGE_SIZE = 2000
MAX_PAGE_SIZE = 5000
HASH_BYTES = 16
SIGNED, SHORT = "q", "s"


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
) -> dict[str, Any]:
    changed = await store.changed_tickets(event.event_id, after_version, limit)
    rows = await store.ticket_rows(event.event_id, [ticket_id for ticket_id, _ in changed])
    tickets = []
    for (ticket_id, version), (state, details_raw, entries_raw) in zip(changed, rows, strict=True):
        details = TicketDetails.from_json(ticket_id, details_raw)
        entries = entries_from_json(entries_raw)
        first = first_admission(entries, state or "")
        tickets.append(
            {
                "ticket_id": ticket_id,
                "version": version,
                "state": (state or "missing").partition(":")[0],
                "code_hashes": [
                    code_hash(event.event_id, SIGNED, code)
                    for code in codes.codes_of_every_key(ticket_id)
                ],
                "short_code_hash": code_hash(event.event_id, SHORT, details.short_code)
                if details and details.short_code
                else "",
                "short_code_hint": short_code_hint(details.short_code) if details else "",
                **_shown(details, event),
                "first_scan": None
                if first is None
                else {"at_ms": first.at_ms, "door": first.door, "device": first.device},
                "admissions": sum(1 for entry in entries if entry.admitted) or (1 if first else 0),
                "entries": [entry.view() for entry in entries],
            }
        )
    return {
        "event": scanner_event(event),
        "after_version": after_version,
        "version": changed[-1][1] if changed else after_version,
        "more": len(changed) == limit,
        "server_time_ms": int(time.time() * 1000),
        "tickets": tickets,
    }


def _shown(details: TicketDetails | None, event: Event) -> dict[str, Any]:
    if details is None:
        return {"tier_name": "", "admits": 1, "seat_label": "", "holder": ""}
    view = details.view(event)
    return {name: view[name] for name in ("tier_name", "admits", "seat_label", "holder")}


def scanner_event(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "name": str(event.name),
        "venue": str(event.venue),
        "starts_at": event.starts_at,
        "time_zone": event.time_zone,
    }
