"""Signed links in the fans' e-mails.

- Your turn: ``/q/{queue_id}/return?t=<position token>``: the fan's own place, signed when the
  e-mail is composed, so the link works in any browser (the e-mail app's, another device): the
  endpoint sets the place's cookies and sends the fan to the queue page, which claims the pass.
- Waiting-list offer: ``/q/{queue_id}/offer?t=<offer token>``: itsdangerous, HMAC-SHA256, salt
  ``waitroom.waitlist-offer``, payload ``{"q", "pid"}``; the endpoint signs the offer's pass
  and hands it to the site exactly like the queue page does (``?waitroom_pass=``).

Whoever holds the e-mail holds the place; the e-mail goes only to the address the fan gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from waitroom.connector.signing import loads_with_leeway, signed_serializer
from waitroom.connector.token_format import BadToken

OFFER_SALT = "waitroom.waitlist-offer"


class OfferLinkInvalid(ValueError):
    """The offer link is not genuine or too old."""


def queue_link(base_url: str, queue_id: str, path: str, token: str, language: str) -> str:
    return f"{base_url}/q/{queue_id}/{path}?{urlencode({'t': token, 'lang': language})}"


def sign_offer(secret_keys: Sequence[str], queue_id: str, pass_id: str) -> str:
    return str(signed_serializer(secret_keys, OFFER_SALT).dumps({"q": queue_id, "pid": pass_id}))


def verify_offer(
    secret_keys: Sequence[str],
    token: str,
    queue_id: str,
    max_age_seconds: int,
    leeway_seconds: int,
) -> str:
    """The pass id of a genuine offer link for ``queue_id``. Raises OfferLinkInvalid."""
    if not token or len(token) > 512 or not token.isascii():
        raise OfferLinkInvalid("no offer in the link")
    try:
        payload: Any = loads_with_leeway(
            signed_serializer(secret_keys, OFFER_SALT), token, max_age_seconds, leeway_seconds
        )
    except BadToken:
        raise OfferLinkInvalid("the offer link is not valid") from None
    if not isinstance(payload, dict) or payload.get("q") != queue_id:
        raise OfferLinkInvalid("the offer link is for another queue")
    pass_id = payload.get("pid")
    if not isinstance(pass_id, str) or not pass_id:
        raise OfferLinkInvalid("the offer link is not valid")
    return pass_id
