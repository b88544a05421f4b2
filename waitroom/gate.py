"""``waitroom.gate``: pure-ASGI middleware a shop wraps itself in (the "connector").

It verifies the waiting room's pass locally, from the secret keys alone; it never calls the
waiting room. Fans without a valid pass are sent to the queue page (303); API clients get a
401/403 problem body. A pass may arrive as the ``wr_pass_<queue>`` cookie, as
``Authorization: Bearer <pass>``, or once as the ``waitroom_pass`` query parameter (the gate then
sets the cookie and redirects to the same URL without it, so the pass leaves the address bar).

The verified claims are put in ``scope["state"]["waitroom_pass"]`` for the shop.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waitroom.cookies import (
    VISITOR_COOKIE,
    parse_cookie_header,
    pass_cookie_name,
    set_cookie_header,
)
from waitroom.problems import problem_body
from waitroom.tokens import PassClaims, TokenCodec, TokenError, TokenForeign, TokenMissing

PASS_QUERY_PARAMETER = "waitroom_pass"

PassCheck = Callable[[PassClaims, Scope], Awaitable[None]]
"""Extra server-side check after local verification (revocation, one session per pass).
Raises :class:`waitroom.tokens.TokenError` to reject."""


class WaitroomGate:
    def __init__(
        self,
        app: ASGIApp,
        codec: TokenCodec,
        queue_id: str,
        queue_url: str,
        exempt_path_prefixes: Sequence[str] = (),
        api_path_prefixes: Sequence[str] = ("/api/",),
        pass_check: PassCheck | None = None,
        cookie_secure: bool | None = None,
    ) -> None:
        self.app = app
        self.codec = codec
        self.queue_id = queue_id
        self.queue_url = queue_url
        self.exempt_path_prefixes = tuple(exempt_path_prefixes)
        self.api_path_prefixes = tuple(api_path_prefixes)
        self.pass_check = pass_check
        self.cookie_secure = cookie_secure
        self.cookie_name = pass_cookie_name(queue_id)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        relative = path[len(scope.get("root_path", "")):] if scope.get("root_path") else path
        if any(relative.startswith(prefix) for prefix in self.exempt_path_prefixes):
            await self.app(scope, receive, send)
            return
        headers = _header_map(scope)
        cookies = parse_cookie_header(headers.get("cookie", ""))
        query = scope.get("query_string", b"").decode("latin-1")
        query_pass = _query_value(query, PASS_QUERY_PARAMETER)
        token = query_pass or _bearer(headers) or cookies.get(self.cookie_name)
        visitor_id = cookies.get(VISITOR_COOKIE)
        try:
            if token is None:
                raise TokenMissing("no pass: join the waiting room first")
            if visitor_id is None:
                raise TokenForeign("no visitor cookie: a pass works only in its own browser")
            claims = self.codec.verify_pass(token, queue_id=self.queue_id, visitor_id=visitor_id)
            if self.pass_check is not None:
                await self.pass_check(claims, scope)
        except TokenError as error:
            await self._reject(scope, send, headers, relative, error)
            return
        if query_pass is not None and scope.get("method") in {"GET", "HEAD"}:
            await self._strip_pass_from_url(scope, send, query, token, claims)
            return
        state = scope.setdefault("state", {})
        state["waitroom_pass"] = claims
        extra_cookie = state.pop("waitroom_set_cookie", None)  # set by a pass_check hook
        if isinstance(extra_cookie, str):
            send = _with_cookie(send, extra_cookie)
        await self.app(scope, receive, send)

    def _is_api(self, relative_path: str, headers: dict[str, str]) -> bool:
        if any(relative_path.startswith(prefix) for prefix in self.api_path_prefixes):
            return True
        accept = headers.get("accept", "")
        return "application/json" in accept and "text/html" not in accept

    def _secure(self, scope: Scope) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return scope.get("scheme") == "https"

    async def _reject(
        self, scope: Scope, send: Send, headers: dict[str, str], relative: str, error: TokenError
    ) -> None:
        if self._is_api(relative, headers):
            status = 403 if isinstance(error, TokenForeign) else 401
            extra_headers: list[tuple[bytes, bytes]] = []
            title = "Waiting room pass required" if status == 401 else "Pass not valid here"
            if error.reason == "unavailable":
                # a pass_check store is down: fail closed, come back later
                status, title = 503, "Pass check unavailable"
                extra_headers.append((b"retry-after", b"5"))
            body = problem_body(
                status, title, error.detail, f"pass-{error.reason}", queue_url=self.queue_url
            )
            await _send(
                send,
                status,
                body,
                [
                    (b"content-type", b"application/problem+json"),
                    (b"cache-control", b"no-store"),
                    (b"www-authenticate", b'Bearer realm="waitroom"'),
                    *extra_headers,
                ],
            )
            return
        await _send(
            send,
            303,
            b"",
            [(b"location", self.queue_url.encode()), (b"cache-control", b"no-store")],
        )

    async def _strip_pass_from_url(
        self, scope: Scope, send: Send, query: str, token: str, claims: PassClaims
    ) -> None:
        remaining = [
            (key, value)
            for key, value in parse_qsl(query, keep_blank_values=True)
            if key != PASS_QUERY_PARAMETER
        ]
        location = scope.get("root_path", "") + scope.get("path", "")
        if scope.get("root_path") and scope.get("path", "").startswith(scope["root_path"]):
            location = scope["path"]
        if remaining:
            location += "?" + urlencode(remaining)
        max_age = max(1, claims.expires_at - int(time.time()))
        cookie = set_cookie_header(self.cookie_name, token, max_age, self._secure(scope))
        await _send(
            send,
            303,
            b"",
            [
                (b"location", location.encode()),
                (b"set-cookie", cookie.encode()),
                (b"cache-control", b"no-store"),
            ],
        )


def _with_cookie(send: Send, cookie: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), (b"set-cookie", cookie.encode("latin-1"))]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def _header_map(scope: Scope) -> dict[str, str]:
    result: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        if name not in result:
            result[name] = raw_value.decode("latin-1")
    return result


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip()
    return None


def _query_value(query: str, name: str) -> str | None:
    if name not in query:
        return None
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == name:
            return value
    return None


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


__all__ = ["PASS_QUERY_PARAMETER", "PassCheck", "WaitroomGate"]
