"""Refuses unsafe requests that the browser says came from another site or another origin.

Browsers tell where a request comes from: ``Sec-Fetch-Site`` (Fetch Metadata) and ``Origin``.
A page on another port of the same host is *same-site*, so even SameSite=Strict cookies go
along with its form posts: the signed CSRF token of every form (:mod:`sale_backend.web.csrf`) stops
those, and this guard refuses them before any handler runs, whatever the form carries. For every
method but GET, HEAD, OPTIONS and TRACE it answers 403 (a friendly page, or a problem body for
API paths and JSON clients) when ``Sec-Fetch-Site`` is ``cross-site`` or ``same-site``, or when
``Origin`` is present and is not the shop's own origin (scheme and ``Host`` of the request;
behind a proxy, uvicorn's ``--proxy-headers`` gives the scheme; ``Origin: null`` is refused).
Requests without either header (API clients, old browsers) pass on to the form token check.
Requests carrying ``Authorization: Bearer`` pass too: a browser never adds one to a cross-site
request without a CORS preflight, which the shop does not grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from sale_backend.errors import CrossSiteRequest
from sale_backend.web.pages import error_handler

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
REFUSED_SITES = frozenset({"cross-site", "same-site"})
DEFAULT_PORTS = {"http": 80, "https": 443}
READ_HEADERS = {
    name.encode(): name for name in ("authorization", "sec-fetch-site", "origin", "host")
}
REFUSED = (
    "The shop only accepts forms sent from its own pages, so nothing was changed. "
    "Open the shop and try again from there."
)


def origin_of(scheme: str, host: str) -> str | None:
    """``scheme://host[:port]`` in lower case, without the scheme's default port; None when the
    host is not a host."""
    try:
        parts = urlsplit(f"{scheme.lower()}://{host.strip()}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.path or parts.query or parts.username:
        return None
    netloc = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme):
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme}://{netloc}"


def refusal_reason(headers: Mapping[str, str], scheme: str) -> str | None:
    """Why an unsafe request must be refused, or None when the browser's headers allow it;
    ``scheme`` is the shop's own (with the request's ``Host``, its origin)."""
    site = headers.get("sec-fetch-site", "").strip().lower()
    if site in REFUSED_SITES:
        return f"Sec-Fetch-Site: {site}"
    origin = headers.get("origin")
    if origin is None:
        return None
    scheme_sent, separator, host = origin.strip().partition("://")
    known = separator and scheme_sent.lower() in DEFAULT_PORTS
    sent = origin_of(scheme_sent, host) if known else None
    if sent is None or sent != origin_of(scheme, headers.get("host", "")):
        return "Origin is another origin"
    return None


def browser_headers(scope: Scope) -> dict[str, str]:
    """The request headers this guard reads (:data:`READ_HEADERS`), the first of each name,
    read straight from the ASGI scope (one pass, no header object)."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = READ_HEADERS.get(name)
        if key is not None and key not in found:
            found[key] = value.decode("latin-1")
    return found


class CrossSiteGuard:
    """Pure ASGI middleware; ``https`` (``WAITROOM_COOKIE_SECURE``) forces the shop's origin
    to https when a proxy in front does not say so."""

    def __init__(self, app: ASGIApp, https: bool | None = None) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = browser_headers(scope)
        if headers.get("authorization", "")[:7].lower() == "bearer ":
            await self.app(scope, receive, send)
            return
        scheme = "https" if self.https else str(scope.get("scheme", "http"))
        reason = refusal_reason(headers, scheme)
        if reason is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await error_handler(request, CrossSiteRequest(REFUSED, reason=reason))
        await response(scope, receive, send)

