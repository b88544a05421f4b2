"""Places a queue may have handed out that one process has not seen: the margin the state guard
adds above a process's witness when Redis lost the queue's state.

A process's view of the queue is as old as its last read (at most a refresh interval while it
serves requests); joins through the other processes after that read are unknown to it, and a
Redis restarted from an AOF written every second may have lost them too. Restoring the tail at
the witness alone could then hand such a place out again. So the tail goes back at the witness
plus the places the queue was handing out meanwhile: the arrival rate between this process's
two latest reads of the tail (its view's refreshes and its joins' answers, each of which says
the tail), times the time from its last good read to the first failed one
(or to now, when no read failed: the data was lost under a running Redis), twice over for a
surge that grows. That time is capped at a refresh interval plus the AOF's second: a process
that read nothing for longer served no request of the queue meanwhile, and neither, behind a
load balancer, did the others much. Places nobody holds cost nothing when abandonment is on
(they are skipped), and an admission slot each otherwise; a place handed out twice is a broken
promise.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

SAFETY_FACTOR = 2.0
MIN_SPAN_SECONDS = 0.2
"""The rate is taken over the latest reads at least this far apart (a few joins to count)."""
AOF_FSYNC_SECONDS = 1.0
"""What an AOF written every second (``appendfsync everysec``) may lose in a crash."""


@dataclass
class TailSamples:
    """This process's reads of a queue's tail: (monotonic seconds, tail)."""

    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=256))

    def add(self, at_seconds: float, tail: int) -> None:
        self.samples.append((at_seconds, tail))

    def clear(self) -> None:
        self.samples.clear()

    def places_per_second(self) -> float:
        """Places handed out per second between the newest read and the latest one at least
        MIN_SPAN_SECONDS before it (0 when there is none): the rate as it was lately, not
        the peak of a surge that is over."""
        if len(self.samples) < 2:
            return 0.0
        newest_time, newest_tail = self.samples[-1]
        for sample_time, sample_tail in reversed(self.samples):
            span = newest_time - sample_time
            if span >= MIN_SPAN_SECONDS:
                return max(0, newest_tail - sample_tail) / span
        # every read is younger than MIN_SPAN_SECONDS: a burst this process saw only the start
        # of; its rate over the reads there are (never 0 while places were being handed out,
        # or the other processes' places of the same burst could be handed out again)
        oldest_time, oldest_tail = self.samples[0]
        span = newest_time - oldest_time
        return max(0, newest_tail - oldest_tail) / span if span > 0 else 0.0


def unseen_places(
    places_per_second: float, unseen_seconds: float, refresh_seconds: float
) -> int:
    """The margin above a witness ``unseen_seconds`` old when the loss was found."""
    seconds = min(unseen_seconds, refresh_seconds + AOF_FSYNC_SECONDS)
    if places_per_second <= 0 or seconds <= 0:
        return 0
    return math.ceil(SAFETY_FACTOR * places_per_second * seconds)
