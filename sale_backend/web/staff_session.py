"""Browser sessions of door staff: the organizer session machinery
(:mod:`service_kit.browser_session`, :mod:`service_kit.session_door`) with the staff token and
its own salts and cookie (``wr_staff``), so an organizer session never opens the scanner and a staff
session never opens the organizer pages. The login form is guarded by the shop's CSRF token
(:mod:`sale_backend.web.csrf`) instead of the door's own login token."""

from __future__ import annotations

from starlette.requests import Request

from sale_backend.web.pages import base_path
from sale_backend.web.runtime import shop_runtime
from service_kit.browser_session import AdminSessionCodec, SessionNames
from service_kit.cookies import cookie_is_secure
from service_kit.session_door import SessionDoor
from service_kit.throttle import client_address, throttle_of

STAFF_NAMES = SessionNames(
    session_cookie="wr_staff",
    login_cookie="wr_staff_login",
    session_salt="sale_backend.staff-session",
    login_salt="sale_backend.staff-login",
    token_label="sale_backend.staff-token",
)


def staff_door(request: Request) -> SessionDoor:
    runtime = shop_runtime(request)
    settings = runtime.settings
    return SessionDoor(
        AdminSessionCodec(settings.secret_keys, settings.staff_token, STAFF_NAMES),
        settings.staff_token,
        throttle_of(request, "staff"),
        client_address(request, settings.trusted_proxy_count),
        cookie_is_secure(settings.cookie_secure, request),
        cookie_path=base_path(request) or "/",
        login_token=False,
    )
