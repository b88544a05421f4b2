"""Runtime settings, read from ``WAITROOM_*`` environment variables (and CLI flags)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from waitroom.protection_settings import ProtectionSettings


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""

    def __init__(self, name: str, value: str, reason: str) -> None:
        super().__init__(f"{name}={value!r}: {reason}")
        self.name = name
        self.value = value
        self.reason = reason


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, raw, "not an integer") from None
    if value < minimum:
        raise SettingsError(name, raw, f"must be >= {minimum}")
    return value


def _float(environ: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, raw, "not a number") from None
    if value < minimum:
        raise SettingsError(name, raw, f"must be >= {minimum}")
    return value


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(name, raw, "expected true/false")


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Limits on what one client may hold of a serving process (docs/operations.md).

    The request head (request line and headers) and its arrival time are checked by the
    connection protocol (waitroom/http_protocol.py), bodies by the body-limit layer
    (waitroom/body_limit.py), idle keep-alive connections by uvicorn."""

    max_request_head_bytes: int = 32 * 1024
    request_head_timeout_seconds: float = 10.0
    keep_alive_timeout_seconds: int = 5
    body_read_timeout_seconds: float = 15.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ServerLimits:
        env = os.environ if environ is None else environ
        return cls(
            max_request_head_bytes=_int(
                env, "WAITROOM_MAX_REQUEST_HEAD_BYTES", 32 * 1024, minimum=1024
            ),
            request_head_timeout_seconds=_float(
                env, "WAITROOM_REQUEST_HEAD_TIMEOUT_SECONDS", 10.0, minimum=0.1
            ),
            keep_alive_timeout_seconds=_int(
                env, "WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS", 5, minimum=1
            ),
            body_read_timeout_seconds=_float(
                env, "WAITROOM_BODY_READ_TIMEOUT_SECONDS", 15.0, minimum=0.1
            ),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a waitroom process needs to know; build with :meth:`from_environ`."""

    redis_url: str | None = None
    admin_token: str = field(default_factory=generate_secret)
    admin_token_generated: bool = True
    secret_keys: tuple[str, ...] = field(default_factory=lambda: (generate_secret(),))
    secret_keys_generated: bool = True
    position_token_max_age_seconds: int = 2 * 24 * 3600
    pass_ttl_seconds: int = 15 * 60
    queue_view_refresh_seconds: float = 0.5
    poll_interval_min_ms: int = 2000
    poll_interval_max_ms: int = 10000
    default_burst: int = 10
    public_base_url: str = ""
    cookie_secure: bool | None = None
    trusted_proxy_count: int = 0
    max_token_length: int = 1024
    profile_ttl_seconds: int = 24 * 3600
    protection: ProtectionSettings = field(default_factory=ProtectionSettings)
    server_limits: ServerLimits = field(default_factory=ServerLimits)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        admin_token = env.get("WAITROOM_ADMIN_TOKEN", "").strip()
        keys_raw = env.get("WAITROOM_SECRET_KEYS", "").strip()
        keys = tuple(key.strip() for key in keys_raw.split(",") if key.strip())
        for key in keys:
            if len(key) < 16:
                raise SettingsError("WAITROOM_SECRET_KEYS", "<hidden>", "each key needs 16+ chars")
        cookie_secure_raw = env.get("WAITROOM_COOKIE_SECURE", "")
        settings = cls(
            redis_url=env.get("REDIS_URL") or env.get("WAITROOM_REDIS_URL") or None,
            position_token_max_age_seconds=_int(
                env, "WAITROOM_POSITION_TOKEN_MAX_AGE_SECONDS", 2 * 24 * 3600, minimum=60
            ),
            pass_ttl_seconds=_int(env, "WAITROOM_PASS_TTL_SECONDS", 15 * 60, minimum=10),
            queue_view_refresh_seconds=_float(
                env, "WAITROOM_QUEUE_VIEW_REFRESH_SECONDS", 0.5, minimum=0.05
            ),
            poll_interval_min_ms=_int(env, "WAITROOM_POLL_INTERVAL_MIN_MS", 2000, minimum=200),
            poll_interval_max_ms=_int(env, "WAITROOM_POLL_INTERVAL_MAX_MS", 10000, minimum=200),
            default_burst=_int(env, "WAITROOM_DEFAULT_BURST", 10, minimum=1),
            public_base_url=env.get("WAITROOM_PUBLIC_BASE_URL", "").rstrip("/"),
            cookie_secure=None
            if cookie_secure_raw == ""
            else _bool(env, "WAITROOM_COOKIE_SECURE", False),
            trusted_proxy_count=_int(env, "WAITROOM_TRUSTED_PROXY_COUNT", 0),
            profile_ttl_seconds=_int(env, "WAITROOM_PROFILE_TTL_SECONDS", 24 * 3600, minimum=60),
            protection=ProtectionSettings.from_environ(env),
            server_limits=ServerLimits.from_environ(env),
        )
        if admin_token:
            settings = replace(settings, admin_token=admin_token, admin_token_generated=False)
        if keys:
            settings = replace(settings, secret_keys=keys, secret_keys_generated=False)
        if settings.poll_interval_max_ms < settings.poll_interval_min_ms:
            raise SettingsError(
                "WAITROOM_POLL_INTERVAL_MAX_MS",
                str(settings.poll_interval_max_ms),
                "must be >= WAITROOM_POLL_INTERVAL_MIN_MS",
            )
        return settings

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
