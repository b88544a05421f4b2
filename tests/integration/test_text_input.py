"""The one rule for typed text (service_kit/text_input.py), and every entry point of the waiting
room that takes typed text, over HTTP with a real Redis: the pre-checkout profile, survey
answers, queue names and pause reasons (admin API and dashboard), survey / upsell / profile-form
texts, code labels and typed codes. The shop's entry points are in
tests/integration/sale/test_text_entry_points.py."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service_kit.errors import ErrorKind, InvalidText
from service_kit.problems import error_status
from service_kit.text_input import BIDI_CONTROLS, clean_text
from tests.conftest import ADMIN_TOKEN
from tests.integration.test_fan_extras import QUIZ, join, make_queue
from tests.support.fan_client import fan_client
from waitroom.settings import Settings

NUL = "\x00"
RIGHT_TO_LEFT_OVERRIDE = "\u202e"
FIRST_STRONG_ISOLATE = "\u2068"
DECOMPOSED = "Ame\u0301lie"  # "Amélie" with a combining accent
COMPOSED = "Am\u00e9lie"
REFUSED = [
    ("a\x00b", "control_character"),
    ("a\x07b", "control_character"),
    ("a\x7fb", "control_character"),
    ("a\x9bb", "control_character"),  # C1
    ("a\tb", "control_character"),
    ("a\nb", "line_break"),
    ("a\u2028b", "line_break"),
    *((f"a{character}b", "bidi_control") for character in sorted(BIDI_CONTROLS)),
]


def reason_of(value: str, **options: Any) -> str:
    with pytest.raises(InvalidText) as caught:
        clean_text(value, "name", 100, **options)
    return str(caught.value.extra["reason"])


@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_control_and_direction_characters_are_refused(value: str, reason: str) -> None:
    assert reason_of(value) == reason


def test_refusals_name_the_field_and_the_character() -> None:
    with pytest.raises(InvalidText) as caught:
        clean_text(f"Eve{RIGHT_TO_LEFT_OVERRIDE}gpj.exe", "name", 100)
    error = caught.value
    assert error.kind is ErrorKind.INVALID_INPUT and error_status(error) == 400
    assert error.extra == {"field": "name", "reason": "bidi_control", "code_point": "U+202E"}
    assert error.detail.startswith("name contains a text direction control (U+202E)")


def test_text_is_nfc_trimmed_and_limited_after_normalizing() -> None:
    assert clean_text(f"  {DECOMPOSED} \u3000", "name", 100) == COMPOSED
    assert clean_text(DECOMPOSED, "name", 6) == COMPOSED  # 7 code points typed, 6 after NFC
    assert reason_of("x" * 101) == "too_long"
    assert reason_of("   ") == "required"
    assert clean_text("  ", "name", 10, required=False) == ""
    assert reason_of(42) == "not_text"  # type: ignore[arg-type]
    assert reason_of(None) == "not_text"  # type: ignore[arg-type]


def test_multiline_text_keeps_line_breaks_and_tabs_only() -> None:
    assert clean_text("one\r\ntwo\rthree\tfour\n", "answer", 100, multiline=True) == (
        "one\ntwo\nthree\tfour"
    )
    assert reason_of(f"one\n{NUL}", multiline=True) == "control_character"
    assert reason_of(f"one\n{FIRST_STRONG_ISOLATE}", multiline=True) == "bidi_control"


def test_scripts_emoji_and_joiners_are_kept() -> None:
    persian_with_zero_width_non_joiner = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    for text in (
        "Žofia Ōno",
        "Иван",
        "王小明",
        "\u0645\u062d\u0645\u062f",
        "👩\u200d👩\u200d👧",
        persian_with_zero_width_non_joiner,
    ):
        assert clean_text(text, "name", 100) == unicodedata.normalize("NFC", text)


def test_every_ascii_character_inside_one_line_text() -> None:
    """Printable ASCII (a checkout's usual name and e-mail) skips the per-character checks;
    every other ASCII character in the middle of a line is still refused, as before."""
    for code in range(128):
        value = f"a{chr(code)}b"
        if 0x20 <= code < 0x7F:
            assert clean_text(value, "name", 100) == value
        else:
            expected = "line_break" if chr(code) in "\n\r\v\f" else "control_character"
            assert reason_of(value) == expected, hex(code)


@given(st.text(max_size=60), st.booleans())
def test_any_text_is_refused_or_comes_back_clean(value: str, multiline: bool) -> None:
    try:
        cleaned = clean_text(value, "field", 40, required=False, multiline=multiline)
    except InvalidText as error:
        assert error.extra["field"] == "field"
        return
    assert cleaned == unicodedata.normalize("NFC", cleaned)
    assert len(cleaned) <= 40
    allowed = {"\n", "\t"} if multiline else set()
    for character in cleaned:
        assert character in allowed or unicodedata.category(character) not in {"Cc", "Cs"}
        assert character not in BIDI_CONTROLS
    assert clean_text(cleaned, "field", 40, required=False, multiline=multiline) == cleaned


# entry points of the waiting room


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with fan_client(settings) as http:
        yield http


def assert_refused(response: httpx.Response, field: str, reason: str) -> None:
    assert response.status_code == 400, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["field"] == field and problem["reason"] == reason, problem
    assert field in problem["detail"]


async def test_profile_names_are_normalized_and_controls_refused(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await join(client, unique_id)
    url = f"/api/v1/queues/{unique_id}/profile"
    profile = {"name": DECOMPOSED, "email": "amelie@example.org", "tier_id": "ga", "quantity": 1}
    assert_refused(
        await client.put(url, json={**profile, "name": f"Eve{RIGHT_TO_LEFT_OVERRIDE}x"}),
        "name",
        "bidi_control",
    )
    assert_refused(
        await client.put(url, json={**profile, "email": f"a{NUL}@example.org"}),
        "email",
        "control_character",
    )
    form = await client.post(url, data={**profile, "name": f"A{NUL}"})  # the page's form
    assert form.status_code == 400 and "name contains a control character" in form.text
    assert (await client.put(url, json=profile)).status_code == 200
    assert (await client.get(url)).json()["profile"]["name"] == COMPOSED


async def test_survey_text_answers_are_normalized_and_controls_refused(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await join(client, unique_id)
    url = f"/api/v1/queues/{unique_id}/surveys/warmup/answers"
    answers = {"city": "tallinn", "songs": ["one", "two"]}
    refused = await client.post(url, json={"answers": {**answers, "wish": f"x{NUL}"}})
    assert_refused(refused, "wish", "control_character")
    isolated = {**answers, "wish": f"x{FIRST_STRONG_ISOLATE}"}
    assert_refused(await client.post(url, json={"answers": isolated}), "wish", "bidi_control")
    typed = {**answers, "wish": f" {DECOMPOSED}\r\n!"}
    accepted = await client.post(url, json={"answers": typed})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["answers"]["wish"] == f"{COMPOSED}\n!"


async def test_queue_texts_from_the_admin_api_are_normalized_and_controls_refused(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    url = f"/api/v1/admin/queues/{unique_id}"
    spoofed = {"name": f"Arena{RIGHT_TO_LEFT_OVERRIDE}"}
    refused = await client.put(url, json=spoofed, headers=admin_headers)
    assert_refused(refused, "name", "bidi_control")
    assert_refused(
        await client.put(url, json={"pause_reason": f"a{NUL}"}, headers=admin_headers),
        "pause_reason",
        "control_character",
    )
    assert_refused(
        await client.put(url, json={"name": "x" * 201}, headers=admin_headers), "name", "too_long"
    )
    created = await client.put(url, json={"name": f" {DECOMPOSED} "}, headers=admin_headers)
    assert created.status_code == 201
    assert (await client.get(url, headers=admin_headers)).json()["name"] == COMPOSED


async def test_content_documents_are_normalized_and_controls_refused(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    base = f"/api/v1/admin/queues/{unique_id}"
    survey = {**QUIZ, "title": f"Quiz{NUL}"}
    assert_refused(
        await client.put(f"{base}/surveys", json={"surveys": [survey]}, headers=admin_headers),
        "surveys[0].title",
        "control_character",
    )
    upsell = {"id": "cap", "title": "Cap", "link_url": "/x"}
    upsell["description"] = f"a{RIGHT_TO_LEFT_OVERRIDE}"
    assert_refused(
        await client.put(f"{base}/upsells", json={"upsells": [upsell]}, headers=admin_headers),
        "upsells[0].description",
        "bidi_control",
    )
    form = {"tiers": [{"id": "ga", "label": f"G{NUL}"}]}
    assert_refused(
        await client.put(f"{base}/profile-form", json=form, headers=admin_headers),
        "tiers[0].label",
        "control_character",
    )
    good = {**QUIZ, "title": DECOMPOSED}
    saved = await client.put(f"{base}/surveys", json={"surveys": [good]}, headers=admin_headers)
    assert saved.status_code == 200
    shown = (await client.get(f"{base}/surveys", headers=admin_headers)).json()
    assert shown["surveys"][0]["title"] == COMPOSED


async def test_code_labels_and_typed_codes_are_checked(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    codes = f"/api/v1/admin/queues/{unique_id}/codes"
    assert_refused(
        await client.post(codes, json={"label": f"VIP{NUL}"}, headers=admin_headers),
        "label",
        "control_character",
    )
    created = await client.post(
        codes, json={"label": f" {DECOMPOSED} ", "code": " FANCLUB-2026 "}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["label"] == COMPOSED and created.json()["code"] == "FANCLUB-2026"
    token = (await join(client, unique_id))["token"]
    redeem = f"/api/v1/queues/{unique_id}/codes/redeem"
    bearer = {"authorization": f"Bearer {token}"}
    assert_refused(
        await client.post(redeem, json={"code": f"FANCLUB{NUL}2026"}, headers=bearer),
        "code",
        "control_character",
    )
    typed = await client.post(redeem, json={"code": "  FANCLUB-2026\n"}, headers=bearer)
    assert typed.status_code == 200, typed.text


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


async def test_the_dashboard_refuses_a_pause_reason_with_controls(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    login = csrf_of(await client.get("/admin/login"))
    signed_in = await client.post(
        "/admin/login", data={"token": ADMIN_TOKEN, "name": "ann", "csrf_token": login}
    )
    assert signed_in.status_code == 303
    csrf = csrf_of(await client.get(f"/admin/queues/{unique_id}"))
    reason = f"back soon{RIGHT_TO_LEFT_OVERRIDE}"
    page = await client.post(
        f"/admin/queues/{unique_id}",
        data={"action": "pause", "pause_reason": reason, "csrf_token": csrf},
    )
    assert page.status_code == 400
    assert "Not saved: pause reason contains a text direction control" in page.text
    queue = (await client.get(f"/api/v1/admin/queues/{unique_id}", headers=admin_headers)).json()
    assert queue["state"] == "open"
