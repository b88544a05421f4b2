"""Small pure-ASGI helpers of the middleware: the request's parts and plain answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from starlette.requests import cookie_parser
from starlette.types import Scope, Send

from waitroom.connector.passes import PASS_QUERY_PARAMETER


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    method: str
    path: str
    """The full path (mount point included), for redirects."""
    relative_path: str
    """The path inside the site's app (without its ``root_path``), for prefixes."""
    query: str
    headers: dict[str, str]
    cookies: dict[str, str]
    secure: bool

    @classmethod
    def of(cls, scope: Scope) -> IncomingRequest:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            if name not in headers:
                headers[name] = raw_value.decode("latin-1")
        path: str = scope.get("path", "")
        root_path: str = scope.get("root_path", "")
        relative = path[len(root_path) :] if root_path and path.startswith(root_path) else path
        return cls(
            method=str(scope.get("method", "GET")),
            path=path,
            relative_path=relative,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            cookies=cookie_parser(headers.get("cookie", "")),
            secure=scope.get("scheme") == "https",
        )

    def query_pass(self) -> str | None:
        if PASS_QUERY_PARAMETER not in self.query:
            return None
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            if key == PASS_QUERY_PARAMETER:
                return value
        return None

    def bearer(self) -> str | None:
        scheme, _, credential = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            return credential.strip()
        return None

    def url_without_pass(self) -> str:
        remaining = [
            (key, value)
            for key, value in parse_qsl(self.query, keep_blank_values=True)
            if key != PASS_QUERY_PARAMETER
        ]
        return self.path + ("?" + urlencode(remaining) if remaining else "")

    def url(self) -> str:
        return self.path + ("?" + self.query if self.query else "")

    def wants_json(self, api_path_prefixes: Sequence[str]) -> bool:
        if any(self.relative_path.startswith(prefix) for prefix in api_path_prefixes):
            return True
        if self.bearer() is not None:
            return True
        accept = self.headers.get("accept", "")
        return "application/json" in accept and "text/html" not in accept


def cookie_header(name: str, value: str, max_age_seconds: int, secure: bool) -> bytes:
    """HttpOnly, SameSite=Lax, Path=/, Secure over https (contract section 2)."""
    parts = [
        f"{name}={value}",
        f"Max-Age={max(0, max_age_seconds)}",
        "Path=/",
        "SameSite=Lax",
        "HttpOnly",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


async def answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *headers,
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
