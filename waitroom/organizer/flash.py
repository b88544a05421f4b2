"""One-time messages across a post/redirect/get: a form's answer shown once by the next page.

Every dashboard form that changes something answers ``303 See Other`` to a page, so a reload
of that page only reads (a reload after "Create code" creates no second code). What the change
has to say ("Settings saved.", a new code shown once) travels in a short-lived signed cookie
(itsdangerous, salt ``waitroom.admin-flash``; HttpOnly, SameSite=Strict, path ``/admin``) that
the page reads and clears in the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.cookies import set_cookie_header
from service_kit.session_door import SECURITY_HEADERS

FLASH_COOKIE = "wr_admin_flash"
FLASH_PATH = "/admin"
FLASH_MAX_AGE_SECONDS = 120
MAX_COOKIE_CHARS = 3000


@dataclass(frozen=True, slots=True)
class Flash:
    notice: str = ""
    created_code: str = ""
    """A plain code, shown once (it is stored hashed)."""
    page: str = ""
    """The page it is meant for (another page leaves it for that one)."""


class FlashCodec:
    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._serializer = URLSafeTimedSerializer(
            list(secret_keys),
            salt="waitroom.admin-flash",
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def dumps(self, flash: Flash) -> str:
        return str(self._serializer.dumps([flash.notice, flash.created_code, flash.page]))

    def loads(self, cookie: str | None) -> Flash | None:
        if not cookie or len(cookie) > MAX_COOKIE_CHARS:
            return None
        try:
            notice, code, page = self._serializer.loads(cookie, max_age=FLASH_MAX_AGE_SECONDS)
        except (BadData, ValueError, TypeError, UnicodeError):
            return None
        if not all(isinstance(value, str) for value in (notice, code, page)):
            return None
        return Flash(notice, code, page)


def redirect_with_flash(codec: FlashCodec, to: str, flash: Flash, secure: bool) -> RedirectResponse:
    """``303`` to ``to`` carrying ``flash`` for it."""
    response = RedirectResponse(to, status_code=303, headers=SECURITY_HEADERS)
    value = codec.dumps(Flash(flash.notice, flash.created_code, to))
    response.headers.append("set-cookie", _cookie(value, FLASH_MAX_AGE_SECONDS, secure))
    return response


def take_flash(codec: FlashCodec, request: Request) -> Flash | None:
    """The flash meant for this page, if any (clear it with :func:`clear_flash`)."""
    flash = codec.loads(request.cookies.get(FLASH_COOKIE))
    if flash is None or flash.page != request.url.path:
        return None
    return flash


def clear_flash(response: Response, secure: bool) -> None:
    response.headers.append("set-cookie", _cookie("", 0, secure))


def _cookie(value: str, max_age_seconds: int, secure: bool) -> str:
    return set_cookie_header(FLASH_COOKIE, value, max_age_seconds, secure, FLASH_PATH).replace(
        "SameSite=Lax", "SameSite=Strict"
    )
