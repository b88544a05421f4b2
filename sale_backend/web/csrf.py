"""CSRF protection of the shop's forms: one implementation for the fans' forms (hold, cancel,
checkout, refund) and the door staff's (login, scan, logout).

:func:`page_form_token` gives the page being rendered a token for its forms (``csrf_token``
hidden field) and, when the browser has no valid cookie yet, the value of a new ``shop_csrf``
cookie: HttpOnly, SameSite=Strict, Secure over https (``cookie_is_secure``), path of the shop.
It is the shop's own cookie, not tied to the waiting room's pass or session cookies. A cookie
older than a day is signed again with the same secret, so pages already open keep working.
:func:`require_form_token` refuses a posted form whose token is not this browser's
(:class:`FormTokenInvalid`, 403) before anything changes. Unsafe requests from another site or
origin are refused even earlier, by :class:`sale_backend.web.cross_site.CrossSiteGuard`.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from sale_backend.errors import FormTokenInvalid
from sale_backend.web.runtime import shop_runtime
from service_kit.cookies import cookie_is_secure

CSRF_COOKIE = "shop_csrf"
CSRF_FIELD = "csrf_token"
REFRESH_AFTER_SECONDS = 24 * 3600
FORM_REFUSED = (
    "This form expired or was not sent from this shop's own page, so nothing was changed. "
    "Go back, reload the page and try again."
)


def page_form_token(request: Request) -> tuple[str, str | None]:
    """(token for the page's forms, new ``shop_csrf`` cookie value or None when the browser's
    cookie is fine as it is)."""
    tokens = shop_runtime(request).form_tokens
    browser = tokens.read_cookie(request.cookies.get(CSRF_COOKIE))
    if browser is not None and time.time() - browser.signed_at <= REFRESH_AFTER_SECONDS:
        return tokens.form_token(browser.secret), None
    secret = browser.secret if browser is not None else tokens.new_secret()
    return tokens.form_token(secret), tokens.cookie_value(secret)


def set_form_cookie(request: Request, response: Response, value: str) -> None:
    runtime = shop_runtime(request)
    response.set_cookie(
        CSRF_COOKIE,
        value,
        max_age=runtime.form_tokens.max_age_seconds,
        path=str(request.scope.get("root_path", "")) or "/",
        secure=cookie_is_secure(runtime.settings.cookie_secure, request),
        httponly=True,
        samesite="strict",
    )


def form_token_valid(request: Request, presented: str | None) -> bool:
    """Whether a posted form's token belongs to this browser's ``shop_csrf`` cookie."""
    return shop_runtime(request).form_tokens.accepts(request.cookies.get(CSRF_COOKIE), presented)


def require_form_token(request: Request, presented: str | None) -> None:
    """Raises :class:`FormTokenInvalid` (403) unless the posted token is this browser's."""
    if not form_token_valid(request, presented):
        raise FormTokenInvalid(FORM_REFUSED)
