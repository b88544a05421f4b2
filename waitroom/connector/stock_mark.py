"""Where a purchase stands in its event's stock reports (docs/connector.md, section 6): what a
site sends with a ``purchase_completed`` session end, so the waiting list knows which stock
report counted the sale."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StockMark:
    """The site's ``version`` of ``event_id``'s stock at the moment of the sale (the same
    counter its stock reports carry). A report of the event with a higher version counted the
    sale; one at or below it was read before the sale."""

    event_id: str
    version: int

    def body(self) -> dict[str, str | int]:
        """The ``stock`` field of the end call."""
        return {"event_id": self.event_id, "version": self.version}
