"""The page a fan sees when the site refuses a pass or session: what happened, in words, and a
way on ("Join the queue again" leads to the queue page, which offers a new place at the back;
it never redirects in a loop)."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from importlib import resources
from string import Template

from waitroom.connector.errors import ConnectorError, ConnectorUnavailable, SessionExpired

REJOIN = "Join the queue again"


@dataclass(frozen=True, slots=True)
class Explanation:
    title: str
    message: str
    hint: str
    action: str


def _clock(unix_seconds: object) -> str:
    if not isinstance(unix_seconds, int | float) or isinstance(unix_seconds, bool):
        return ""
    return time.strftime("%H:%M UTC", time.gmtime(unix_seconds))


def explanation(error: ConnectorError) -> Explanation:
    reason = str(error.extra.get("closed_reason", ""))
    if error.type_slug in {"pass-ended", "session-ended"}:
        if reason == "purchase_completed":
            return Explanation(
                "You have completed your purchase",
                "Thank you! Your pass is used up, so this shop session has ended.",
                "To buy more tickets, join the queue again: you get a new place at the back.",
                REJOIN,
            )
        return Explanation(
            "Your shopping session has ended",
            "This pass can no longer be used in the shop.",
            "Join the queue again to get a new place at the back.",
            REJOIN,
        )
    if isinstance(error, SessionExpired):
        session = error.extra.get("session")
        ended_at = _clock(getattr(session, "deadline", None))
        when = f" at {ended_at}" if ended_at else ""
        return Explanation(
            "Your shopping time has ended",
            f"Your shopping time ended{when}; tickets held in your cart go back on sale.",
            "Join the queue again to get a new place at the back.",
            REJOIN,
        )
    if error.type_slug == "pass-expired":
        return Explanation(
            "Your pass has expired",
            "Your pass to the shop ran out before you used it.",
            "Passes last a short time so that everyone in the queue gets a turn. "
            "Join the queue again to get a new place at the back.",
            REJOIN,
        )
    if error.type_slug == "pass-in-use":
        return Explanation(
            "This pass is already in use",
            "This pass was opened in another browser first; a pass works in one browser only.",
            "If it is your pass, go on shopping in the browser where you opened it first.",
            REJOIN,
        )
    if isinstance(error, ConnectorUnavailable):
        return Explanation(
            "Please try again in a moment",
            "The shop cannot check your pass right now.",
            "Your place is safe; try again in a few seconds.",
            "Try again",
        )
    return Explanation(
        "This link cannot be used",
        "The shop could not accept this pass.",
        "Join the queue to get a pass of your own.",
        REJOIN,
    )


def explanation_page(error: ConnectorError, action_url: str) -> bytes:
    page = explanation(error)
    template = Template(
        (resources.files("waitroom.connector") / "explain.html").read_text(encoding="utf-8")
    )
    return template.substitute(
        title=html.escape(page.title),
        message=html.escape(page.message),
        hint=html.escape(page.hint),
        action=html.escape(page.action),
        action_url=html.escape(action_url, quote=True),
        reason=html.escape(str(error.extra.get("closed_reason", error.type_slug))),
    ).encode("utf-8")
