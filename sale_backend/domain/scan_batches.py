"""Scans as JSON: a scanner's batch of scans (online ones, and the offline ones it kept, with
the times they were made) and the answer for each. Sending a batch again is harmless: each scan
is recorded once by its ``scan_id``. Scan times are moved by the device's clock error (the
batch says what the device's clock read when it was sent) and kept between a week ago and now."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from sale_backend.domain.catalog import Event
from sale_backend.domain.entry_scans import DECISIONS, ScanOutcome, ScanRequest
from sale_backend.domain.tickets import MAX_CODE_LENGTH
from sale_backend.errors import TicketRejected
from service_kit.errors import InvalidInput

MAX_SCANS_PER_BATCH = 200
MAX_SCAN_AGE_MS = 7 * 24 * 3600 * 1000
DOOR_MAX_LENGTH = 40
DEFAULT_DOOR = "Door"
SCAN_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


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


def _text(data: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput(f"{name} must match {pattern.pattern}", field=name)
    return value


def _integer(data: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
        raise InvalidInput(f"{name} must be a time in milliseconds since 1970", field=name)
    return value


def parse_batch(body: Any, door: str | None, now_ms: int | None = None) -> ScanBatch:
    """``{"device_id", "door", "device_clock_ms", "scans": [{"scan_id", "code",
    "scanned_at_ms", "decision"}]}``; ``door`` (a staff session's) wins over the body's."""
    if not isinstance(body, dict):
        raise InvalidInput('the body must be {"device_id": ..., "scans": [...]}')
    now = int(time.time() * 1000) if now_ms is None else now_ms
    device = _text(body, "device_id", SCAN_ID)
    device_clock_ms = _integer(body, "device_clock_ms", required=False)
    clock_error_ms = 0 if device_clock_ms is None else now - device_clock_ms
    scans = body.get("scans")
    if not isinstance(scans, list) or not 1 <= len(scans) <= MAX_SCANS_PER_BATCH:
        raise InvalidInput(
            f"scans must be a list of 1 to {MAX_SCANS_PER_BATCH} scans", field="scans"
        )
    requests = []
    for item in scans:
        if not isinstance(item, dict):
            raise InvalidInput("every scan must be an object", field="scans")
        code = item.get("code")
        if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE_LENGTH:
            raise InvalidInput("code must be a ticket code", field="code")
        decision = item.get("decision", "check")
        if decision not in DECISIONS:
            raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}", field="decision")
        scanned_at_ms = _integer(item, "scanned_at_ms", required=False)
        if scanned_at_ms is not None:
            corrected = scanned_at_ms + clock_error_ms
            scanned_at_ms = min(now, max(now - MAX_SCAN_AGE_MS, corrected))
        requests.append(
            ScanRequest(
                code=code,
                door=door or clean_door(body.get("door")),
                device=device,
                scan_id=_text(item, "scan_id", SCAN_ID),
                scanned_at_ms=scanned_at_ms,
                decision=str(decision),
            )
        )
    return ScanBatch(device, door or clean_door(body.get("door")), requests)


def outcome_view(outcome: ScanOutcome, event: Event) -> dict[str, Any]:
    """The answer for one scan of a ticket of this shop."""
    first = outcome.first_admission
    this = outcome.this_scan
    ticket = (
        outcome.details.view(event)
        if outcome.details is not None
        else {"ticket_id": outcome.ticket_id, "short_code": "", "tier_name": "", "admits": 1}
    )
    return {
        "scan_id": outcome.scan_id,
        "outcome": outcome.outcome,
        "admitted": outcome.admitted,
        "flagged": outcome.flagged,
        "event_id": outcome.event_id,
        "ticket_id": outcome.ticket_id,
        "state": outcome.state.partition(":")[0],
        "ticket": ticket,
        "scanned_at_ms": this.at_ms if this else None,
        "first_scan": None
        if first is None
        else {"at_ms": first.at_ms, "door": first.door, "device": first.device},
        "admissions": outcome.admissions,
        "entries": [entry.view() for entry in outcome.entries],
    }


def rejection_view(scan_id: str, error: TicketRejected) -> dict[str, Any]:
    """The answer for a scan whose code is no ticket of this event."""
    return {
        "scan_id": scan_id,
        "outcome": str(error.extra.get("reason", "unknown")),
        "admitted": False,
        "flagged": False,
        "detail": error.detail,
    }
