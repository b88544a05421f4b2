"""Cookie names and attributes of the waiting room's own host (a protected site never reads
them: it has its own session cookie, waitroom.connector)."""

from __future__ import annotations

VISITOR_COOKIE = "wr_vid"
VISITOR_COOKIE_MAX_AGE_SECONDS = 30 * 24 * 3600


def position_cookie_name(queue_id: str) -> str:
    return f"wr_pos_{queue_id}"


SCRIPT_RUNS_COOKIE = "wr_js"
"""Set to ``1`` by the queue page's scripts: they poll (or join) themselves, so the page leaves
out the ``Refresh`` header that keeps pages without JavaScript current."""
