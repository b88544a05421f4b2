"""Every word a door steward reads on the scanner page, one table for the page the server
renders and for its script (``static/scanner*.js``, which reads the table translated into the
page's language from a JSON block of the page: no second catalog format). The English texts
are msgids of the shop's gettext catalogs (``sale_backend/locale``, ``scripts/i18n``); their
``%(name)s`` placeholders are filled in by Python (``Translate``) or by the script's ``say``.

The staff API's machine fields (outcomes, states, codes) are not words: they stay English."""

from __future__ import annotations

from service_kit.languages import N_, Translate

SCANNER_WORDS: dict[str, str] = {
    # the verdict, big
    "headline_admit": N_("ADMIT"),
    "headline_rejected": N_("REJECTED"),
    "headline_flagged": N_("ADMITTED TWICE"),
    "admits": N_("Admits %(count)s"),
    "scanned": N_("Scanned %(time)s"),
    "scanned_note": N_("Scanned %(time)s · %(note)s"),
    # the ticket's facts
    "fact_ticket": N_("Ticket"),
    "fact_tier": N_("Tier"),
    "fact_seat": N_("Seat"),
    "fact_holder": N_("Holder"),
    "fact_admits": N_("Admits"),
    # times and places
    "time_on_date": N_("%(time)s on %(date)s"),
    "seen_at_door": N_("%(time)s at %(door)s"),
    "this_device_time": N_("this device's time"),
    # why a ticket is turned away
    "already_scanned": N_("already scanned"),
    "already_scanned_first": N_("already scanned: first at %(seen)s"),
    "admitted_twice": N_("admitted twice"),
    "admitted_twice_first": N_("admitted twice: first at %(seen)s"),
    "admitted_twice_also": N_("admitted twice: also %(seen)s"),
    "reason_refunded": N_("refunded"),
    "reason_forged": N_("not a ticket of this shop"),
    "reason_unknown": N_("not a ticket of this event"),
    "reason_wrong_event": N_("a ticket for another event"),
    "reason_not_admitted": N_(
        "turned away offline, but the ticket is valid: let them in if they return"
    ),
    "reason_mistyped": N_("the code is mistyped: check it"),
    "reason_other": N_("turned away (%(outcome)s)"),
    "not_in_list": N_("not in this event's ticket list"),
    "shop_refused": N_("the shop refused the scan (%(status)s)"),
    # a typed short code the page or the shop refuses by its own rules
    "mistake_characters": N_("a ticket code has no %(characters)s: check the code"),
    "mistake_length": N_("a ticket code has %(expected)s characters, not %(length)s"),
    "mistake_check": N_("the code's last character does not match: a character is mistyped"),
    # offline work and sync
    "offline_note": N_("offline: checked against the list, will sync"),
    "not_synced": N_("(not synced yet)"),
    "status_online": N_("Online"),
    "status_offline": N_("Offline: checking against the list"),
    "status_session_ended": N_("Session ended: log in again to sync"),
    "list_size": N_("Tickets in the list: %(count)s"),
    "list_updated": N_("updated %(time)s"),
    "waiting_to_sync": N_("Scans waiting to sync: %(count)s"),
    "all_synced": N_("all scans synced"),
    "confirm_logout": N_("Scans not synced yet: %(count)s. They would be lost. Log out anyway?"),
    # the camera
    "camera_start": N_("Scan with the camera"),
    "camera_stop": N_("Stop the camera"),
    "camera_failed": N_("The camera could not be started (%(error)s). Type the code instead."),
}

OUTCOME_REASONS = {
    "refunded": "reason_refunded",
    "forged": "reason_forged",
    "unknown": "reason_unknown",
    "wrong_event": "reason_wrong_event",
    "not_admitted": "reason_not_admitted",
    "mistyped": "reason_mistyped",
}
"""The words (keys of :data:`SCANNER_WORDS`) for an outcome that turns a ticket away."""

MISTAKES = {
    "characters": "mistake_characters",
    "length": "mistake_length",
    "check": "mistake_check",
}
"""The words for a mistyped short code's ``mistake`` (:mod:`sale_backend.domain.short_codes`)."""


def scanner_words(translate: Translate) -> dict[str, str]:
    """The table in one language, placeholders left in (the script fills them in)."""
    return {key: translate(message) for key, message in SCANNER_WORDS.items()}


class Words:
    """The table in one language, with its placeholders filled in."""

    def __init__(self, translate: Translate) -> None:
        self._translate = translate

    def __call__(self, key: str, **values: object) -> str:
        return self._translate(SCANNER_WORDS[key], **values)

    def reason(self, outcome: str) -> str:
        """Why a ticket with this outcome is turned away."""
        key = OUTCOME_REASONS.get(outcome)
        return self(key) if key else self("reason_other", outcome=outcome.replace("_", " "))
