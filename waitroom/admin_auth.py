"""Organizer authentication: the admin bearer token, compared in constant time."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from waitroom.fan_session import bearer_token
from waitroom.problems import NotAuthenticated
from waitroom.runtime import runtime_of


def require_admin(request: Request) -> str:
    """Returns the actor name for the audit log; raises NotAuthenticated."""
    runtime = runtime_of(request)
    presented = bearer_token(request)
    if presented is None:
        raise NotAuthenticated("admin bearer token required")
    expected = runtime.settings.admin_token
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotAuthenticated("admin token not accepted")
    return "admin-token"
