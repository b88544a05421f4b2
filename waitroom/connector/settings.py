"""What a protected site needs to know: :class:`ConnectorSettings`, read from the environment
by the one settings reader (:mod:`service_kit.settings_tree`) like every other setting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from service_kit.errors import SettingsError
from service_kit.settings_tree import INTEGER, NUMBER, Cast, Variable, read_settings
from service_kit.shared_settings import COOKIE_SECURE, HTTP_URL, SECRET_KEYS
from waitroom.connector.queue_ids import is_valid_queue_id
from waitroom.connector.signing import DEFAULT_CLOCK_LEEWAY_SECONDS


def _queue_id(raw: str) -> str:
    if not is_valid_queue_id(raw):
        raise ValueError("a queue id is a lowercase letter or digit, then up to 63 a-z 0-9 _ -")
    return raw


def _queue_url(raw: str) -> str:
    parts = urlsplit(raw)
    if raw.startswith("/") and not raw.startswith("//"):
        return raw
    if parts.scheme in {"http", "https"} and parts.netloc:
        return raw
    raise ValueError("expected a path on this host (/q/demo) or an http(s) URL")


QUEUE_ID_CAST: Cast[str] = Cast("queue id", _queue_id, garbage="Not A Queue")
QUEUE_URL_CAST: Cast[str] = Cast("path or http(s) URL", _queue_url, garbage="queue.example.com")

QUEUE_ID: Variable[str] = Variable(
    "WAITROOM_SHOP_QUEUE_ID", QUEUE_ID_CAST, "demo", "The queue whose passes the site accepts"
)
QUEUE_URL: Variable[str] = Variable(
    "WAITROOM_SHOP_QUEUE_URL",
    QUEUE_URL_CAST,
    "",
    "The queue page fans are sent to: an http(s) URL, or a path on the site's own host",
    default_text="/q/<queue id>",
)
CONNECTOR_URL: Variable[str] = Variable(
    "WAITROOM_CONNECTOR_URL",
    HTTP_URL,
    "",
    "The waiting room's base URL for the connector API",
    default_text="the origin of the queue URL",
)
CLOCK_LEEWAY: Variable[int] = Variable(
    "WAITROOM_CLOCK_LEEWAY_SECONDS",
    INTEGER,
    DEFAULT_CLOCK_LEEWAY_SECONDS,
    "Accepted clock difference between hosts for passes, position tokens and site sessions",
    minimum=0,
    maximum=3600,
)
PASS_TTL: Variable[int] = Variable(
    "WAITROOM_PASS_TTL_SECONDS",
    INTEGER,
    15 * 60,
    "How long an admitted fan has to enter the site with the pass",
    minimum=1,
    maximum=7 * 24 * 3600,
)
SESSION_MAX: Variable[int] = Variable(
    "WAITROOM_SESSION_MAX_SECONDS",
    INTEGER,
    3600,
    "The longest a site session may last after its claim (extensions stop there)",
    minimum=1,
    maximum=7 * 24 * 3600,
)
SESSION_CHECK: Variable[float] = Variable(
    "WAITROOM_SESSION_CHECK_SECONDS",
    NUMBER,
    2.0,
    "How often a site re-checks a session at the waiting room (ended elsewhere, extended)",
    minimum=0,
    maximum=3600,
)
CONNECTOR_TIMEOUT: Variable[float] = Variable(
    "WAITROOM_CONNECTOR_TIMEOUT_SECONDS",
    NUMBER,
    5.0,
    "Timeout of the site's calls to the waiting room's connector API",
    minimum=0.1,
    maximum=600,
)
CONNECTOR_RETRY_AFTER: Variable[int] = Variable(
    "WAITROOM_CONNECTOR_RETRY_AFTER_SECONDS",
    INTEGER,
    2,
    "`Retry-After` of the site's answer while the waiting room cannot be reached",
    minimum=1,
    maximum=3600,
)


@dataclass(frozen=True, slots=True)
class ConnectorSettings:
    secret_keys: tuple[str, ...] = SECRET_KEYS.field()
    """The waiting room's ``WAITROOM_SECRET_KEYS`` (newest last); required."""
    queue_id: str = QUEUE_ID.field()
    queue_url: str = QUEUE_URL.field()
    """The queue page fans are sent to (absolute, or a path on the same host); "" on
    construction means ``/q/<queue_id>``."""
    connector_url: str = CONNECTOR_URL.field()
    """The waiting room's base URL for the connector API; "" = the origin of ``queue_url``
    (see :attr:`api_url`), or an in-process transport such as the demo's."""
    clock_leeway_seconds: int = CLOCK_LEEWAY.field()
    pass_ttl_seconds: int = PASS_TTL.field()
    session_max_seconds: int = SESSION_MAX.field()
    session_check_seconds: float = SESSION_CHECK.field()
    cookie_secure: bool | None = COOKIE_SECURE.field()
    """None: Secure when the request came over https."""
    timeout_seconds: float = CONNECTOR_TIMEOUT.field()
    retry_after_seconds: int = CONNECTOR_RETRY_AFTER.field()

    def __post_init__(self) -> None:
        if not self.secret_keys:
            raise SettingsError(
                SECRET_KEYS.name, "", "a protected site needs the waiting room's keys"
            )
        if not self.queue_url:
            object.__setattr__(self, "queue_url", f"/q/{self.queue_id}")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ConnectorSettings:
        """Every ``WAITROOM_*`` variable of the connector (docs/operations.md)."""
        return read_settings(cls, environ)

    @property
    def api_url(self) -> str:
        """The connector API's base URL: ``connector_url``, else the queue URL's origin ("" for
        a path queue URL: only an in-process transport reaches the waiting room then)."""
        return self.connector_url or origin_of(self.queue_url)

    def require_api_url(self) -> str:
        """:attr:`api_url`, refusing a site that could not reach the waiting room."""
        if not self.api_url:
            raise SettingsError(
                CONNECTOR_URL.name, "", "needed when the queue URL is a path on the site"
            )
        return self.api_url

    def with_overrides(self, **changes: object) -> ConnectorSettings:
        return replace(self, **changes)  # type: ignore[arg-type]


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL; "" for a path."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"
