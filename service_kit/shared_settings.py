"""The settings both apps read (the waiting room, the shop, any protected site): one
:class:`~service_kit.settings_tree.Variable` each, used by every settings class that needs it.
``REDIS_URL`` lives with the Redis URL contract (:mod:`service_kit.redis_client`)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

from service_kit.settings_tree import FLAG, INTEGER, Cast, Variable

MIN_SECRET_CHARS = 16


def generate_secret() -> str:
    """A token or key for an unset secret setting (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def without_password(url: str) -> str:
    """``url`` with the password of its user info replaced by ``***`` (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, rest = parts.netloc.rpartition("@")
    name = user.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{name}:***@{rest}"))


def _secret_keys(raw: str) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    if any(len(key) < MIN_SECRET_CHARS for key in keys):
        raise ValueError(f"each key needs {MIN_SECRET_CHARS}+ characters")
    return keys


def _token(raw: str) -> str:
    if len(raw) < MIN_SECRET_CHARS or any(character.isspace() for character in raw):
        raise ValueError(f"needs {MIN_SECRET_CHARS}+ characters and no spaces")
    return raw


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("expected an http(s) URL such as https://queue.example.com")
    return raw.rstrip("/")


SECRET_KEYS_CAST: Cast[tuple[str, ...]] = Cast(
    "comma-separated keys", _secret_keys, show=lambda keys: "generated", garbage="short"
)
TOKEN: Cast[str] = Cast("token", _token, garbage="short")
HTTP_URL: Cast[str] = Cast("http(s) URL", _http_url, garbage="ftp://example.com")

SECRET_KEYS: Variable[tuple[str, ...]] = Variable(
    "WAITROOM_SECRET_KEYS",
    SECRET_KEYS_CAST,
    (),
    "Signing keys, comma-separated, newest last: the newest signs, all verify (rotation). "
    f"{MIN_SECRET_CHARS}+ characters each. The same on every process of both apps",
    secret=True,
    default_text="generated at start (one process only; a shop needs them set)",
)
COOKIE_SECURE: Variable[bool | None] = Variable(
    "WAITROOM_COOKIE_SECURE",
    FLAG,
    None,
    "Mark cookies `Secure`; unset: when the request came over https",
    default_text="unset (by the request's scheme)",
)
TRUSTED_PROXY_COUNT: Variable[int] = Variable(
    "WAITROOM_TRUSTED_PROXY_COUNT",
    INTEGER,
    0,
    "Reverse proxies in front of the app whose `X-Forwarded-For` hop is trusted for client "
    "addresses (join limits, login throttles)",
    minimum=0,
    maximum=16,
)
REDIS_RETRY_AFTER: Variable[int] = Variable(
    "WAITROOM_REDIS_RETRY_AFTER_SECONDS",
    INTEGER,
    5,
    "`Retry-After` of the answers given while Redis is unreachable",
    minimum=1,
    maximum=3600,
)
METRICS_TOKEN: Variable[str] = Variable(
    "WAITROOM_METRICS_TOKEN",
    TOKEN,
    "",
    "The bearer token Prometheus sends to `/metrics` of both apps (the same on every process "
    "of both; nothing else opens with it)",
    secret=True,
    default_text="generated and printed at start",
)
