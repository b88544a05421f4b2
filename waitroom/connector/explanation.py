"""The page a fan sees when the site refuses a pass or session: what happened, in words, and a
way on ("Join the queue again" leads to the queue page, which offers a new place at the back;
it never redirects in a loop)."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from importlib import resources
from string import Template

from service_kit.languages import N_, language_tag, with_language
from waitroom.connector.errors import ConnectorError, ConnectorUnavailable, SessionExpired
from waitroom.connector.languages import connector_catalogs

REJOIN = N_("Join the queue again")


@dataclass(frozen=True, slots=True)
class Explanation:
    """Message ids (English), translated when the page is written; ``values`` fill them in."""

    title: str
    message: str
    hint: str
    action: str
    values: tuple[tuple[str, str], ...] = ()


def _clock(unix_seconds: object) -> str:
    if not isinstance(unix_seconds, int | float) or isinstance(unix_seconds, bool):
        return ""
    return time.strftime("%H:%M UTC", time.gmtime(unix_seconds))


def explanation(error: ConnectorError) -> Explanation:
    reason = str(error.extra.get("closed_reason", ""))
    if error.type_slug in {"pass-ended", "session-ended"}:
        if reason == "purchase_completed":
            return Explanation(
                N_("You have completed your purchase"),
                N_("Thank you! Your pass is used up, so this shop session has ended."),
                N_("To buy more tickets, join the queue again: you get a new place at the back."),
                REJOIN,
            )
        return Explanation(
            N_("Your shopping session has ended"),
            N_("This pass can no longer be used in the shop."),
            N_("Join the queue again to get a new place at the back."),
            REJOIN,
        )
    if isinstance(error, SessionExpired):
        session = error.extra.get("session")
        ended_at = _clock(getattr(session, "deadline", None))
        return Explanation(
            N_("Your shopping time has ended"),
            N_("Your shopping time ended at %(time)s; tickets held in your cart go back on sale.")
            if ended_at
            else N_("Your shopping time ended; tickets held in your cart go back on sale."),
            N_("Join the queue again to get a new place at the back."),
            REJOIN,
            (("time", ended_at),) if ended_at else (),
        )
    if error.type_slug == "pass-expired":
        return Explanation(
            N_("Your pass has expired"),
            N_("Your pass to the shop ran out before you used it."),
            N_(
                "Passes last a short time so that everyone in the queue gets a turn. "
                "Join the queue again to get a new place at the back."
            ),
            REJOIN,
        )
    if error.type_slug == "pass-in-use":
        return Explanation(
            N_("This pass is already in use"),
            N_("This pass was opened in another browser first; a pass works in one browser only."),
            N_("If it is your pass, go on shopping in the browser where you opened it first."),
            REJOIN,
        )
    if isinstance(error, ConnectorUnavailable):
        return Explanation(
            N_("Please try again in a moment"),
            N_("The shop cannot check your pass right now."),
            N_("Your place is safe; try again in a few seconds."),
            N_("Try again"),
        )
    return Explanation(
        N_("This link cannot be used"),
        N_("The shop could not accept this pass."),
        N_("Join the queue to get a pass of your own."),
        REJOIN,
    )


def explanation_page(error: ConnectorError, action_url: str, language: str) -> bytes:
    """The page in ``language``; its way on (the queue page) carries the language back."""
    page = explanation(error)
    translate = connector_catalogs().translator(language)
    values = dict(page.values)
    template = Template(
        (resources.files("waitroom.connector") / "explain.html").read_text(encoding="utf-8")
    )
    return template.substitute(
        lang=language_tag(language),
        title=html.escape(translate(page.title)),
        message=html.escape(translate(page.message, **values)),
        hint=html.escape(translate(page.hint)),
        action=html.escape(translate(page.action)),
        action_url=html.escape(with_language(action_url, language), quote=True),
        reason=html.escape(str(error.extra.get("closed_reason", error.type_slug))),
    ).encode("utf-8")
