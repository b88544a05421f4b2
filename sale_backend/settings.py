"""Shop settings: the waiting room's :class:`Settings` plus ``WAITROOM_SALE_*`` / staff values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from waitroom.connector import ConnectorSettings
from waitroom.settings import Settings, SettingsError, generate_secret


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, raw, "not an integer") from None
    if value < 1:
        raise SettingsError(name, raw, "must be >= 1")
    return value


def _positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, raw, "not a number") from None
    if value <= 0:
        raise SettingsError(name, raw, "must be > 0")
    return value


@dataclass(frozen=True, slots=True)
class ShopSettings:
    """Everything the shop needs beyond the waiting room's settings."""

    base: Settings
    sale_redis_url: str
    queue_id: str = "demo"
    queue_url: str = "/q/demo"
    staff_token: str = field(default_factory=generate_secret)
    staff_token_generated: bool = True
    hold_ttl_seconds: int = 600
    payment_timeout_seconds: float = 10.0
    reconcile_after_seconds: float = 60.0
    sweep_interval_seconds: float = 1.0
    idempotency_ttl_seconds: int = 24 * 3600
    connector_url: str = ""
    """The waiting room's base URL for the connector API; "" = the origin of ``queue_url``
    (or, with a path queue URL, an in-process transport such as the demo's)."""
    session_check_seconds: float = 2.0
    stock_report_seconds: float = 5.0
    """Every event's stock is reported to the waiting room again this often (retries)."""
    public_url: str = ""
    """The shop's public address (``WAITROOM_SHOP_PUBLIC_URL``, e.g. ``https://shop.example``):
    the order links in ticket e-mails. Tickets are e-mailed when it and SMTP are set."""

    @property
    def mail_enabled(self) -> bool:
        return self.base.mail.enabled and bool(self.public_url)

    @classmethod
    def from_settings(
        cls, base: Settings, environ: Mapping[str, str] | None = None
    ) -> ShopSettings:
        env = os.environ if environ is None else environ
        if base.redis_url is None and not env.get("WAITROOM_SALE_REDIS_URL"):
            raise SettingsError("REDIS_URL", "", "the shop needs REDIS_URL or a sale Redis URL")
        sale_redis_url = env.get("WAITROOM_SALE_REDIS_URL") or str(base.redis_url)
        connector = ConnectorSettings.from_environ(env, secret_keys=base.secret_keys)
        staff_token = env.get("WAITROOM_STAFF_TOKEN", "").strip()
        if staff_token and len(staff_token) < 16:
            raise SettingsError("WAITROOM_STAFF_TOKEN", "<hidden>", "needs 16+ chars")
        settings = cls(
            base=base,
            sale_redis_url=sale_redis_url,
            queue_id=connector.queue_id,
            queue_url=connector.queue_url,
            connector_url=connector.connector_url,
            session_check_seconds=connector.session_check_seconds,
            hold_ttl_seconds=_positive_int(env, "WAITROOM_SALE_HOLD_TTL_SECONDS", 600),
            payment_timeout_seconds=_positive_float(
                env, "WAITROOM_SALE_PAYMENT_TIMEOUT_SECONDS", 10.0
            ),
            reconcile_after_seconds=_positive_float(
                env, "WAITROOM_SALE_RECONCILE_AFTER_SECONDS", 60.0
            ),
            stock_report_seconds=_positive_float(env, "WAITROOM_SALE_STOCK_REPORT_SECONDS", 5.0),
            public_url=env.get("WAITROOM_SHOP_PUBLIC_URL", "").strip().rstrip("/"),
        )
        if staff_token:
            settings = settings.with_overrides(staff_token=staff_token, staff_token_generated=False)
        return settings

    def connector_settings(self) -> ConnectorSettings:
        """The connector's settings: this shop's queue, the waiting room's keys and times."""
        base = self.base
        return ConnectorSettings(
            secret_keys=base.secret_keys,
            queue_id=self.queue_id,
            queue_url=self.queue_url,
            connector_url=self.connector_url,
            clock_leeway_seconds=base.clock_leeway_seconds,
            pass_ttl_seconds=base.pass_ttl_seconds,
            session_max_seconds=base.session_max_seconds,
            session_check_seconds=self.session_check_seconds,
            cookie_secure=base.cookie_secure,
        )

    def with_overrides(self, **changes: object) -> ShopSettings:
        from dataclasses import replace

        return replace(self, **changes)  # type: ignore[arg-type]
