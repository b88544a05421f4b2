"""What the door scanner page shows: an entry scan's result in words staff can act on (which
ticket: short code, tier, seat, how many it admits, the holder; why it was rejected; when and
at which door it was scanned first), in the page's language (:mod:`scanner_words`), times in the
venue's time zone, and the last results of one staff session, carried in the page itself (a
signed hidden field bound to the session; the server keeps nothing)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from itsdangerous import BadData, URLSafeSerializer

from sale_backend.domain.catalog import Event
from sale_backend.domain.entry_scans import ScanOutcome
from sale_backend.domain.scanner_words import MISTAKES, Words
from sale_backend.errors import TicketRejected

HISTORY_SALT = "sale_backend.staff-scan-history"
HISTORY_LENGTH = 10
MAX_HISTORY_CHARS = 16384


class LocalClock:
    """Times in the venue's time zone (the event's ``time_zone``; UTC when it has none and the
    browser did not say its own)."""

    def __init__(self, *time_zones: str) -> None:
        self.zone: tzinfo = UTC
        self.name = "UTC"
        for name in time_zones:
            try:
                self.zone, self.name = ZoneInfo(name), name
                break
            except (ZoneInfoNotFoundError, ValueError):
                continue

    def clock(self, at_ms: int, now: datetime, words: Words) -> str:
        """``19:42:07``, with the date (``2026-05-01``) when it was another day than ``now``."""
        moment = datetime.fromtimestamp(at_ms / 1000, self.zone)
        time = moment.strftime("%H:%M:%S")
        if moment.date() != now.astimezone(self.zone).date():
            return words("time_on_date", time=time, date=f"{moment:%Y-%m-%d}")
        return time


@dataclass(frozen=True, slots=True)
class ScanResult:
    admitted: bool
    at: str
    reason: str = ""
    short_code: str = ""
    tier: str = ""
    seat: str = ""
    admits: int = 1
    holder: str = ""

    @property
    def ticket_words(self) -> str:
        """``K7M4-PX2Q-9C · General admission · row C seat 12`` (what staff compare)."""
        return " · ".join(part for part in (self.short_code, self.tier, self.seat) if part)


def _seen(at_ms: int, door: str, clock: LocalClock, now: datetime, words: Words) -> str:
    time = clock.clock(at_ms, now, words)
    return words("seen_at_door", time=time, door=door) if door else time


def scan_result(
    outcome: ScanOutcome, event: Event, clock: LocalClock, now: datetime, words: Words
) -> ScanResult:
    details = outcome.details
    at = outcome.this_scan.at_ms if outcome.this_scan else int(now.timestamp() * 1000)
    reason = ""
    if not outcome.admitted:
        first = outcome.first_admission
        if outcome.outcome in {"already_scanned", "duplicate"} and first is not None:
            seen = _seen(first.at_ms, first.door, clock, now, words)
            reason = words("already_scanned_first", seen=seen)
        elif outcome.outcome in {"already_scanned", "duplicate"}:
            reason = words("already_scanned")
        else:
            reason = words.reason(outcome.outcome)
    return ScanResult(
        admitted=outcome.admitted,
        at=clock.clock(at, now, words),
        reason=reason,
        short_code=details.printed_short_code if details else "",
        tier=details.tier_name if details else "",
        seat=details.seat_label(event) if details else "",
        admits=details.admits if details else 1,
        holder=details.holder if details else "",
    )


def rejected(error: TicketRejected, clock: LocalClock, now: datetime, words: Words) -> ScanResult:
    """A code that is no ticket of this event (mistyped, forged, unknown, another event's)."""
    outcome = str(error.extra.get("reason", ""))
    mistake = MISTAKES.get(str(error.extra.get("mistake", "")))
    if mistake is not None:
        names = ("characters", "expected", "length")
        reason = words(
            mistake, **{name: error.extra[name] for name in names if name in error.extra}
        )
    else:
        known = outcome in {"mistyped", "wrong_event", "unknown"}
        reason = words.reason(outcome if known else "forged")
    return ScanResult(False, clock.clock(int(now.timestamp() * 1000), now, words), reason=reason)


_FIELD_TYPES = [field.type for field in fields(ScanResult)]


class ScanHistory:
    """The last :data:`HISTORY_LENGTH` results of one session; anything else reads as empty."""

    def __init__(self, secret_keys: Sequence[str], session_id: str) -> None:
        self._serializer = URLSafeSerializer(
            list(secret_keys), salt=HISTORY_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self._session_id = session_id

    def dump(self, results: Sequence[ScanResult]) -> str:
        items = [list(astuple(result)) for result in results[:HISTORY_LENGTH]]
        return str(self._serializer.dumps({"sid": self._session_id, "items": items}))

    def load(self, raw: str | None) -> list[ScanResult]:
        if not raw or len(raw) > MAX_HISTORY_CHARS:
            return []
        try:
            payload = self._serializer.loads(raw)
        except (BadData, ValueError, TypeError, UnicodeError):
            return []
        if not isinstance(payload, dict) or payload.get("sid") != self._session_id:
            return []
        items = payload.get("items")
        results: list[ScanResult] = []
        for item in items[:HISTORY_LENGTH] if isinstance(items, list) else []:
            if _is_result(item):
                results.append(ScanResult(*item))
        return results


def _is_result(item: object) -> bool:
    if not isinstance(item, list) or len(item) != len(_FIELD_TYPES):
        return False
    expected = {"bool": bool, "str": str, "int": int}
    return all(
        type(value) is expected.get(str(kind), str)
        for value, kind in zip(item, _FIELD_TYPES, strict=True)
    )
