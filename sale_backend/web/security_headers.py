"""The one place that sets the shop's browser security headers: a strict Content-Security-Policy
(no inline script or style: the templates load theirs from ``/static``), no framing, no MIME
sniffing and no referrer to other origins, on every response of the shop (pages, redirects,
error pages, static files and API answers alike; a header a handler set is replaced).

``form-action`` also governs where a form's answer may redirect (Chromium blocks the whole
navigation otherwise). When the waiting room is on another origin (an absolute
``WAITROOM_SHOP_QUEUE_URL``), the gate may answer a form post by sending the fan back to the
queue, so that one origin is added to ``form-action``; with the queue on the shop's own origin
the policy is exactly :data:`CONTENT_SECURITY_POLICY`."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
OTHER_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
_NAMES = frozenset({b"content-security-policy", *(name for name, _ in OTHER_HEADERS)})


def origin_of_url(url: str) -> str | None:
    """The origin of an absolute http(s) URL; None for a relative one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2].lower()}"


def content_security_policy(queue_url: str = "") -> str:
    """:data:`CONTENT_SECURITY_POLICY`, with the waiting room's origin in ``form-action`` when
    ``queue_url`` is on another origin."""
    queue_origin = origin_of_url(queue_url)
    if queue_origin is None:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "form-action 'self';", f"form-action 'self' {queue_origin};"
    )


class SecurityHeaders:
    """Pure ASGI middleware adding the policy and :data:`OTHER_HEADERS` to every response."""

    def __init__(self, app: ASGIApp, queue_url: str = "") -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(queue_url).encode()),
            *OTHER_HEADERS,
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _NAMES
                ]
                message = {**message, "headers": [*kept, *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
