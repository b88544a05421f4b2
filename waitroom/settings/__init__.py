"""The waiting room's settings: ``WAITROOM_*`` environment variables (and ``REDIS_URL``), read by
the one settings reader (:mod:`service_kit.settings_tree`). Every variable, its default and its
bounds are declared once; docs/operations.md lists them all (``waitroom settings``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from service_kit.errors import SettingsError
from service_kit.mail import MAIL_POLL, MailSettings
from service_kit.redis_client import REDIS_MAX_CONNECTIONS, REDIS_POOL_TIMEOUT, REDIS_URL
from service_kit.server_limits import ServerLimits
from service_kit.settings_tree import INTEGER, NUMBER, Variable, group, read_settings
from service_kit.shared_settings import (
    COOKIE_SECURE,
    HTTP_URL,
    METRICS_TOKEN,
    SECRET_KEYS,
    TOKEN,
    TRUSTED_PROXY_COUNT,
    generate_secret,
)
from waitroom.connector.settings import (
    CLOCK_LEEWAY,
    CONNECTOR_RETRY_AFTER,
    PASS_TTL,
    SESSION_MAX,
)
from waitroom.settings.protection import ProtectionSettings

__all__ = ["ADMIN_TOKEN", "Settings"]


ADMIN_TOKEN: Variable[str] = Variable(
    "WAITROOM_ADMIN_TOKEN",
    TOKEN,
    "",
    "The organizers' bearer token (admin API, dashboard login, `waitroom queue ...`)",
    secret=True,
    default_text="generated and printed at start",
)
POSITION_TOKEN_MAX_AGE: Variable[int] = Variable(
    "WAITROOM_POSITION_TOKEN_MAX_AGE_SECONDS",
    INTEGER,
    2 * 24 * 3600,
    "How long a fan's position token (their place) stays valid",
    minimum=60,
    maximum=365 * 24 * 3600,
)
QUEUE_VIEW_REFRESH: Variable[float] = Variable(
    "WAITROOM_QUEUE_VIEW_REFRESH_SECONDS",
    NUMBER,
    0.5,
    "How often each process reads a queue's state from Redis (status polls use the cached view)",
    minimum=0.05,
    maximum=60,
)
POLL_INTERVAL_MIN: Variable[int] = Variable(
    "WAITROOM_POLL_INTERVAL_MIN_MS",
    INTEGER,
    2000,
    "Shortest interval between a queue page's status polls (near the front)",
    minimum=200,
    maximum=3_600_000,
)
POLL_INTERVAL_MAX: Variable[int] = Variable(
    "WAITROOM_POLL_INTERVAL_MAX_MS",
    INTEGER,
    10000,
    "Longest interval between status polls (far back); at least the shortest",
    minimum=200,
    maximum=3_600_000,
)
DEFAULT_BURST: Variable[int] = Variable(
    "WAITROOM_DEFAULT_BURST",
    INTEGER,
    10,
    "How far the serving pointer may run ahead of the tail when a queue sets no `burst`",
    minimum=1,
    maximum=1_000_000,
)
PUBLIC_BASE_URL: Variable[str] = Variable(
    "WAITROOM_PUBLIC_BASE_URL",
    HTTP_URL,
    "",
    "The waiting room's public address (where the reverse-proxy connector sends fans; the "
    "links in e-mails)",
    default_text="unset (paths on the request's host)",
)
PROFILE_TTL: Variable[int] = Variable(
    "WAITROOM_PROFILE_TTL_SECONDS",
    INTEGER,
    24 * 3600,
    "How long a fan's pre-checkout profile is kept",
    minimum=60,
    maximum=365 * 24 * 3600,
)
AUTOTUNE_INTERVAL: Variable[float] = Variable(
    "WAITROOM_AUTOTUNE_INTERVAL_SECONDS",
    NUMBER,
    5.0,
    "How often autotune decides the rate of a queue it drives (one decision per interval over "
    "all processes)",
    minimum=0.2,
    maximum=3600,
)
WAITLIST_OFFER: Variable[int] = Variable(
    "WAITROOM_WAITLIST_OFFER_SECONDS",
    INTEGER,
    30 * 60,
    "How long a waiting-list offer (its pass) stands before the ticket goes to the next fan",
    minimum=1,
    maximum=7 * 24 * 3600,
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a waitroom process needs to know; build with :meth:`from_environ`.

    An unset admin token, metrics token or secret key list is generated on construction (and
    marked so: ``waitroom serve`` prints the tokens and shares them and the keys with its
    workers)."""

    redis_url: str | None = REDIS_URL.field()
    redis_max_connections: int = REDIS_MAX_CONNECTIONS.field()
    redis_pool_timeout_seconds: float = REDIS_POOL_TIMEOUT.field()
    admin_token: str = ADMIN_TOKEN.field()
    admin_token_generated: bool = field(default=False, compare=False)
    metrics_token: str = METRICS_TOKEN.field()
    """Bearer token Prometheus sends to ``/metrics`` of both apps."""
    metrics_token_generated: bool = field(default=False, compare=False)
    secret_keys: tuple[str, ...] = SECRET_KEYS.field()
    secret_keys_generated: bool = field(default=False, compare=False)
    position_token_max_age_seconds: int = POSITION_TOKEN_MAX_AGE.field()
    pass_ttl_seconds: int = PASS_TTL.field()
    queue_view_refresh_seconds: float = QUEUE_VIEW_REFRESH.field()
    poll_interval_min_ms: int = POLL_INTERVAL_MIN.field()
    poll_interval_max_ms: int = POLL_INTERVAL_MAX.field()
    default_burst: int = DEFAULT_BURST.field()
    public_base_url: str = PUBLIC_BASE_URL.field()
    cookie_secure: bool | None = COOKIE_SECURE.field()
    trusted_proxy_count: int = TRUSTED_PROXY_COUNT.field()
    profile_ttl_seconds: int = PROFILE_TTL.field()
    clock_leeway_seconds: int = CLOCK_LEEWAY.field()
    """Accepted clock difference for passes, position tokens and site sessions."""
    session_max_seconds: int = SESSION_MAX.field()
    """The longest a site session may last after its claim (extensions stop there)."""
    connector_retry_after_seconds: int = CONNECTOR_RETRY_AFTER.field()
    """``Retry-After`` of the reverse-proxy connector's answers at the site."""
    autotune_interval_seconds: float = AUTOTUNE_INTERVAL.field()
    """How often autotune decides a queue's rate (one decision per interval over all
    processes)."""
    mail_poll_seconds: float = MAIL_POLL.field()
    waitlist_offer_seconds: int = WAITLIST_OFFER.field()
    protection: ProtectionSettings = group(ProtectionSettings)
    server_limits: ServerLimits = group(ServerLimits)
    mail: MailSettings = group(MailSettings)
    """SMTP (``WAITROOM_SMTP_*``); without a host nothing is sent and no page offers e-mail."""

    @property
    def mail_enabled(self) -> bool:
        """E-mail links need the waiting room's public address."""
        return self.mail.enabled and bool(self.public_base_url)

    def __post_init__(self) -> None:
        if not self.admin_token:
            object.__setattr__(self, "admin_token", generate_secret())
            object.__setattr__(self, "admin_token_generated", True)
        if not self.metrics_token:
            object.__setattr__(self, "metrics_token", generate_secret())
            object.__setattr__(self, "metrics_token_generated", True)
        if not self.secret_keys:
            object.__setattr__(self, "secret_keys", (generate_secret(),))
            object.__setattr__(self, "secret_keys_generated", True)
        if self.poll_interval_max_ms < self.poll_interval_min_ms:
            raise SettingsError(
                POLL_INTERVAL_MAX.name,
                str(self.poll_interval_max_ms),
                f"must be >= {POLL_INTERVAL_MIN.name} ({self.poll_interval_min_ms})",
            )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Every variable of the waiting room (docs/operations.md); raises SettingsError."""
        return read_settings(cls, environ)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
