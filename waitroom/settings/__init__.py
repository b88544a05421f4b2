"""Runtime settings, read from ``WAITROOM_*`` environment variables (and CLI flags)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from service_kit.environment import (
    SettingsError,
    env_bool,
    env_float,
    env_int,
    env_secret_keys,
)
from service_kit.mail import MailSettings
from service_kit.server_limits import ServerLimits
from waitroom.connector.settings import DEFAULT_SESSION_MAX_SECONDS
from waitroom.connector.signing import DEFAULT_CLOCK_LEEWAY_SECONDS
from waitroom.settings.protection import ProtectionSettings

__all__ = ["Settings", "SettingsError", "generate_secret"]


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


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
    clock_leeway_seconds: int = DEFAULT_CLOCK_LEEWAY_SECONDS
    """Accepted clock difference for passes, position tokens and site sessions."""
    session_max_seconds: int = DEFAULT_SESSION_MAX_SECONDS
    """The longest a site session may last after its claim (extensions stop there)."""
    protection: ProtectionSettings = field(default_factory=ProtectionSettings)
    server_limits: ServerLimits = field(default_factory=ServerLimits)
    mail: MailSettings = field(default_factory=MailSettings)
    """SMTP (``WAITROOM_SMTP_*``); without a host nothing is sent and no page offers e-mail."""
    mail_poll_seconds: float = 1.0
    """How often each process looks for e-mails to send (your turn, waiting-list offers)."""
    waitlist_offer_seconds: int = 30 * 60
    """How long a waiting-list offer (its pass) stays good before it goes to the next fan."""

    @property
    def mail_enabled(self) -> bool:
        """E-mail links need the waiting room's public address."""
        return self.mail.enabled and bool(self.public_base_url)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        admin_token = env.get("WAITROOM_ADMIN_TOKEN", "").strip()
        keys = env_secret_keys(env)
        settings = cls(
            redis_url=env.get("REDIS_URL") or env.get("WAITROOM_REDIS_URL") or None,
            position_token_max_age_seconds=env_int(
                env, "WAITROOM_POSITION_TOKEN_MAX_AGE_SECONDS", 2 * 24 * 3600, minimum=60
            ),
            pass_ttl_seconds=env_int(env, "WAITROOM_PASS_TTL_SECONDS", 15 * 60, minimum=1),
            queue_view_refresh_seconds=env_float(
                env, "WAITROOM_QUEUE_VIEW_REFRESH_SECONDS", 0.5, minimum=0.05
            ),
            poll_interval_min_ms=env_int(env, "WAITROOM_POLL_INTERVAL_MIN_MS", 2000, minimum=200),
            poll_interval_max_ms=env_int(env, "WAITROOM_POLL_INTERVAL_MAX_MS", 10000, minimum=200),
            default_burst=env_int(env, "WAITROOM_DEFAULT_BURST", 10, minimum=1),
            public_base_url=env.get("WAITROOM_PUBLIC_BASE_URL", "").rstrip("/"),
            cookie_secure=env_bool(env, "WAITROOM_COOKIE_SECURE", None),
            trusted_proxy_count=env_int(env, "WAITROOM_TRUSTED_PROXY_COUNT", 0),
            profile_ttl_seconds=env_int(env, "WAITROOM_PROFILE_TTL_SECONDS", 24 * 3600, minimum=60),
            clock_leeway_seconds=env_int(
                env, "WAITROOM_CLOCK_LEEWAY_SECONDS", DEFAULT_CLOCK_LEEWAY_SECONDS
            ),
            session_max_seconds=env_int(
                env, "WAITROOM_SESSION_MAX_SECONDS", DEFAULT_SESSION_MAX_SECONDS, minimum=1
            ),
            protection=ProtectionSettings.from_environ(env),
            server_limits=ServerLimits.from_environ(env),
            mail=MailSettings.from_environ(env),
            mail_poll_seconds=env_float(env, "WAITROOM_MAIL_POLL_SECONDS", 1.0, minimum=0.05),
            waitlist_offer_seconds=env_int(
                env, "WAITROOM_WAITLIST_OFFER_SECONDS", 30 * 60, minimum=1
            ),
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
