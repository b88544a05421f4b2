"""What the door scanner shows: an entry scan's result in plain words, and the last results of
one staff session, carried in the page itself (a signed hidden field bound to the session; the
server keeps nothing)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime

from itsdangerous import BadData, URLSafeSerializer

from sale_backend.errors import TicketRejected

HISTORY_SALT = "sale_backend.staff-scan-history"
HISTORY_LENGTH = 10
MAX_HISTORY_CHARS = 8192
NOT_OURS = "not a ticket of this shop"
REASONS = {"refunded": "refunded", "unknown": NOT_OURS, "forged": NOT_OURS}


@dataclass(frozen=True, slots=True)
class ScanResult:
    admitted: bool
    at: str
    ticket_id: str = ""
    event: str = ""
    reason: str = ""

    @property
    def headline(self) -> str:
        return "ADMIT" if self.admitted else "REJECTED"


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")


def admitted(ticket_id: str, event: str, now: datetime) -> ScanResult:
    return ScanResult(True, _clock(now), ticket_id=ticket_id, event=event)


def rejected(error: TicketRejected, now: datetime) -> ScanResult:
    reason = str(error.extra.get("reason", ""))
    scanned_at_ms = error.extra.get("scanned_at_ms")
    if reason == "already_scanned" and isinstance(scanned_at_ms, int):
        scanned = datetime.fromtimestamp(scanned_at_ms / 1000, UTC)
        words = f"already scanned at {_clock(scanned)}"
        if scanned.date() != now.date():
            words += f" on {scanned:%Y-%m-%d}"
    else:
        words = REASONS.get(reason, NOT_OURS)
    return ScanResult(False, _clock(now), reason=words)


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
            if (
                isinstance(item, list)
                and len(item) == 5
                and isinstance(item[0], bool)
                and all(isinstance(value, str) for value in item[1:])
            ):
                results.append(ScanResult(item[0], *item[1:]))
        return results
