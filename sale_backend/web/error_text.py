"""What a fan reads when the shop refuses something, in the fan's language.

Domain errors carry precise English details for API clients and logs; a page shows the fan a
translated title and message chosen by the error's type (and, for invalid input, its field).
English pages keep the domain's own detail, which says the most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service_kit.errors import InvalidInput, ServiceError
from service_kit.languages import DEFAULT_LANGUAGE, N_, Translate
from service_kit.problems import error_status, error_title

TITLES: dict[str, str] = {
    "bad-request": N_("Something is wrong with this request"),
    "invalid-input": N_("Please check what you entered"),
    "not-found": N_("Not found"),
    "event-not-found": N_("Event not found"),
    "sale-not-open": N_("Sale not open"),
    "sold-out": N_("Sold out"),
    "seat-taken": N_("Seat taken"),
    "buyer-limit": N_("Ticket limit reached"),
    "hold-not-found": N_("Your cart has expired"),
    "hold-expired": N_("Your cart has expired"),
    "payment-in-progress": N_("Payment in progress"),
    "payment-declined": N_("Payment declined"),
    "payment-timeout": N_("The payment did not go through"),
    "payment-status-unknown": N_("Your payment is being checked"),
    "idempotency-key-busy": N_("Payment in progress"),
    "order-not-found": N_("Order not found"),
    "ticket-not-refundable": N_("Ticket cannot be refunded"),
    "form-token-invalid": N_("This form has expired"),
    "cross-site-request": N_("Request from another site refused"),
    "unavailable": N_("Please retry"),
}

MESSAGES: dict[str, str] = {
    "bad-request": N_("Please go back and try again."),
    "not-found": N_("This page does not exist."),
    "event-not-found": N_("This event does not exist or is not sold here."),
    "sale-not-open": N_("These tickets are not on sale right now."),
    "sold-out": N_("There are not enough tickets left. Choose fewer or another ticket type."),
    "seat-taken": N_("Someone else took that seat a moment ago. Please choose another seat."),
    "buyer-limit": N_("You have reached the most tickets one buyer may have for this event."),
    "hold-not-found": N_("The tickets in your cart went back on sale. Please choose again."),
    "hold-expired": N_("The tickets in your cart went back on sale. Please choose again."),
    "payment-in-progress": N_("This cart is already being paid. Please wait a moment."),
    "payment-declined": N_(
        "Your card was declined and nothing was charged. Check the number or use another card."
    ),
    "payment-timeout": N_("The payment provider did not answer in time; nothing was charged."),
    "payment-status-unknown": N_(
        "We could not confirm your payment yet. Do not pay again: the order is completed "
        "as soon as the payment is confirmed."
    ),
    "idempotency-key-busy": N_("This cart is already being paid. Please wait a moment."),
    "order-not-found": N_("No order matches this link."),
    "ticket-not-refundable": N_("No ticket of this order can be refunded any more."),
    "form-token-invalid": N_(
        "The page was open too long or in another browser; nothing was changed. "
        "Reload the page and try again."
    ),
    "cross-site-request": N_("Another site tried to send this form; nothing was changed."),
    "unavailable": N_("The shop cannot be reached for a moment. Please retry."),
}

FIELD_MESSAGES: dict[str, str] = {
    "card_number": N_("Please check the card number: 12 to 19 digits."),
    "email": N_("Please check the e-mail address."),
    "name": N_("Please check your name."),
    "quantities": N_("Quantities must be whole numbers from 0 to 100."),
    "items": N_("Please choose at least one ticket."),
    "seats": N_("Please check the seats you chose."),
    "seat": N_("Please check the seats you chose."),
    "ticket_id": N_("Please check the tickets you chose."),
    "access": N_("No order matches this link."),
    "idempotency_key": N_("This form is incomplete. Reload the page and try again."),
}
"""The fan's words for a field's bad value (the form models' fields and the domain's)."""
_FIELD_NAME = re.compile(r"[.\[]")


@dataclass(frozen=True, slots=True)
class PageError:
    """An error as a shop page shows it."""

    status: int
    title: str
    detail: str
    type_slug: str = "bad-request"
    """Which error (``payment-declined``): chooses the fan's words (:func:`error_text`)."""
    field: str = ""

    @classmethod
    def of(cls, error: ServiceError) -> PageError:
        field = str(error.extra.get("field", ""))
        return cls(error_status(error), error_title(error), error.detail, error.type_slug, field)

    @classmethod
    def of_form(cls, error: InvalidInput) -> PageError:
        """A form value its model refused (:mod:`sale_backend.web.forms`): the fan's words for
        the field in every language, English too (the model's detail speaks of types)."""
        field = _FIELD_NAME.split(str(error.extra.get("field", "")))[0]
        message = FIELD_MESSAGES.get(field, MESSAGES["bad-request"])
        return cls(error_status(error), TITLES["invalid-input"], message, "invalid-input", field)


@dataclass(frozen=True, slots=True)
class ErrorText:
    title: str
    detail: str


def error_text(error: PageError, language: str, translate: Translate) -> ErrorText:
    if language == DEFAULT_LANGUAGE:
        return ErrorText(error.title, error.detail)
    slug = error.type_slug
    title = translate(TITLES.get(slug, TITLES["bad-request"]))
    message = FIELD_MESSAGES.get(error.field) if slug == "invalid-input" else None
    message = message or MESSAGES.get(slug) or MESSAGES["bad-request"]
    return ErrorText(title, translate(message))
