"""How honest was the ETA? Each fan's predicted range against the wait it really had.

The locustfile records, per fan (``fan`` id), the range the join answer showed
(``joined.eta_range_seconds``), the range of every status poll (``eta`` events, with the time
``t``) and the admission (``admitted``). For every admitted fan this module asks:

- **at join**: did the real wait (join to admission) fall inside the range shown at join?
- **at halfway**: at the poll nearest to the middle of the real wait, did the wait still ahead
  (that poll to admission) fall inside the range shown then?

A range is "hit" when ``low - slack <= actual <= high + slack``; the slack (default 2 s) is the
poll interval's resolution of "admitted" on the client. Fans without a range (pre-queue,
paused at join) are counted apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SLACK_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class EtaAccuracy:
    fans: int
    judged_at_join: int
    inside_at_join: int
    judged_at_halfway: int
    inside_at_halfway: int
    too_early_at_join: int
    """Admitted sooner than the range's low end."""
    too_late_at_join: int
    """Admitted later than the range's high end."""

    @staticmethod
    def share(inside: int, judged: int) -> float | None:
        return round(inside / judged, 3) if judged else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "fans_admitted": self.fans,
            "judged_at_join": self.judged_at_join,
            "inside_at_join": self.inside_at_join,
            "share_inside_at_join": self.share(self.inside_at_join, self.judged_at_join),
            "too_early_at_join": self.too_early_at_join,
            "too_late_at_join": self.too_late_at_join,
            "judged_at_halfway": self.judged_at_halfway,
            "inside_at_halfway": self.inside_at_halfway,
            "share_inside_at_halfway": self.share(
                self.inside_at_halfway, self.judged_at_halfway
            ),
        }


def _inside(actual: float, low: float, high: float, slack: float) -> bool:
    return low - slack <= actual <= high + slack


def eta_accuracy(events: Iterable[dict[str, Any]], slack: float = SLACK_SECONDS) -> EtaAccuracy:
    joined: dict[str, dict[str, Any]] = {}
    polls: dict[str, list[dict[str, Any]]] = {}
    admitted: dict[str, dict[str, Any]] = {}
    for event in events:
        fan = event.get("fan")
        if not fan:
            continue
        kind = event["kind"]
        if kind == "joined":
            joined[fan] = event
        elif kind == "eta":
            polls.setdefault(fan, []).append(event)
        elif kind == "admitted":
            admitted[fan] = event
    judged_join = inside_join = early = late = judged_half = inside_half = 0
    for fan, admission in admitted.items():
        start = joined.get(fan)
        if start is None:
            continue
        end = float(admission["t"])
        waited = end - float(start["t"])
        shown = start.get("eta_range_seconds")
        if shown:
            judged_join += 1
            low, high = float(shown[0]), float(shown[1])
            if _inside(waited, low, high, slack):
                inside_join += 1
            elif waited < low:
                early += 1
            else:
                late += 1
        middle = float(start["t"]) + waited / 2
        ranged = [p for p in polls.get(fan, []) if p.get("eta_range_seconds")]
        if ranged:
            poll = min(ranged, key=lambda p: abs(float(p["t"]) - middle))
            judged_half += 1
            low, high = (float(x) for x in poll["eta_range_seconds"])
            if _inside(end - float(poll["t"]), low, high, slack):
                inside_half += 1
    return EtaAccuracy(
        len(admitted), judged_join, inside_join, judged_half, inside_half, early, late
    )
