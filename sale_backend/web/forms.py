"""The shop pages' forms, for the OpenAPI document. Every form carries ``csrf_token`` (the
page's token of the ``shop_csrf`` cookie, checked before anything else); the pages read their
other fields themselves (:func:`sale_backend.web.pages.protected_form`)."""

from __future__ import annotations

import msgspec


class ShopForm(msgspec.Struct):
    """A buyer's form: ``csrf_token`` and the page's fields (``qty_<tier_id>``, ``seat``,
    ``card_number``, ``name``, ``email``, ``idempotency_key``, ``ticket_id``, ``confirm``,
    ``access``)."""

    csrf_token: str


class ScanForm(msgspec.Struct):
    """The door scanner's form without JavaScript."""

    code: str
    event_id: str
    csrf_token: str
    history: str = ""
    time_zone: str = ""


class LoginForm(msgspec.Struct):
    token: str
    csrf_token: str
    door: str = ""


class LogoutForm(msgspec.Struct):
    csrf_token: str
