"""Organizer authentication: the admin bearer token (scripts) or a browser session (pages).

Tokens are compared in constant time. A request authenticated by the session cookie that may
change something (any method but GET/HEAD) must also carry the session's CSRF token in the
``X-CSRF-Token`` header; forms are checked by :func:`require_admin_form`.
Errors never echo the presented or configured token.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from service_kit.browser_session import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    AdminSession,
    AdminSessionCodec,
    tokens_equal,
)
from service_kit.credentials import bearer_token
from service_kit.errors import Forbidden, NotAuthenticated
from service_kit.request_body import form_pairs
from service_kit.throttle import admin_throttle, bearer_accepted, client_address
from waitroom.web.runtime import runtime_of

ACTOR_HEADER = "x-waitroom-actor"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ACTOR_UNSAFE = re.compile(r"[^A-Za-z0-9@._ -]")


def session_codec(request: Request) -> AdminSessionCodec:
    settings = runtime_of(request).settings
    return AdminSessionCodec(settings.secret_keys, settings.admin_token)


def clean_actor(raw: str) -> str:
    return _ACTOR_UNSAFE.sub("", raw)[:64].strip()


def admin_session(request: Request) -> AdminSession | None:
    return session_codec(request).verify(request.cookies.get(SESSION_COOKIE))


def require_admin(request: Request) -> str:
    """Returns the actor name for the audit log; raises NotAuthenticated / Forbidden."""
    presented = bearer_token(request)
    if presented is not None:
        expected = runtime_of(request).settings.admin_token
        if not bearer_accepted(
            admin_throttle(request),
            client_address(request, runtime_of(request).settings.trusted_proxy_count),
            presented,
            expected,
        ):
            raise NotAuthenticated("admin token not accepted")
        named = clean_actor(request.headers.get(ACTOR_HEADER, ""))
        return f"token:{named}" if named else "token"
    session = admin_session(request)
    if session is None:
        raise NotAuthenticated("admin bearer token or admin session required")
    if request.method not in SAFE_METHODS:
        check_csrf(session, request.headers.get(CSRF_HEADER))
    return f"session:{session.who}"


def check_csrf(session: AdminSession, presented: str | None) -> None:
    if not presented or not tokens_equal(presented, session.csrf_token):
        raise Forbidden("missing or wrong CSRF token", reason="csrf")


FORM_MAX_FIELDS = 50
CONTENT_FORM_MAX_FIELDS = 1200
"""The content editor: up to 10 surveys of 10 questions and 12 cards, every field a field."""


async def require_admin_form(
    request: Request, max_fields: int = FORM_MAX_FIELDS
) -> tuple[str, dict[str, str]]:
    """For HTML form posts: a valid session and the form's CSRF field. Returns (actor, form)."""
    session = admin_session(request)
    if session is None:
        raise NotAuthenticated("please log in")
    fields = dict(await form_pairs(request, max_fields))
    check_csrf(session, fields.get(CSRF_FIELD))
    return f"session:{session.who}", fields
