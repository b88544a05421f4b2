"""Redis key names. Every key of a queue carries the hash tag ``{q:<queue_id>}`` so the queue
lives on one Redis Cluster slot; multi-key scripts touch one queue's keys only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueueKeys:
    """Names of one queue's keys: ``wr:{q:<id>}:<part>``."""

    queue_id: str

    @property
    def prefix(self) -> str:
        return f"wr:{{q:{self.queue_id}}}:"

    @property
    def config(self) -> str:
        """Hash: organizer settings (rate_per_minute, state, opens_at, burst, redirect_url...)."""
        return self.prefix + "config"

    @property
    def counters(self) -> str:
        """Hash: tail, serving, epoch, last_advance_ms, credit remainder, admitted/joined totals."""
        return self.prefix + "counters"

    @property
    def visitors(self) -> str:
        """Hash: visitor id -> position (one place per visitor)."""
        return self.prefix + "visitors"

    @property
    def prequeue(self) -> str:
        """List: visitor ids that arrived before opening, shuffled at opening."""
        return self.prefix + "prequeue"

    @property
    def outflow(self) -> str:
        """Sorted set: admission samples (member 'ms:serving', score ms) for measured outflow."""
        return self.prefix + "outflow"

    @property
    def heartbeats(self) -> str:
        """Bitmap: one bit per position, set while the fan's page keeps polling."""
        return self.prefix + "heartbeats"

    @property
    def audit(self) -> str:
        """List: organizer changes (JSON), newest first."""
        return self.prefix + "audit"

    def profile(self, visitor_id: str) -> str:
        """Hash: the fan's pre-checkout profile (name, email, tier, quantity), with a TTL."""
        return f"{self.prefix}profile:{visitor_id}"

    def part(self, name: str) -> str:
        """Any further key of this queue (keeps the hash tag)."""
        return self.prefix + name

    @property
    def instance_marker(self) -> str:
        """String: set when the queue is configured. It lives in the queue's slot (so on the
        same node of a cluster) but outside ``wr:{q:<id>}:*``: a queue whose keys are gone while
        the marker is gone too was lost with its Redis (node); one removed by hand, with the
        marker left, was removed on purpose (waitroom/queue/state_guard.py)."""
        return f"wr:instance:{{q:{self.queue_id}}}"


QUEUE_REGISTRY_KEY = "wr:queues"
"""Set of known queue ids (not hash-tagged: read only by admin listings, never inside scripts)."""
