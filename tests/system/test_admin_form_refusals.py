"""Bad values in every organizer form, over real HTTP: each is a 400 page that names the field
in the form's words, shows the organizer's draft again as typed, and changes nothing in Redis
(every key of the queue is byte for byte as before, and no queue is created)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
import redis as sync_redis

from tests.support.admin_support import dashboard_csrf, login
from tests.support.servers import ServerProcess
from waitroom.storage.keys import QueueKeys

CONTENT = {
    "s0-title": "Warm-up",
    "s0-kind": "survey",
    "s0-q0-text": "Where are you from?",
    "s0-q0-type": "single",
    "s0-q0-options": "Tallinn\nTartu",
    "s0-q0-required": "on",
    "u0-title": "Tour poster",
    "u0-link_url": "/shop/poster",
    "u0-price": "12.50",
    "u0-currency": "EUR",
}
AUTOTUNE = {
    "action": "autotune",
    "enabled": "on",
    "min_rate_per_minute": "10",
    "max_rate_per_minute": "600",
    "target_p95_ms": "800",
    "max_error_percent": "2",
}


CLOCK_COUNTERS = {b"last_ms", b"credit", b"hb_since_ms", b"hb_window_a", b"hb_window_b"}
"""The admission step's and the heartbeat windows' clocks: they move on their own."""


def _queue_state(client: sync_redis.Redis, queue_id: str) -> dict[bytes, object]:
    """Every key of the queue (its hash tag) with its serialized value (the counters without
    their clocks)."""
    keys = QueueKeys(queue_id)
    prefix = keys.config.rsplit(":", 1)[0]
    state: dict[bytes, object] = {}
    for key in sorted(client.scan_iter(match=f"{prefix}*", count=1000)):
        if key == keys.counters.encode():
            counters = client.hgetall(key)
            state[key] = {
                name: value for name, value in counters.items() if name not in CLOCK_COUNTERS
            }
        else:
            state[key] = client.dump(key)
    return state


def _typed(page: str, name: str) -> str:
    """The value of the input ``name`` as the page shows it."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    assert found is not None, name
    return html.unescape(found.group(1))


@pytest.fixture
def organizer(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> Iterator[tuple[httpx.Client, str]]:
    """A logged-in organizer with the dashboard's CSRF token, on a queue with content."""
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    created = httpx.put(admin, json={"rate_per_minute": 30, "name": "Forms"}, headers=admin_headers)
    assert created.status_code in {200, 201}, created.text
    with httpx.Client(base_url=base) as client:
        login(client, "rita")
        csrf = dashboard_csrf(client, unique_id)
        saved = client.post(
            f"/admin/queues/{unique_id}/content", data={**CONTENT, "csrf_token": csrf}
        )
        assert saved.status_code == 303, saved.text
        yield client, csrf


@pytest.mark.parametrize(
    ("fields", "message", "typed"),
    [
        (
            {"action": "settings", "rate_per_minute": "fast"},
            "admission rate: a whole number",
            ("rate_per_minute", "fast"),
        ),
        (
            {"action": "settings", "rate_per_minute": "-3"},
            "admission rate: a number of at least 0",
            ("rate_per_minute", "-3"),
        ),
        (
            {"action": "settings", "rate_per_minute": "5", "active_shopper_cap": "10000001"},
            "active-shopper cap: a number of at most 10000000",
            ("active_shopper_cap", "10000001"),
        ),
        (
            {"action": "settings", "rate_per_minute": ""},
            "admission rate: fill this in",
            ("active_shopper_cap", "0"),
        ),
        (
            {"action": "schedule", "opens_at_local": "next friday", "time_zone": "Europe/Riga"},
            "opening time: a date and time like 2026-05-01T10:00",
            ("opens_at_local", "next friday"),
        ),
        (
            {"action": "schedule", "opens_at_local": "2020-01-01T10:00", "time_zone": "UTC"},
            "opening time: Wed 1 Jan 2020, 10:00 (UTC) has passed",
            ("opens_at_local", "2020-01-01T10:00"),
        ),
        (
            {"action": "schedule", "opens_at_local": "2031-02-30T10:00"},
            "opening time: not a real date and time",
            ("opens_at_local", "2031-02-30T10:00"),
        ),
        (
            {"action": "pause", "pause_reason": "Back soon! " * 50},
            "pause reason: at most 500 characters",
            ("pause_reason", ("Back soon! " * 50)[:500]),
        ),
        (
            {**AUTOTUNE, "min_rate_per_minute": "0"},
            "autotune's lowest rate: a whole number of at least 1",
            ("min_rate_per_minute", "0"),
        ),
        (
            {**AUTOTUNE, "target_p95_ms": "a second"},
            "target p95 (ms): a whole number",
            ("target_p95_ms", "a second"),
        ),
        (
            {**AUTOTUNE, "max_error_percent": "lots"},
            "error limit (%): a percentage like 2 or 0.5",
            ("max_error_percent", "lots"),
        ),
        (
            {**AUTOTUNE, "max_error_percent": "150,5"},
            "error limit (%): a percentage 0..100",
            ("max_error_percent", "150,5"),
        ),
        (
            {**AUTOTUNE, "min_rate_per_minute": "700"},
            "the minimum rate cannot be above the maximum",
            ("min_rate_per_minute", "700"),
        ),
        (
            {"action": "code_create", "kind": "priority", "max_uses": "many", "label": "VIP"},
            "uses: a whole number",
            ("label", "VIP"),
        ),
        (
            {"action": "code_create", "kind": "gold", "max_uses": "2", "label": "VIP"},
            "kind: not one of the choices",
            ("max_uses", "2"),
        ),
        ({"action": "code_revoke"}, "code: fill this in", None),
        ({"action": "launch"}, "action: not one of the choices", None),
        ({}, "action: fill this in", None),
    ],
)
def test_a_bad_dashboard_form_is_named_kept_and_changes_nothing(
    organizer: tuple[httpx.Client, str],
    unique_id: str,
    sync_redis_client: sync_redis.Redis,
    fields: dict[str, str],
    message: str,
    typed: tuple[str, str] | None,
) -> None:
    client, csrf = organizer
    before = _queue_state(sync_redis_client, unique_id)
    refused = client.post(f"/admin/queues/{unique_id}", data={**fields, "csrf_token": csrf})
    assert refused.status_code == 400, refused.text
    page = html.unescape(refused.text)
    assert f"Not saved: {message}" in page
    if typed is not None:
        assert _typed(refused.text, typed[0]) == typed[1]
    assert _queue_state(sync_redis_client, unique_id) == before


def test_a_refused_autotune_form_keeps_its_checkbox(
    organizer: tuple[httpx.Client, str], unique_id: str
) -> None:
    client, csrf = organizer
    refused = client.post(
        f"/admin/queues/{unique_id}",
        data={**AUTOTUNE, "target_p95_ms": "0", "csrf_token": csrf},
    )
    assert refused.status_code == 400
    assert re.search(r'name="enabled" id="autotune-enabled" checked', refused.text)
    # the other forms show the stored values, not the refused draft
    assert _typed(refused.text, "rate_per_minute") == "30"


@pytest.mark.parametrize(
    ("fields", "message", "typed"),
    [
        (
            {"s0-q0-type": "text", "s0-q0-max_length": "lots"},
            "survey 1, question 1, longest answer: a whole number",
            ("s0-q0-max_length", "lots"),
        ),
        (
            {"s0-q0-type": "text", "s0-q0-max_length": "5000"},
            "survey 1, question 1, longest answer: a number of at most 1000",
            ("s0-q0-max_length", "5000"),
        ),
        (
            {"s0-q0-type": "essay"},
            "survey 1, question 1, answer type: not one of the choices",
            ("s0-q0-text", "Where are you from?"),
        ),
        (
            {"s0-kind": "quiz"},
            "survey 1, question 1: a quiz question needs a correct option",
            ("s0-title", "Warm-up"),
        ),
        (
            {"s0-q1-text": "Anything else?", "s0-q1-options": ""},
            "survey 1, question 2, answers: 1 to 12 options",
            ("s0-q1-text", "Anything else?"),
        ),
        ({"u0-price": "cheap"}, "card 1, price: an amount like 19.90", ("u0-price", "cheap")),
        (
            {"u0-price": "12.345"},
            "card 1, price: an amount like 19.90 in EUR",
            ("u0-price", "12.345"),
        ),
        (
            {"u0-currency": "EURO"},
            "card 1, currency: a currency code like EUR",
            ("u0-currency", "EURO"),
        ),
        (
            {"u1-title": "Second", "u1-link_url": "ftp://x"},
            "card 2, link: a path or an http(s) URL",
            ("u1-link_url", "ftp://x"),
        ),
        ({"s0-title": "x" * 301}, "survey 1, title: at most 300 characters", None),
        (
            {f"s{index}-title": f"Survey {index}" for index in range(1, 11)},
            "surveys: at most 10 of them",
            None,
        ),
    ],
)
def test_a_bad_content_form_is_named_kept_and_changes_nothing(
    organizer: tuple[httpx.Client, str],
    unique_id: str,
    sync_redis_client: sync_redis.Redis,
    fields: dict[str, str],
    message: str,
    typed: tuple[str, str] | None,
) -> None:
    client, csrf = organizer
    before = _queue_state(sync_redis_client, unique_id)
    refused = client.post(
        f"/admin/queues/{unique_id}/content", data={**CONTENT, **fields, "csrf_token": csrf}
    )
    assert refused.status_code == 400, refused.text
    assert f"Not saved: {message}" in html.unescape(refused.text)
    if typed is not None:
        name, value = typed
        shown = re.search(
            rf'<(?:input|textarea)[^>]*name="{name}"[^>]*?(?:value="([^"]*)"|>([^<]*)<)',
            refused.text,
        )
        assert shown is not None, name
        assert html.unescape(shown.group(1) or shown.group(2) or "") == value
    assert _queue_state(sync_redis_client, unique_id) == before


@pytest.mark.parametrize(
    ("fields", "message", "typed"),
    [
        ({"queue_id": "Not An Id"}, "queue id: 1-64 of a-z", ("queue_id", "Not An Id")),
        ({"rate_per_minute": "abc"}, "admission rate: a whole number", ("rate_per_minute", "abc")),
        ({"name": "n" * 201}, "name: at most 200 characters", None),
        (
            {"redirect_url": "javascript:alert(1)"},
            "shop address must be a path or an http(s) URL",
            ("redirect_url", "javascript:alert(1)"),
        ),
        (
            {"start": "schedule"},
            "opening time: choose the date and time of the opening",
            ("name", "Spring tour"),
        ),
        (
            {"start": "schedule", "opens_at_local": "soon"},
            "opening time: a date and time like 2026-05-01T10:00",
            ("opens_at_local", "soon"),
        ),
        ({"start": "later"}, "opening: not one of the choices", ("name", "Spring tour")),
    ],
)
def test_a_bad_creation_form_is_named_kept_and_creates_nothing(
    waitroom_server: ServerProcess,
    unique_id: str,
    admin_headers: dict[str, str],
    sync_redis_client: sync_redis.Redis,
    fields: dict[str, str],
    message: str,
    typed: tuple[str, str] | None,
) -> None:
    base = waitroom_server.base_url
    with httpx.Client(base_url=base) as client:
        login(client, "rita")
        csrf = _typed(client.get("/admin").text, "csrf_token")
        form = {"csrf_token": csrf, "queue_id": unique_id, "name": "Spring tour"}
        refused = client.post("/admin/queues", data={**form, **fields})
    assert refused.status_code == 400, refused.text
    assert f"Not created: {message}" in html.unescape(refused.text)
    if typed is not None:
        assert _typed(refused.text, typed[0]) == typed[1]
    assert _queue_state(sync_redis_client, unique_id) == {}
    listed = httpx.get(f"{base}/api/v1/admin/queues", headers=admin_headers).json()["queues"]
    assert unique_id not in listed
