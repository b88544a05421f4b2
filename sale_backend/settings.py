"""The shop's own settings: its Redis, its staff token, its timings, the connector to the waiting
room (``WAITROOM_SALE_*``, ``WAITROOM_STAFF_TOKEN``, the connector's and the shared variables),
read by the one settings reader (:mod:`service_kit.settings_tree`). The shop reads nothing of
the waiting room's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from service_kit.mail import MAIL_POLL, MailSettings
from service_kit.redis_client import REDIS_URL, REDIS_URL_CAST
from service_kit.server_limits import ServerLimits
from service_kit.settings_tree import INTEGER, NUMBER, Variable, group, read_settings
from service_kit.shared_settings import (
    HTTP_URL,
    METRICS_TOKEN,
    REDIS_RETRY_AFTER,
    TOKEN,
    TRUSTED_PROXY_COUNT,
    generate_secret,
)
from waitroom.connector import ConnectorSettings

SALE_REDIS_URL: Variable[str | None] = Variable(
    "WAITROOM_SALE_REDIS_URL",
    REDIS_URL_CAST,
    None,
    "The shop's Redis (orders, stock; run it with `appendfsync always`)",
    default_text="unset: REDIS_URL",
    aliases=(REDIS_URL.name, *REDIS_URL.aliases),
)
STAFF_TOKEN: Variable[str] = Variable(
    "WAITROOM_STAFF_TOKEN",
    TOKEN,
    "",
    "The shop staff's bearer token (door scanners, refunds, event definitions)",
    secret=True,
    default_text="generated and printed at start",
)
HOLD_TTL: Variable[int] = Variable(
    "WAITROOM_SALE_HOLD_TTL_SECONDS",
    INTEGER,
    600,
    "How long a cart (hold) keeps its tickets before they go back to stock",
    minimum=1,
    maximum=24 * 3600,
)
PAYMENT_TIMEOUT: Variable[float] = Variable(
    "WAITROOM_SALE_PAYMENT_TIMEOUT_SECONDS",
    NUMBER,
    10.0,
    "How long a checkout waits for the payment provider before asking it what happened",
    minimum=0.1,
    maximum=600,
)
RECONCILE_AFTER: Variable[float] = Variable(
    "WAITROOM_SALE_RECONCILE_AFTER_SECONDS",
    NUMBER,
    60.0,
    "Age after which an unfinished payment is settled by the reconciler",
    minimum=0.1,
    maximum=24 * 3600,
)
STOCK_REPORT: Variable[float] = Variable(
    "WAITROOM_SALE_STOCK_REPORT_SECONDS",
    NUMBER,
    5.0,
    "Every event's stock is reported to the waiting room again this often (retries)",
    minimum=0.1,
    maximum=3600,
)
SWEEP_INTERVAL: Variable[float] = Variable(
    "WAITROOM_SALE_SWEEP_INTERVAL_SECONDS",
    NUMBER,
    1.0,
    "How often expired holds are swept back to stock",
    minimum=0.05,
    maximum=3600,
)
IDEMPOTENCY_TTL: Variable[int] = Variable(
    "WAITROOM_SALE_IDEMPOTENCY_TTL_SECONDS",
    INTEGER,
    24 * 3600,
    "How long a checkout's Idempotency-Key replays its first answer",
    minimum=60,
    maximum=30 * 24 * 3600,
)
SALE_REDIS_MAX_CONNECTIONS: Variable[int] = Variable(
    "WAITROOM_SALE_REDIS_MAX_CONNECTIONS",
    INTEGER,
    64,
    "Connections to the shop's Redis per process; a burst of checkouts waits for a free one",
    minimum=1,
    maximum=10_000,
)
SALE_REDIS_POOL_TIMEOUT: Variable[float] = Variable(
    "WAITROOM_SALE_REDIS_POOL_TIMEOUT_SECONDS",
    NUMBER,
    10.0,
    "How long a request waits for a free connection to the shop's Redis before failing",
    minimum=0.1,
    maximum=600,
)
HEALTH_REPORT: Variable[float] = Variable(
    "WAITROOM_SALE_HEALTH_REPORT_SECONDS",
    NUMBER,
    5.0,
    "How often each shop process reports its checkout and hold latency and errors to the "
    "waiting room (autotune's measure of the site's health)",
    minimum=0.1,
    maximum=3600,
)
HEALTH_WINDOW: Variable[float] = Variable(
    "WAITROOM_SALE_HEALTH_WINDOW_SECONDS",
    NUMBER,
    30.0,
    "The recent window those health figures cover",
    minimum=0.1,
    maximum=3600,
)
TEST_PAYMENT_DELAY: Variable[float] = Variable(
    "WAITROOM_SALE_TEST_PAYMENT_DELAY_SECONDS",
    NUMBER,
    0.0,
    "The test payment provider answers every charge this much later (a slow bank, to try "
    "autotune and load tests against a shop in trouble); 0 in production",
    minimum=0,
    maximum=3600,
)
SHOP_PUBLIC_URL: Variable[str] = Variable(
    "WAITROOM_SHOP_PUBLIC_URL",
    HTTP_URL,
    "",
    "The shop's public address (the order links of ticket e-mails; tickets are e-mailed when "
    "it and `WAITROOM_SMTP_HOST` are set)",
    default_text="unset (the demo: the waiting room's public address + /shop)",
)


@dataclass(frozen=True, slots=True)
class ShopSettings:
    """Everything the shop needs; build with :meth:`from_environ`. An unset staff or metrics
    token is generated on construction (and marked so)."""

    connector: ConnectorSettings = group(ConnectorSettings)
    """The waiting room's keys, the queue, its URLs and the session timings."""
    sale_redis_url: str | None = SALE_REDIS_URL.field()
    """None until the process has a Redis (the demo starts an embedded one)."""
    staff_token: str = STAFF_TOKEN.field()
    staff_token_generated: bool = field(default=False, compare=False)
    metrics_token: str = METRICS_TOKEN.field()
    """Bearer token Prometheus sends to ``/metrics`` (the waiting room's too)."""
    metrics_token_generated: bool = field(default=False, compare=False)
    hold_ttl_seconds: int = HOLD_TTL.field()
    payment_timeout_seconds: float = PAYMENT_TIMEOUT.field()
    reconcile_after_seconds: float = RECONCILE_AFTER.field()
    sweep_interval_seconds: float = SWEEP_INTERVAL.field()
    idempotency_ttl_seconds: int = IDEMPOTENCY_TTL.field()
    stock_report_seconds: float = STOCK_REPORT.field()
    health_report_seconds: float = HEALTH_REPORT.field()
    """How often this process reports its checkout and hold latency and errors (autotune)."""
    health_window_seconds: float = HEALTH_WINDOW.field()
    """The recent window those figures cover."""
    test_payment_delay_seconds: float = TEST_PAYMENT_DELAY.field()
    """The test payment provider answers every charge this much later; 0 in production."""
    sale_redis_max_connections: int = SALE_REDIS_MAX_CONNECTIONS.field()
    sale_redis_pool_timeout_seconds: float = SALE_REDIS_POOL_TIMEOUT.field()
    redis_retry_after_seconds: int = REDIS_RETRY_AFTER.field()
    trusted_proxy_count: int = TRUSTED_PROXY_COUNT.field()
    server_limits: ServerLimits = group(ServerLimits)
    public_url: str = SHOP_PUBLIC_URL.field()
    mail_poll_seconds: float = MAIL_POLL.field()
    mail: MailSettings = group(MailSettings)

    @property
    def mail_enabled(self) -> bool:
        """Ticket e-mails need SMTP and the shop's public address (for the order links)."""
        return self.mail.enabled and bool(self.public_url)

    def __post_init__(self) -> None:
        if not self.staff_token:
            object.__setattr__(self, "staff_token", generate_secret())
            object.__setattr__(self, "staff_token_generated", True)
        if not self.metrics_token:
            object.__setattr__(self, "metrics_token", generate_secret())
            object.__setattr__(self, "metrics_token_generated", True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ShopSettings:
        """Every variable of the shop (docs/operations.md); raises SettingsError."""
        return read_settings(cls, environ)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        return self.connector.secret_keys

    @property
    def cookie_secure(self) -> bool | None:
        return self.connector.cookie_secure

    @property
    def queue_id(self) -> str:
        return self.connector.queue_id

    @property
    def queue_url(self) -> str:
        return self.connector.queue_url

    def with_overrides(self, **changes: object) -> ShopSettings:
        return replace(self, **changes)  # type: ignore[arg-type]
