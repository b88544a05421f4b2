"""Browser sessions of door staff: the organizer session machinery
(:mod:`waitroom.admin_session`, :mod:`waitroom.session_door`) with the staff token and its own
salts and cookie (``wr_staff``), so an organizer session never opens the scanner and a staff
session never opens the organizer pages. The login form is guarded by the shop's CSRF token
(:mod:`sale_backend.csrf`) instead of the door's own login token."""

from __future__ import annotations

from starlette.requests import Request

from sale_backend.pages import base_path
from sale_backend.runtime import shop_runtime
from waitroom.admin_session import AdminSessionCodec, SessionNames
from waitroom.admin_throttle import client_address, throttle_of
from waitroom.runtime import cookie_secure_for
from waitroom.session_door import SessionDoor

STAFF_NAMES = SessionNames(
    session_cookie="wr_staff",
    login_cookie="wr_staff_login",
    session_salt="sale_backend.staff-session",
    login_salt="sale_backend.staff-login",
    token_label="sale_backend.staff-token",
)


def staff_door(request: Request) -> SessionDoor:
    runtime = shop_runtime(request)
    base = runtime.settings.base
    return SessionDoor(
        AdminSessionCodec(base.secret_keys, runtime.settings.staff_token, STAFF_NAMES),
        runtime.settings.staff_token,
        throttle_of(request, "staff"),
        client_address(request, base.trusted_proxy_count),
        cookie_secure_for(base, request),
        cookie_path=base_path(request) or "/",
        login_token=False,
    )
