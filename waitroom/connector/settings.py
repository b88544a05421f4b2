"""What a protected site needs to know: :class:`ConnectorSettings`, from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from service_kit.environment import (
    env_bool,
    env_float,
    env_int,
    env_secret_keys,
)
from service_kit.errors import SettingsError
from waitroom.connector.signing import DEFAULT_CLOCK_LEEWAY_SECONDS

DEFAULT_PASS_TTL_SECONDS = 15 * 60
DEFAULT_SESSION_MAX_SECONDS = 3600
DEFAULT_SESSION_CHECK_SECONDS = 2.0
DEFAULT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ConnectorSettings:
    secret_keys: tuple[str, ...]
    """The waiting room's ``WAITROOM_SECRET_KEYS`` (newest last)."""
    queue_id: str
    queue_url: str
    """The queue page fans are sent to (absolute, or a path on the same host)."""
    connector_url: str
    """The waiting room's base URL for the connector API ("" with an in-process transport)."""
    clock_leeway_seconds: int = DEFAULT_CLOCK_LEEWAY_SECONDS
    pass_ttl_seconds: int = DEFAULT_PASS_TTL_SECONDS
    session_max_seconds: int = DEFAULT_SESSION_MAX_SECONDS
    session_check_seconds: float = DEFAULT_SESSION_CHECK_SECONDS
    cookie_secure: bool | None = None
    """None: Secure when the request came over https."""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, secret_keys: tuple[str, ...] = ()
    ) -> ConnectorSettings:
        """``WAITROOM_SECRET_KEYS``, ``WAITROOM_SHOP_QUEUE_ID``, ``WAITROOM_SHOP_QUEUE_URL``,
        ``WAITROOM_CONNECTOR_URL`` (default: the origin of the queue URL),
        ``WAITROOM_CLOCK_LEEWAY_SECONDS``, ``WAITROOM_PASS_TTL_SECONDS``,
        ``WAITROOM_SESSION_MAX_SECONDS``, ``WAITROOM_SESSION_CHECK_SECONDS``,
        ``WAITROOM_COOKIE_SECURE``, ``WAITROOM_CONNECTOR_TIMEOUT_SECONDS``. ``secret_keys``
        are used when the environment has none (a process that generated its own)."""
        env = os.environ if environ is None else environ
        keys = env_secret_keys(env) or secret_keys
        if not keys:
            raise SettingsError(
                "WAITROOM_SECRET_KEYS", "", "a protected site needs the waiting room's keys"
            )
        queue_id = env.get("WAITROOM_SHOP_QUEUE_ID", "").strip() or "demo"
        queue_url = env.get("WAITROOM_SHOP_QUEUE_URL", "").strip() or f"/q/{queue_id}"
        connector_url = env.get("WAITROOM_CONNECTOR_URL", "").strip().rstrip("/")
        if not connector_url:
            connector_url = origin_of(queue_url)
        return cls(
            secret_keys=keys,
            queue_id=queue_id,
            queue_url=queue_url,
            connector_url=connector_url,
            clock_leeway_seconds=env_int(
                env, "WAITROOM_CLOCK_LEEWAY_SECONDS", DEFAULT_CLOCK_LEEWAY_SECONDS
            ),
            pass_ttl_seconds=env_int(
                env, "WAITROOM_PASS_TTL_SECONDS", DEFAULT_PASS_TTL_SECONDS, minimum=1
            ),
            session_max_seconds=env_int(
                env, "WAITROOM_SESSION_MAX_SECONDS", DEFAULT_SESSION_MAX_SECONDS, minimum=1
            ),
            session_check_seconds=env_float(
                env, "WAITROOM_SESSION_CHECK_SECONDS", DEFAULT_SESSION_CHECK_SECONDS, minimum=0.0
            ),
            cookie_secure=env_bool(env, "WAITROOM_COOKIE_SECURE", None),
            timeout_seconds=env_float(
                env, "WAITROOM_CONNECTOR_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS, minimum=0.1
            ),
        )

    def with_overrides(self, **changes: object) -> ConnectorSettings:
        return replace(self, **changes)  # type: ignore[arg-type]


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL; "" for a path."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"
