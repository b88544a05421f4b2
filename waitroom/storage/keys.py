"""Redis key names of the waiting room: the one place they are spelled.

Every key of a queue is ``wr:{q:<queue_id>}:<name>``: the hash tag ``{q:<id>}`` keeps the queue
on one Redis Cluster slot, so a script can touch all of a queue's keys. Scripts get every key
they touch in ``KEYS`` (waitroom/storage/scripts.py); none builds a key name of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

QUEUE_REGISTRY_KEY = "wr:queues"
"""Set of known queue ids (not hash-tagged: read only by admin listings, never inside scripts)."""
AUTOTUNE_REGISTRY_KEY = "wr:autotune_queues"
"""Set of the queues with autotune on (not hash-tagged: read by the autotune loop, no script)."""


@dataclass(frozen=True, slots=True)
class QueueKeys:
    """Names of one queue's keys: ``wr:{q:<id>}:<name>``."""

    queue_id: str

    @property
    def prefix(self) -> str:
        return f"wr:{{q:{self.queue_id}}}:"

    # -- admission engine ----------------------------------------------------------------
    @property
    def config(self) -> str:
        """Hash: organizer settings (rate_per_minute, state, opens_at, burst, redirect_url...)."""
        return self.prefix + "config"

    @property
    def counters(self) -> str:
        """Hash: tail, serving, epoch, last_ms, credit remainder, joined total, priority lane,
        heartbeat windows."""
        return self.prefix + "counters"

    @property
    def visitors(self) -> str:
        """Hash: visitor id -> position (one place per visitor; 0 while in the pre-queue)."""
        return self.prefix + "visitors"

    @property
    def prequeue(self) -> str:
        """List: visitor ids that arrived before opening, shuffled at opening."""
        return self.prefix + "prequeue"

    @property
    def heartbeats(self) -> str:
        """Bitmap: one bit per position polled in one window (the even windows)."""
        return self.prefix + "heartbeats"

    @property
    def heartbeats_b(self) -> str:
        """Bitmap: as ``heartbeats``, for the odd windows (the two alternate)."""
        return self.prefix + "heartbeats_b"

    @property
    def left(self) -> str:
        """Bitmap: the fan at this position pressed "leave the queue"."""
        return self.prefix + "left"

    @property
    def skipped(self) -> str:
        """Bitmap: the pointer passed this position because its fan had gone."""
        return self.prefix + "skipped"

    @property
    def abandoned_total(self) -> str:
        """String counter: places skipped because their fans had gone (dashboard)."""
        return self.prefix + "abandoned_total"

    @property
    def away(self) -> str:
        """Sorted set: place -> when (Redis ms) the pointer skipped it because its fan had
        stopped checking in; the place is kept for the queue's ``away_grace_seconds``."""
        return self.prefix + "away"

    @property
    def returned(self) -> str:
        """Sorted set: place -> when (Redis ms) its fan came back within the grace; admitted
        at the next admission step, ahead of everyone still waiting (``advance.lua``)."""
        return self.prefix + "returned"

    @property
    def active_sessions(self) -> str:
        """Sorted set: pass id -> site session deadline (unix s), for active_shopper_cap."""
        return self.prefix + "active_sessions"

    def join_limit(self, scope: str, subject: str) -> str:
        """List: times (ms) of the newest joins that made a place from one client ``address``
        or ``network`` (IPv4 /24, IPv6 /64): a moving window (protection/join_limits.py)."""
        return f"{self.prefix}join_limit:{scope}:{subject}"

    @property
    def alerts(self) -> str:
        """Hash: the state guard's alert (state lost and restored), shown to organizers."""
        return self.prefix + "alerts"

    @property
    def admissions_by_minute(self) -> str:
        """Hash: unix minute -> "passed,skipped,priority" (the dashboard's admissions chart,
        waitroom/queue/history.py)."""
        return self.prefix + "admissions_by_minute"

    @property
    def rate_changes(self) -> str:
        """List: the queue's settings after each change of what it admits (JSON), newest first
        (the dashboard's set-rate chart, waitroom/queue/rate_history.py)."""
        return self.prefix + "rate_changes"

    @property
    def site_health(self) -> str:
        """Hash: reporter -> the protected site's latest health report (JSON,
        waitroom/queue/site_health.py)."""
        return self.prefix + "site_health"

    @property
    def autotune(self) -> str:
        """Hash: autotune settings (enabled, rate bounds, targets)."""
        return self.prefix + "autotune"

    @property
    def autotune_turn(self) -> str:
        """String with a TTL: the process deciding for this queue in the current interval."""
        return self.prefix + "autotune_turn"

    @property
    def autotune_decisions(self) -> str:
        """List: autotune decisions (JSON), newest first, capped."""
        return self.prefix + "autotune_decisions"

    @property
    def audit(self) -> str:
        """List: organizer changes (JSON), newest first."""
        return self.prefix + "audit"

    @property
    def outflow(self) -> str:
        """Sorted set: admission samples (member 'ms:serving', score ms) for measured outflow."""
        return self.prefix + "outflow"

    @property
    def prequeue_publication(self) -> str:
        """String: the published pre-queue (hashed ids in joining order), written once."""
        return self.prefix + "prequeue_publication"

    # -- passes and site sessions --------------------------------------------------------
    def pass_record(self, pass_id: str) -> str:
        """Hash: what became of one pass (exp, state, session, deadline, reason)."""
        return f"{self.prefix}pass:{pass_id}"

    @property
    def passes_issued(self) -> str:
        """Bitmap: one bit per position whose pass was issued (kept for the queue's life)."""
        return self.prefix + "passes_issued"

    # -- priority and invite codes -------------------------------------------------------
    def code(self, code_id: str) -> str:
        """Hash: one code (kind, max_uses, uses, revoked, label, hint, created_at)."""
        return f"{self.prefix}code:{code_id}"

    def code_redeemers(self, code_id: str) -> str:
        """Hash: visitor id -> when the visitor redeemed the code (unix s)."""
        return f"{self.prefix}code_redeemers:{code_id}"

    @property
    def lanes(self) -> str:
        """Hash: visitor id -> place in the priority lane (1, 2, ...), or 0 for a bypass."""
        return self.prefix + "lanes"

    @property
    def codes(self) -> str:
        """Set: code ids of the queue (for the organizer's listing)."""
        return self.prefix + "codes"

    # -- stock reported by the protected site --------------------------------------------
    @property
    def stock(self) -> str:
        """Hash: totals over the events the queue fronts (remaining_total, condition...)."""
        return self.prefix + "stock"

    @property
    def stock_events(self) -> str:
        """Hash: event id -> that event's last reported figures (JSON)."""
        return self.prefix + "stock_events"

    @property
    def sales_per_minute(self) -> str:
        """Hash: unix minute -> tickets sold over all events (refunds negative)."""
        return self.prefix + "sales_per_minute"

    @property
    def stock_removed(self) -> str:
        """Set: event ids the organizer removed from the queue."""
        return self.prefix + "stock_removed"

    # -- fan extras -----------------------------------------------------------------------
    @property
    def your_turn(self) -> str:
        """Sorted set: visitor id -> place of the fans waiting for the your-turn e-mail."""
        return self.prefix + "your_turn"

    @property
    def your_turn_mail(self) -> str:
        """Hash: visitor id -> JSON {email, lang, position, epoch} of those fans."""
        return self.prefix + "your_turn_mail"

    @property
    def mail_outbox(self) -> str:
        """Sorted set: e-mail id -> due time, ms (service_kit/mail_outbox.py)."""
        return self.prefix + "mail_outbox"

    @property
    def mail_messages(self) -> str:
        """Hash: e-mail id -> JSON payload, and attempts:<id> counters."""
        return self.prefix + "mail_messages"

    @property
    def waitlist(self) -> str:
        """Sorted set: visitor id -> place of the fans on the waiting list (queue order)."""
        return self.prefix + "waitlist"

    @property
    def waitlist_entries(self) -> str:
        """Hash: visitor id -> JSON entry of the waiting list (waitroom/queue/waitlist.py)."""
        return self.prefix + "waitlist_entries"

    @property
    def waitlist_offers(self) -> str:
        """Sorted set: visitor id -> deadline of the waiting-list offers not settled yet."""
        return self.prefix + "waitlist_offers"

    def profile(self, visitor_id: str) -> str:
        """Hash: the fan's pre-checkout profile (name, email, tier, quantity), with a TTL."""
        return f"{self.prefix}profile:{visitor_id}"

    def fan_content(self, kind: str) -> str:
        """String: one organizer document of the queue page (surveys, upsells, profile_form)."""
        return f"{self.prefix}fan:{kind}"

    def survey_answers(self, survey_id: str) -> str:
        """Hash: visitor id -> the visitor's answers to one survey (JSON)."""
        return f"{self.prefix}survey:{survey_id}:answers"

    def survey_counts(self, survey_id: str) -> str:
        """Hash: counts of one survey's answers (responses, per question and option)."""
        return f"{self.prefix}survey:{survey_id}:counts"

    def survey_texts(self, survey_id: str, question_id: str) -> str:
        """List: the newest text answers to one question."""
        return f"{self.prefix}survey:{survey_id}:text:{question_id}"

    @property
    def upsell_clicks(self) -> str:
        """Hash: upsell id -> clicks."""
        return self.prefix + "upsell_clicks"

    def upsell_fans(self, upsell_id: str) -> str:
        """HyperLogLog: distinct fans who clicked one upsell."""
        return f"{self.prefix}upsell:{upsell_id}:fans"

    def proof_of_work(self, nonce: str) -> str:
        """String: a used proof-of-work challenge (single use until it expires)."""
        return f"{self.prefix}pow:{nonce}"

    @property
    def instance_marker(self) -> str:
        """String: set when the queue is configured. It lives in the queue's slot (so on the
        same node of a cluster) but outside ``wr:{q:<id>}:*``: a queue whose keys are gone while
        the marker is gone too was lost with its Redis (node); one removed by hand, with the
        marker left, was removed on purpose (waitroom/queue/state_guard.py)."""
        return f"wr:instance:{{q:{self.queue_id}}}"
