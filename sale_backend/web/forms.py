"""The shop pages' forms as typed models (:mod:`service_kit.form_fields`): each form is decoded
into one of these after its CSRF token is checked (:func:`sale_backend.web.pages.protected_form`),
and the same models describe the forms in the OpenAPI document.

A form shares its fields' types and bounds with the matching JSON API body
(:mod:`sale_backend.domain.requests`): a hold's quantities and seats, a checkout's card, name and
e-mail, a refund's tickets are defined once. Every form carries ``csrf_token``, the page's token
of the ``shop_csrf`` cookie.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec

from sale_backend.domain.requests import (
    MAX_LINES,
    CardNumber,
    IdempotencyKey,
    LocalId,
    PayerEmail,
    PayerName,
    Quantity,
    RefundTicketIds,
    Seats,
)
from service_kit.form_fields import FormModel

CsrfToken = Annotated[
    str, msgspec.Meta(max_length=512, description="the page's token of the shop_csrf cookie")
]
AccessKey = Annotated[str, msgspec.Meta(max_length=200, description="the order link's key")]


class ShopForm(FormModel):
    """A form with nothing but its CSRF token (cancel the hold)."""

    csrf_token: CsrfToken


class HoldForm(ShopForm):
    """Tickets to hold: ``qty_<tier_id>`` per tier (empty: none) and the seats ticked on the
    seat map (``seat``, repeated)."""

    form_prefixes: ClassVar[dict[str, str]] = {"quantities": "qty_"}
    quantities: Annotated[dict[LocalId, Quantity], msgspec.Meta(max_length=MAX_LINES)] = (
        msgspec.field(default_factory=dict)
    )
    seat: Seats = msgspec.field(default_factory=list)


class CheckoutForm(ShopForm):
    """Pay the cart: the payer's card, name and e-mail, and the page's idempotency key (a
    second post of the same page pays once)."""

    card_number: CardNumber
    name: PayerName
    email: PayerEmail
    idempotency_key: IdempotencyKey


class RefundForm(ShopForm):
    """Refund tickets of an order (``ticket_id`` repeated; none: every valid ticket); the
    refund happens only with ``confirm=yes``, else the confirmation page answers."""

    access: AccessKey = ""
    ticket_id: RefundTicketIds = msgspec.field(default_factory=list)
    confirm: Literal["yes", ""] = ""


class RefundQuery(FormModel):
    """``GET /orders/{id}/refund``: the order link's key and the tickets to ask about
    (``ticket_id`` repeated; none: the whole order)."""

    access: AccessKey = ""
    ticket_id: RefundTicketIds = msgspec.field(default_factory=list)


class ScanForm(ShopForm):
    """The door scanner's form without JavaScript."""

    code: Annotated[str, msgspec.Meta(description="the signed QR code, or a short code")] = ""
    event_id: Annotated[str, msgspec.Meta(max_length=64)] = ""
    history: Annotated[str, msgspec.Meta(description="the page's signed scan history")] = ""
    time_zone: Annotated[str, msgspec.Meta(max_length=64)] = ""


class LoginForm(ShopForm):
    token: str
    door: str = ""


class LogoutForm(ShopForm):
    pass
