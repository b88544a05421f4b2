"""Scans as JSON: a scanner's batch of scans (online ones, and the offline ones it kept, with
the times they were made) and the answer for each. Sending a batch again is harmless: each scan
is recorded once by its ``scan_id``. Scan times are moved by the device's clock error (the
batch says what the device's clock read when it was sent) and kept between a week ago and now."""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import FirstScan, ScannedTicket, ScanResult
from sale_backend.domain.entry_scans import ScanOutcome, ScanRequest
from sale_backend.domain.requests import ScanBatchBody
from sale_backend.errors import TicketRejected
from service_kit.errors import InvalidInput

MAX_SCAN_AGE_MS = 7 * 24 * 3600 * 1000
DOOR_MAX_LENGTH = 40
DEFAULT_DOOR = "Door"


def clean_door(text: Any) -> str:
    """A door or scanner name as staff typed it: printable, one line, at most 40 characters."""
    if not isinstance(text, str):
        return DEFAULT_DOOR
    printable = "".join(char if unicodedata.category(char)[0] not in "CZ" else " " for char in text)
    return " ".join(printable.split())[:DOOR_MAX_LENGTH] or DEFAULT_DOOR


@dataclass(frozen=True, slots=True)
class ScanBatch:
    device: str
    door: str
    scans: list[ScanRequest]


def parse_batch(body: ScanBatchBody, door: str | None, now_ms: int | None = None) -> ScanBatch:
    """The batch's scans (their types checked by the model), with scan times moved by the
    device's clock error; ``door`` (a staff session's) wins over the body's."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    clock_error_ms = 0 if body.device_clock_ms is None else now - body.device_clock_ms
    door = door or clean_door(body.door)
    requests = []
    for item in body.scans:
        if not item.code.strip():
            raise InvalidInput("code must be a ticket code", field="code")
        scanned_at_ms = item.scanned_at_ms
        if scanned_at_ms is not None:
            corrected = scanned_at_ms + clock_error_ms
            scanned_at_ms = min(now, max(now - MAX_SCAN_AGE_MS, corrected))
        requests.append(
            ScanRequest(
                code=item.code,
                door=door,
                device=body.device_id,
                scan_id=item.scan_id,
                scanned_at_ms=scanned_at_ms,
                decision=item.decision,
            )
        )
    return ScanBatch(body.device_id, door, requests)


def outcome_view(outcome: ScanOutcome, event: Event) -> ScanResult:
    """The answer for one scan of a ticket of this shop."""
    first = outcome.first_admission
    this = outcome.this_scan
    ticket = (
        outcome.details.view(event)
        if outcome.details is not None
        else ScannedTicket(ticket_id=outcome.ticket_id)
    )
    return ScanResult(
        scan_id=outcome.scan_id,
        outcome=outcome.outcome,
        admitted=outcome.admitted,
        flagged=outcome.flagged,
        event_id=outcome.event_id,
        ticket_id=outcome.ticket_id,
        state=outcome.state.partition(":")[0],
        ticket=ticket,
        scanned_at_ms=this.at_ms if this else None,
        first_scan=None if first is None else FirstScan(first.at_ms, first.door, first.device),
        admissions=outcome.admissions,
        entries=list(outcome.entries),
    )


def rejection_view(scan_id: str, error: TicketRejected) -> ScanResult:
    """The answer for a scan whose code is no ticket of this event."""
    return ScanResult(
        scan_id=scan_id,
        outcome=str(error.extra.get("reason", "unknown")),
        admitted=False,
        flagged=False,
        detail=error.detail,
    )
