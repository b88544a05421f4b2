"""The audit log in words: who did it, and what changed, as a person would say it.

Entries keep their data (``actor``, ``action``, ``changes``; :mod:`waitroom.organizer.audit`);
this turns one into ``who`` ("dana (dashboard)") and ``summary`` ("Admission rate set to 45 per
minute; opening set to Fri 1 May 2026, 10:00 (Europe/Tallinn)"), with times in the organizer's
zone. The dashboard shows these; the JSON API returns them next to the data.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from waitroom.organizer.local_time import local_text, zone_name

ACTION_WORDS = {
    "create": "Created the queue",
    "update": "Changed settings",
    "pause": "Paused the queue",
    "resume": "Resumed the queue",
    "close": "Closed the queue",
    "sold_out": "Marked sold out",
    "reopen": "Reopened the queue",
    "code_create": "Created a code",
    "code_revoke": "Revoked a code",
    "event_remove": "Removed an event from the queue",
    "event_restore": "Let an event's stock reports in again",
    "content_update": "Changed the fan page content",
    "autotune": "Autotune",
}
STATE_WORDS = {
    "open": "open",
    "paused": "paused",
    "closed": "closed",
    "sold_out": "sold out",
}


def who(actor: str) -> str:
    """``token:alice`` -> ``alice (API)``, ``session:bob`` -> ``bob (dashboard)``."""
    kind, _, name = actor.partition(":")
    if kind == "session":
        return f"{name or 'someone'} (dashboard)"
    if kind == "token":
        return f"{name} (API)" if name else "admin token (API)"
    if kind == "stock":
        return "the shop's stock reports"
    if kind == "autotune":
        return "autotune"
    return actor or "unknown"


def summary(entry: dict[str, Any], zone: tzinfo) -> str:
    action = str(entry.get("action", ""))
    changes = entry.get("changes")
    fields: dict[str, Any] = changes if isinstance(changes, dict) else {}
    if action == "autotune":
        return _autotune_words(fields)
    if action in {"sold_out", "reopen"} and str(entry.get("actor")) == "stock":
        event = fields.get("event_id", "")
        if action == "sold_out":
            return f"Sold out: no event has tickets left (after a report of {event})"
        return f"Reopened: tickets came back (report of {event})"
    if action in {"code_create", "code_revoke"}:
        return _code_words(action, fields)
    if action in {"event_remove", "event_restore"}:
        return f"{ACTION_WORDS[action]}: {fields.get('event_id', '')}"
    if action == "content_update":
        return f"{ACTION_WORDS[action]}: {fields.get('kind', '')}".rstrip(": ")
    parts = [_field_words(name, value, zone) for name, value in fields.items()]
    said = [part for part in parts if part]
    head = ACTION_WORDS.get(action, action.replace("_", " ").capitalize() or "Changed")
    if action in {"pause", "resume", "close", "sold_out"}:
        # the verb says the state; the rest are the details
        said = [part for part in said if not part.startswith("state set")]
    return f"{head}: {'; '.join(said)}" if said else head


def _field_words(name: str, value: Any, zone: tzinfo) -> str:
    if name == "rate_per_minute":
        if value == 0:
            return "admission rate set to 0 (nobody is let in)"
        return f"admission rate set to {value} per minute"
    if name == "state":
        return f"state set to {STATE_WORDS.get(str(value), str(value))}"
    if name == "opens_at":
        if not value:
            return "opening time cleared (open at once)"
        if isinstance(value, int | float):
            return f"opening set to {local_text(value, zone)} ({zone_name(zone)})"
        return f"opening set to {value}"
    if name == "pause_reason":
        return f"reason shown to fans: “{value}”" if value else ""
    if name == "active_shopper_cap":
        return "no cap on active shoppers" if value == 0 else f"active-shopper cap set to {value}"
    if name == "name":
        return f"name set to “{value}”"
    if name == "redirect_url":
        return f"shop address set to {value}"
    if name == "burst":
        return f"burst set to {value}"
    if name == "event_id":
        return f"event set to {value}"
    if name == "abandon_after_seconds":
        if value == 0:
            return "abandoned places are no longer skipped"
        return f"places not polled for {value} s are skipped"
    if name == "autotune":
        return "autotune turned on" if value == "on" else "autotune turned off"
    if name == "autotune_min_rate":
        return f"autotune minimum {value} per minute"
    if name == "autotune_max_rate":
        return f"autotune maximum {value} per minute"
    if name == "autotune_target_p95_ms":
        return f"autotune target p95 {value} ms"
    if name == "autotune_max_error_ratio":
        return f"autotune error limit {_percent(value)}"
    return f"{name.replace('_', ' ')} set to {value}"


def _code_words(action: str, fields: dict[str, Any]) -> str:
    code_id = str(fields.get("code_id", ""))[:8]
    if action == "code_revoke":
        return f"Revoked code {code_id}…"
    kind = "priority-lane" if fields.get("kind") == "priority" else "bypass"
    uses = fields.get("max_uses")
    times = "unlimited uses" if uses == 0 else ("single use" if uses == 1 else f"{uses} uses")
    return f"Created a {kind} code {code_id}… ({times})"


def _autotune_words(fields: dict[str, Any]) -> str:
    before, after = fields.get("rate_before"), fields.get("rate_per_minute")
    reason = str(fields.get("reason", ""))
    if before is not None and after is not None and before != after:
        direction = "down" if after < before else "up"
        return f"Rate {direction} from {before} to {after} per minute: {reason}"
    return f"Rate kept at {after} per minute: {reason}"


def _percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:g} %"
    except (TypeError, ValueError):
        return str(value)


def readable(entry: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """The entry with ``who`` and ``summary`` added."""
    return {**entry, "who": who(str(entry.get("actor", ""))), "summary": summary(entry, zone)}
