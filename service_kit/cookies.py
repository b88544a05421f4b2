"""Cookie headers: set one (HttpOnly, SameSite=Lax, Secure over https), read a header leniently."""

from __future__ import annotations

from starlette.requests import Request


def cookie_is_secure(setting: bool | None, request: Request) -> bool:
    """``WAITROOM_COOKIE_SECURE`` when set, else whether the request came over https."""
    if setting is not None:
        return setting
    return bool(request.scope.get("scheme") == "https")  # request.url would build a URL


def set_cookie_header(
    name: str,
    value: str,
    max_age_seconds: int,
    secure: bool,
    path: str = "/",
    http_only: bool = True,
) -> str:
    """A ``Set-Cookie`` value: HttpOnly, SameSite=Lax, Secure when served over https."""
    parts = [f"{name}={value}", f"Max-Age={max_age_seconds}", f"Path={path}", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def parse_cookie_header(raw: str) -> dict[str, str]:
    """Parse a Cookie header leniently; broken pairs are skipped, never raised."""
    cookies: dict[str, str] = {}
    for chunk in raw.split(";"):
        name, separator, value = chunk.strip().partition("=")
        if separator and name and name not in cookies:
            cookies[name] = value.strip().strip('"')
    return cookies

