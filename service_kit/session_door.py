"""Login and logout of a token-protected browser session: the organizer pages and the shop's
door scanner each open one with their own :class:`~service_kit.browser_session.SessionNames`.

Login: the form carries a double-submit token (short-lived cookie; a site that checks every
form's CSRF token itself, like the shop, turns it off with ``login_token=False``), failures are
throttled per client address, the token is compared in constant time, and success sets the
signed session cookie (HttpOnly, SameSite=Strict, Secure over https) and redirects (303).
Pages answered here carry :data:`SECURITY_HEADERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.browser_session import (
    LOGIN_MAX_AGE_SECONDS,
    SESSION_MAX_AGE_SECONDS,
    AdminSession,
    AdminSessionCodec,
    tokens_equal,
)
from service_kit.cookies import set_cookie_header
from service_kit.errors import TooManyAttempts
from service_kit.request_body import form_pairs
from service_kit.throttle import LOGIN_FAILURES, AdminThrottle

SECURITY_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
FORM_EXPIRED = "The form expired or was not sent by this page. Try again."
TOO_MANY_ATTEMPTS = "Too many failed logins from this address. Wait a minute and try again."
"""The login form's 429 notice (the problem's own detail is for API clients, in English)."""

LOGIN_FORM_MAX_FIELDS = 10
LoginFormRenderer = Callable[[int, str, str], Response]
"""Renders the login form: (status code, the form's double-submit token, error text)."""


@dataclass(frozen=True, slots=True)
class SessionDoor:
    codec: AdminSessionCodec
    expected_token: str
    throttle: AdminThrottle
    address: str
    secure: bool
    cookie_path: str = "/"
    login_token: bool = True
    """The login form's own double-submit token; False where the site checks every form's
    CSRF token before :meth:`login` (the shop: :mod:`sale_backend.web.csrf`)."""

    def cookie(self, name: str, value: str, max_age_seconds: int) -> str:
        return set_cookie_header(
            name, value, max_age_seconds, self.secure, self.cookie_path
        ).replace("SameSite=Lax", "SameSite=Strict")

    def session(self, request: Request) -> AdminSession | None:
        return self.codec.verify(request.cookies.get(self.codec.names.session_cookie))

    def login_form(
        self, render: LoginFormRenderer, status_code: int = 200, error: str = ""
    ) -> Response:
        if not self.login_token:
            return render(status_code, "", error)
        cookie, form_value = self.codec.issue_login_token()
        response = render(status_code, form_value, error)
        response.headers.append(
            "set-cookie", self.cookie(self.codec.names.login_cookie, cookie, LOGIN_MAX_AGE_SECONDS)
        )
        return response

    async def login(
        self,
        request: Request,
        render: LoginFormRenderer,
        after_login: str,
        who: Callable[[dict[str, str]], str],
        rejected: str,
    ) -> Response:
        """Answer a posted login form (fields ``csrf_token``, ``token`` and what ``who`` reads)."""
        names = self.codec.names
        fields = dict(await form_pairs(request, max_fields=LOGIN_FORM_MAX_FIELDS))
        if self.login_token and not self.codec.verify_login_token(
            request.cookies.get(names.login_cookie), fields.get("csrf_token")
        ):
            return self.login_form(render, 403, FORM_EXPIRED)
        try:
            self.throttle.check(LOGIN_FAILURES, self.address)
        except TooManyAttempts:
            response = self.login_form(render, 429, TOO_MANY_ATTEMPTS)
            response.headers["retry-after"] = "60"
            return response
        if not tokens_equal(fields.get("token", ""), self.expected_token):
            self.throttle.failed(LOGIN_FAILURES, self.address)
            return self.login_form(render, 401, rejected)
        cookie, _ = self.codec.issue(who(fields))
        response = RedirectResponse(after_login, status_code=303, headers=SECURITY_HEADERS)
        response.headers.append(
            "set-cookie", self.cookie(names.session_cookie, cookie, SESSION_MAX_AGE_SECONDS)
        )
        if self.login_token:
            response.headers.append("set-cookie", self.cookie(names.login_cookie, "", 0))
        return response

    def logged_out(self, to: str) -> Response:
        """Redirect (303) to ``to`` and end the session cookie."""
        response = RedirectResponse(to, status_code=303, headers=SECURITY_HEADERS)
        response.headers.append("set-cookie", self.cookie(self.codec.names.session_cookie, "", 0))
        return response
