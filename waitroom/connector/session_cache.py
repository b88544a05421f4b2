"""What this process knows of each site session, re-checked at the waiting room every
``WAITROOM_SESSION_CHECK_SECONDS``: a session ended on this process is refused here at once,
one ended elsewhere (another process, the organizer) within the check interval."""

from __future__ import annotations

import time
from dataclasses import dataclass

MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class KnownSession:
    session_id: str
    state: str
    """``active``, ``ended`` or ``expired``."""
    deadline: int
    reason: str
    checked_at: float
    """``time.monotonic()`` of the last answer from the waiting room (0: never asked)."""


class SessionCache:
    def __init__(self, check_seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.check_seconds = check_seconds
        self.max_entries = max_entries
        self._known: dict[str, KnownSession] = {}

    def get(self, pass_id: str) -> KnownSession | None:
        return self._known.get(pass_id)

    def put(self, pass_id: str, known: KnownSession) -> None:
        if len(self._known) >= self.max_entries and pass_id not in self._known:
            self._forget_finished()
        self._known[pass_id] = known

    def is_due(self, known: KnownSession) -> bool:
        return time.monotonic() - known.checked_at >= self.check_seconds

    def _forget_finished(self) -> None:
        """Drop sessions past their deadline (or ended) and, if still full, the oldest half."""
        now = time.time()
        for pass_id in [
            key
            for key, value in self._known.items()
            if value.state != "active" or value.deadline < now
        ]:
            del self._known[pass_id]
        if len(self._known) >= self.max_entries:
            for pass_id in list(self._known)[: len(self._known) // 2]:
                del self._known[pass_id]
