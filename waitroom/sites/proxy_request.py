"""What the waiting room reads of a request a reverse proxy passed on for a protected site.

- the fan's original request: its headers and cookies as they came (the proxy forwards them),
  its path and query from ``X-Original-URI`` (nginx, set by our config) or ``X-Forwarded-Uri``
  (Caddy ``forward_auth``, Traefik ForwardAuth), else this request's own;
- the queue: ``?queue=`` on the auth endpoint (the contract), the ``X-Waitroom-Queue`` header
  (set by the proxy) on the ``/.waitroom/`` endpoints, whose query belongs to the site;
- where to send a fan: only paths of the site itself (``/...``, never ``//host`` or a
  backslash), and the queue page at ``WAITROOM_PUBLIC_BASE_URL``.

Bad values raise :class:`~service_kit.errors.InvalidInput` (a 400 problem body).
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qsl, urlsplit

from starlette.types import Scope

from service_kit.errors import InvalidInput
from waitroom.connector.asgi import IncomingRequest
from waitroom.connector.queue_ids import is_valid_queue_id
from waitroom.connector.site_session import session_cookie_name
from waitroom.errors import ProxyNotConfigured
from waitroom.settings import Settings

ORIGINAL_URI_HEADERS = ("x-original-uri", "x-forwarded-uri")
QUEUE_HEADER = "x-waitroom-queue"
MAX_SITE_PATH_CHARS = 4096
SITE_PATH = re.compile(r"^/(?![/\\])[\x21-\x7e]*$")
"""A path (and query) of this site: printable ASCII, no scheme, no ``//`` or ``/\\`` (which
browsers read as another host)."""


def same_site_path(value: str) -> str | None:
    """``value`` when it is a path of the site itself, else None."""
    if len(value) > MAX_SITE_PATH_CHARS or "\\" in value or not SITE_PATH.match(value):
        return None
    return value


def query_parameters(scope: Scope) -> dict[str, str]:
    """This request's own query (the first value of each name)."""
    parameters: dict[str, str] = {}
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        parameters.setdefault(name, value)
    return parameters


def original_request(scope: Scope, keep_own_query: bool) -> IncomingRequest:
    """The fan's request to the site, as the proxy describes it. Without a header naming it
    (a proxy set up otherwise), the site's front page, with this request's query when
    ``keep_own_query`` (``/.waitroom/enter``: nginx keeps the query when it rewrites there)."""
    own = IncomingRequest.of(scope)
    for header in ORIGINAL_URI_HEADERS:
        value = own.headers.get(header)
        if value is None:
            continue
        if same_site_path(value) is None:
            raise InvalidInput(f"{header} must be a path of the site", field=header)
        parts = urlsplit(value)
        return dataclasses.replace(
            own, path=parts.path, relative_path=parts.path, query=parts.query
        )
    query = own.query if keep_own_query else ""
    return dataclasses.replace(own, path="/", relative_path="/", query=query)


def checked_queue(value: str | None, source: str) -> str:
    if not value:
        raise InvalidInput(f"the queue id is missing ({source})", field=source)
    if not is_valid_queue_id(value):
        raise InvalidInput("not a queue id", field=source)
    return value


def header_queue(request: IncomingRequest) -> str:
    """The queue a ``/.waitroom/`` request is about (the proxy sets the header)."""
    return checked_queue(request.headers.get(QUEUE_HEADER), "X-Waitroom-Queue")


def queue_page_url(settings: Settings, queue_id: str) -> str:
    """The queue page on the waiting room's public host (fans leave the site for it)."""
    base = settings.public_base_url
    if not base.startswith(("http://", "https://")):
        raise ProxyNotConfigured(
            "set WAITROOM_PUBLIC_BASE_URL to the waiting room's public URL: the reverse-proxy "
            "connector sends fans there"
        )
    return f"{base}/q/{queue_id}"


def cookie_of(request: IncomingRequest, queue_id: str) -> str | None:
    return request.cookies.get(session_cookie_name(queue_id))


def cookie_secure(settings: Settings, request: IncomingRequest) -> bool:
    """``WAITROOM_COOKIE_SECURE`` when set, else whether the fan's request came over https
    (``X-Forwarded-Proto``, trusted by ``waitroom serve --proxy-headers``)."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.secure
