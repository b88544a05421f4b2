"""The position token a request presents: ``Authorization: Bearer`` first, else the queue's
position cookie. Read from the raw ASGI headers, as the status poll does on every request."""

from __future__ import annotations

from collections.abc import Iterable

from service_kit.credentials import bearer_credential
from waitroom.fan.cookie_lookup import cookie_value
from waitroom.fan.cookies import position_cookie_name


def token_in_headers(
    headers: Iterable[tuple[bytes, bytes]], queue_id: str
) -> tuple[str | None, bool]:
    """(token, came from the bearer header). The first ``Authorization`` and ``Cookie`` header
    count, as in Starlette's ``request.headers.get``; the cookie is read as ``request.cookies``
    reads it (waitroom/fan/cookie_lookup.py)."""
    authorization: bytes | None = None
    cookie: bytes | None = None
    for name, value in headers:
        if name == b"authorization":
            if authorization is None:
                authorization = value
        elif name == b"cookie" and cookie is None:
            cookie = value
    if authorization is not None:
        bearer = bearer_credential(authorization.decode("latin-1"))
        if bearer is not None:
            return bearer, True
    if cookie is None:
        return None, False
    return cookie_value(cookie.decode("latin-1"), position_cookie_name(queue_id)), False
