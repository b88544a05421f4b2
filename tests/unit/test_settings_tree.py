"""The settings tree and its one reader (service_kit/settings_tree.py): every variable of both
apps, the connector and the CLI is declared once, read by one reader that applies the default
and refuses a bad value with one line naming the variable."""

from __future__ import annotations

from typing import Any

import pytest

from sale_backend.settings import ShopSettings
from service_kit.errors import SettingsError
from service_kit.settings_tree import Variable, read_settings, variables
from service_kit.shared_settings import without_password
from waitroom.connector.settings import ConnectorSettings
from waitroom.demo import demo_settings
from waitroom.settings import Settings
from waitroom.settings_reference import SECTIONS

KEYS = "0123456789abcdef-key"
VALID = {"WAITROOM_SECRET_KEYS": KEYS, "REDIS_URL": "redis://127.0.0.1:6379/0"}
"""What the shop and the connector need besides the defaults."""


def tree() -> list[tuple[type[Any], Variable[Any]]]:
    return [
        (settings_class, variable)
        for settings_class in SECTIONS.values()
        for variable in variables(settings_class)
    ]


TREE = tree()


def test_every_variable_is_declared_once() -> None:
    by_name: dict[str, Variable[Any]] = {}
    for _, variable in TREE:
        assert by_name.setdefault(variable.name, variable) is variable, variable.name
        assert variable.help and variable.name.isupper(), variable.name
    names = set(by_name)
    assert {"REDIS_URL", "WAITROOM_SECRET_KEYS", "WAITROOM_JOIN_LIMIT_PER_IP"} <= names
    assert {"WAITROOM_SALE_REDIS_URL", "WAITROOM_STAFF_TOKEN", "WAITROOM_URL"} <= names
    assert all(name == "REDIS_URL" or name.startswith("WAITROOM_") for name in names)


def test_unset_and_empty_values_take_the_default() -> None:
    empty = {variable.name: "  " for _, variable in TREE} | VALID
    for environ in (VALID, empty):
        settings = Settings.from_environ(environ)
        assert settings.pass_ttl_seconds == 900 and settings.protection.join_limit_per_ip
        assert settings.server_limits.max_request_head_bytes == 32 * 1024
        shop = ShopSettings.from_environ(environ)
        assert shop.hold_ttl_seconds == 600 and shop.queue_url == "/q/demo"
        assert shop.sale_redis_url == VALID["REDIS_URL"]  # the sale Redis defaults to REDIS_URL


@pytest.mark.parametrize(
    ("settings_class", "variable"), TREE, ids=[f"{c.__name__}-{v.name}" for c, v in TREE]
)
def test_garbage_is_refused_naming_the_variable(
    settings_class: type[Any], variable: Variable[Any]
) -> None:
    environ = {**VALID, variable.name: variable.cast.garbage}
    with pytest.raises(SettingsError) as refused:
        read_settings(settings_class, environ)
    message = str(refused.value)
    assert refused.value.name == variable.name and message.startswith(variable.name)
    assert "\n" not in message
    if variable.secret:
        assert variable.cast.garbage not in message and "<hidden>" in message


IN_ORDER = {
    ("WAITROOM_POLL_INTERVAL_MIN_MS", "maximum"): {"WAITROOM_POLL_INTERVAL_MAX_MS": "3600000"},
    ("WAITROOM_POLL_INTERVAL_MAX_MS", "minimum"): {"WAITROOM_POLL_INTERVAL_MIN_MS": "200"},
}
NUMBERS = [
    (settings_class, variable, bound)
    for settings_class, variable in TREE
    for bound in ("minimum", "maximum")
    if getattr(variable, bound) is not None
]


@pytest.mark.parametrize(
    ("settings_class", "variable", "bound"),
    NUMBERS,
    ids=[f"{v.name}-{b}" for _, v, b in NUMBERS],
)
def test_numbers_out_of_bounds_are_refused(
    settings_class: type[Any], variable: Variable[Any], bound: str
) -> None:
    edge = getattr(variable, bound)
    outside = edge - 1 if bound == "minimum" else edge + 1
    # the poll intervals are also checked against each other
    partner = IN_ORDER.get((variable.name, bound), {})
    inside = read_settings(settings_class, {**VALID, **partner, variable.name: str(edge)})
    assert inside is not None
    with pytest.raises(SettingsError, match=rf"^{variable.name}=.*must be [<>]="):
        read_settings(settings_class, {**VALID, **partner, variable.name: str(outside)})


def test_typed_values_are_cast() -> None:
    settings = Settings.from_environ(
        {
            "WAITROOM_QUEUE_VIEW_REFRESH_SECONDS": "0.25",
            "WAITROOM_COOKIE_SECURE": "yes",
            "WAITROOM_JOIN_LIMIT_PER_IP": "off",
            "WAITROOM_JOIN_LIMIT_EXEMPT_NETWORKS": "10.0.0.0/8, 192.0.2.7",
            "WAITROOM_SECRET_KEYS": f"{KEYS}-old, {KEYS}-new",
            "WAITROOM_PUBLIC_BASE_URL": "https://queue.example.com/",
        }
    )
    assert settings.queue_view_refresh_seconds == 0.25 and settings.cookie_secure is True
    assert settings.protection.join_limit_per_ip == ""
    assert settings.protection.join_limit_exempt_networks == ("10.0.0.0/8", "192.0.2.7")
    assert settings.secret_keys == (f"{KEYS}-old", f"{KEYS}-new")
    assert not settings.secret_keys_generated and settings.admin_token_generated
    assert settings.public_base_url == "https://queue.example.com"
    none = Settings.from_environ({"WAITROOM_JOIN_LIMIT_EXEMPT_NETWORKS": "none"})
    assert none.protection.join_limit_exempt_networks == ()


def test_the_poll_intervals_must_be_in_order() -> None:
    with pytest.raises(SettingsError, match="WAITROOM_POLL_INTERVAL_MAX_MS='1000'"):
        Settings.from_environ(
            {"WAITROOM_POLL_INTERVAL_MIN_MS": "2000", "WAITROOM_POLL_INTERVAL_MAX_MS": "1000"}
        )


def test_the_shop_reads_only_its_own_settings() -> None:
    shop = ShopSettings.from_environ(
        {
            "WAITROOM_SECRET_KEYS": KEYS,
            "WAITROOM_SALE_REDIS_URL": "redis://sale:6380/0",
            "REDIS_URL": "redis://queue:6379/0",
            "WAITROOM_SHOP_QUEUE_ID": "spring-tour",
            "WAITROOM_SALE_REDIS_MAX_CONNECTIONS": "16",
            "WAITROOM_ADMIN_TOKEN": "x",  # the waiting room's: not read, so not refused
        }
    )
    assert shop.sale_redis_url == "redis://sale:6380/0"
    assert shop.queue_url == "/q/spring-tour" and shop.sale_redis_max_connections == 16
    assert shop.staff_token_generated and len(shop.staff_token) >= 16
    assert shop.secret_keys == (KEYS,) and shop.connector.api_url == ""
    with pytest.raises(SettingsError, match="WAITROOM_CONNECTOR_URL"):
        shop.connector.require_api_url()
    with pytest.raises(SettingsError, match=r"^WAITROOM_SECRET_KEYS is not set"):
        ShopSettings.from_environ({"REDIS_URL": "redis://queue:6379/0"})


def test_the_connector_reaches_the_origin_of_an_absolute_queue_url() -> None:
    connector = ConnectorSettings.from_environ(
        {"WAITROOM_SECRET_KEYS": KEYS, "WAITROOM_SHOP_QUEUE_URL": "https://q.example.com/q/x"}
    )
    assert connector.api_url == "https://q.example.com"


def test_a_redis_password_never_shows_in_a_refusal() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({"REDIS_URL": "redis+cluster://user:s3cret@host/2"})
    assert "s3cret" not in str(refused.value) and "user:***@host" in str(refused.value)
    assert without_password("redis://:pw@host:6379/0") == "redis://:***@host:6379/0"


def test_both_apps_answer_one_metrics_token() -> None:
    """Prometheus scrapes both apps with ``WAITROOM_METRICS_TOKEN``; unset, the demo's one
    process generates one token and its shop answers it too."""
    token = "prometheus-token-0123456789"
    settings = Settings.from_environ({**VALID, "WAITROOM_METRICS_TOKEN": token})
    shop = ShopSettings.from_environ({**VALID, "WAITROOM_METRICS_TOKEN": token})
    assert settings.metrics_token == shop.metrics_token == token
    assert not settings.metrics_token_generated and not shop.metrics_token_generated
    generated, demo_shop = demo_settings({"REDIS_URL": VALID["REDIS_URL"]})
    assert generated.metrics_token_generated and len(generated.metrics_token) >= 16
    assert demo_shop.metrics_token == generated.metrics_token
    with pytest.raises(SettingsError, match=r"^WAITROOM_METRICS_TOKEN='<hidden>': needs 16\+"):
        Settings.from_environ({"WAITROOM_METRICS_TOKEN": "short"})
