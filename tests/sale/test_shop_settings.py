"""Shop settings from the environment."""

from __future__ import annotations

import pytest

from sale_backend.settings import ShopSettings
from waitroom.settings import Settings, SettingsError


def test_sale_redis_defaults_to_redis_url_and_can_be_separate() -> None:
    base = Settings.from_environ({"REDIS_URL": "redis://queue:6379/0"})
    shared = ShopSettings.from_settings(base, {})
    assert shared.sale_redis_url == "redis://queue:6379/0"
    assert shared.staff_token_generated and len(shared.staff_token) >= 16
    separate = ShopSettings.from_settings(
        base,
        {
            "WAITROOM_SALE_REDIS_URL": "redis://sale:6380/0",
            "WAITROOM_STAFF_TOKEN": "staff-token-0123456789",
            "WAITROOM_SHOP_QUEUE_ID": "spring-tour",
            "WAITROOM_SALE_HOLD_TTL_SECONDS": "300",
        },
    )
    assert separate.sale_redis_url == "redis://sale:6380/0"
    assert separate.staff_token == "staff-token-0123456789" and not separate.staff_token_generated
    assert separate.queue_url == "/q/spring-tour" and separate.hold_ttl_seconds == 300


@pytest.mark.parametrize(
    "environ",
    [
        {"WAITROOM_STAFF_TOKEN": "short"},
        {"WAITROOM_SALE_HOLD_TTL_SECONDS": "0"},
        {"WAITROOM_SALE_HOLD_TTL_SECONDS": "ten"},
        {"WAITROOM_SALE_PAYMENT_TIMEOUT_SECONDS": "-1"},
    ],
)
def test_bad_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        ShopSettings.from_settings(Settings.from_environ({"REDIS_URL": "redis://x:1/0"}), environ)


def test_no_redis_at_all_is_refused() -> None:
    with pytest.raises(SettingsError):
        ShopSettings.from_settings(Settings.from_environ({}), {})
