"""Strings the queue page script shows, marked for extraction (``N_``) and translated per page.

The page embeds them, translated, as JSON; the script never holds English text of its own.
"""

from __future__ import annotations

from service_kit.languages import N_, Translate

STATE_MESSAGES: dict[str, str] = {
    "waiting": N_(
        "You are in the queue. Keep this page open; reloading or closing it keeps your place."
    ),
    "waiting_kept": N_(
        "You are in the queue. Keep this page open. If you close it or lose your connection, "
        "your place is kept for %(minutes)s min: come back within that time and you go in at "
        "the next admission step, ahead of everyone still waiting."
    ),
    "waiting_not_kept": N_(
        "You are in the queue. Keep this page open: reloading keeps your place, but if the page "
        "is closed when your turn comes, the place is given up."
    ),
    "returning": N_(
        "Welcome back! Your place was kept: you go in at the next admission step."
    ),
    "prequeue": N_(
        "The sale has not opened yet. Everyone who arrives before opening gets a random place "
        "at opening: no need to hurry."
    ),
    "paused": N_("The queue is paused. Your place is kept."),
    "admitted": N_("It's your turn! Go to the shop before your pass runs out."),
    "sold_out": N_("Sorry, all tickets are sold. The queue has ended."),
    "sold_out_for_now": N_(
        "All tickets are taken right now, but some may come back (a cart runs out, a refund). "
        "Keep this page open: your place is kept."
    ),
    "closed": N_("The queue is closed."),
    "offline": N_("Connection lost. Your place is kept; retrying…"),
    "expired": N_("Your pass has expired. Join the queue again to get a new place."),
    "closed_purchase_completed": N_("You have completed your purchase. Thank you!"),
    "closed_pass_expired": N_("Your pass or your shopping time has run out."),
    "closed_session_ended": N_("Your shopping session was ended."),
    "closed_away_too_long": N_(
        "Your turn came while you were away, and you did not come back in time, so your place "
        "was given up. Join the queue again to get a new place."
    ),
}

VISITOR_MESSAGES: dict[str, str] = {
    "waiting": N_(
        "Join to take the next place in line. Keep the page open: it shows your place, and "
        "lets you into the shop when it is your turn."
    ),
    "admitted": N_("There is no wait right now: join and go straight on to the shop."),
    "paused": N_("The queue is paused. You can join now; your place is kept until it moves on."),
    "paused_with_reason": N_(
        "The queue is paused: %(reason)s. You can join now; your place is kept until it moves on."
    ),
    "sold_out": N_("Sorry, all tickets are sold. The queue does not take new fans."),
    "sold_out_for_now": N_(
        "All tickets are taken right now, but some may come back (a cart runs out, a refund). "
        "This page shows when the queue takes fans again."
    ),
    "closed": N_("This queue is closed and does not take new fans."),
}
"""What happens next, told to a visitor who holds no place yet (the page takes none)."""

PLACE_CLOSED_REASONS = ("purchase_completed", "pass_expired", "session_ended", "away_too_long")
"""``closed_reason`` values that end one fan's place (not the whole queue): the page says why
and offers to join the queue again."""

SCRIPT_STRINGS: dict[str, str] = {
    "paused_with_reason": N_("The queue is paused: %(reason)s. Your place is kept."),
    "eta_range": N_("%(low)s–%(high)s min"),  # noqa: RUF001 - an en dash for ranges
    "eta_under_minute": N_("under 1 min"),
    "eta_now": N_("now"),
    "your_turn_title": N_("Your turn!"),
    "tickets_remaining": N_("About %(count)s tickets left"),
    "confirm_leave": N_("Leave the queue and give up your place?"),
    "saved_profile": N_("Saved. The shop will fill this in for you."),
    "check_field": N_("Please check: %(field)s"),
    "try_again": N_("Something went wrong. Please try again."),
    "answered": N_("Thank you for answering!"),
    "already_answered": N_("You already answered this one."),
    "quiz_score": N_("You got %(score)s of %(total)s right."),
    "quiz_your_answer": N_("Your answer: %(answer)s"),
    "quiz_right_answer": N_("Right answer: %(answer)s"),
    "quiz_right": N_("Right!"),
    "quiz_wrong": N_("Not quite."),
    "quiz_no_answer": N_("no answer"),
    "sound_blocked": N_(
        "Your browser plays the sound only after you tap or click this page once. Until then "
        "you will see a large alert instead."
    ),
    "notifications_on": N_("You will get a notification when it's your turn."),
    "notifications_blocked": N_("Notifications are blocked in this browser."),
    "notification_body": N_("Your pass is ready. Go to the shop now."),
    "joining": N_("Taking your place in the queue…"),
    "checking_browser": N_(
        "Your browser is doing a short check before you get your place. This takes a few seconds."
    ),
    "join_busy": N_("The queue is very busy. Trying again in %(seconds)s s…"),
    "join_offline": N_("Connection lost. Trying again…"),
    "field_name": N_("Name"),
    "field_email": N_("E-mail"),
    "field_tier_id": N_("Preferred ticket type"),
    "field_quantity": N_("Number of tickets"),
    "sale_opens_at": N_("The sale opens at %(time)s"),
    "admissions_start_at": N_("Admissions start at %(time)s. Your place is kept."),
}


def waiting_message_key(body: dict[str, object]) -> str:
    """Which waiting message tells the real rule: kept while away (for the grace), given up
    when away at the turn (no grace), or kept (the queue never skips absent fans)."""
    if body.get("returning"):
        return "returning"
    grace = body.get("away_grace_seconds")
    if grace is None:
        return "waiting"
    return "waiting_kept" if isinstance(grace, int) and grace > 0 else "waiting_not_kept"


def grace_minutes(body: dict[str, object]) -> int:
    """The grace in whole minutes, rounded up (at least 1)."""
    grace = body.get("away_grace_seconds")
    seconds = grace if isinstance(grace, int) else 0
    return max(1, -(-seconds // 60))


def translated_strings(translate: Translate) -> dict[str, str]:
    strings = {f"state_{key}": translate(value) for key, value in STATE_MESSAGES.items()}
    strings.update({key: translate(value) for key, value in SCRIPT_STRINGS.items()})
    return strings
