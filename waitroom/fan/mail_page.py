"""What the queue page shows of the e-mail features (nothing when SMTP is not configured)."""

from __future__ import annotations

from typing import Any

from waitroom.queue.availability import REDIS_ERRORS
from waitroom.queue.waitlist import WaitlistEntry
from waitroom.web.runtime import Runtime

NOTHING: dict[str, Any] = {
    "mail_enabled": False,
    "your_turn_subscribed": False,
    "waitlist_entry": None,
    "waitlist_open": False,
}


async def mail_page_context(
    runtime: Runtime, queue_id: str, visitor_id: str, status: dict[str, Any]
) -> dict[str, Any]:
    if not runtime.settings.mail_enabled:
        return NOTHING
    try:
        subscribed = await runtime.your_turn.subscribed(queue_id, visitor_id)
        entry: WaitlistEntry | None = await runtime.waitlist.entry(queue_id, visitor_id)
    except REDIS_ERRORS:
        return NOTHING  # the page still shows the place while Redis is unreachable
    waitlist_open = status.get("state") == "sold_out" and bool(status.get("stock_may_return"))
    return {
        "mail_enabled": True,
        "your_turn_subscribed": subscribed,
        "waitlist_entry": entry,
        "waitlist_open": waitlist_open,
    }
