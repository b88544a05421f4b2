"""Credentials presented with a request."""

from __future__ import annotations

from starlette.requests import Request


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None."""
    return bearer_credential(request.headers.get("authorization", ""))


def bearer_credential(authorization: str) -> str | None:
    """The token of an ``Authorization`` header value ``Bearer <token>`` (any case), or None."""
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip()
    return None
