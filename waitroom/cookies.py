"""Cookie names and attributes of the waiting room's own host (a protected site never reads
them: it has its own session cookie, waitroom.connector)."""

from __future__ import annotations

VISITOR_COOKIE = "wr_vid"
VISITOR_COOKIE_MAX_AGE_SECONDS = 30 * 24 * 3600


def position_cookie_name(queue_id: str) -> str:
    return f"wr_pos_{queue_id}"


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

