"""Organizer texts in one language or several: accepted and answered as given by the admin API,
shown to each fan in their language with fallback to English (then the first text given), and
refused with a clear 400 when malformed. Real Redis, the waiting room's app over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sale_backend.domain.catalog_parsing import parse_event
from sale_backend.web.views import event_texts, event_view
from service_kit.errors import InvalidText
from service_kit.localized_text import (
    LocalizedText,
    localized_from_string,
    parse_localized_text,
    stored_string,
)
from tests.support.fan_client import fan_client
from tests.support.shop_fixtures import sample_event
from waitroom.settings import Settings

SURVEY: dict[str, Any] = {
    "id": "song",
    "title": {"en": "Which song first?", "ru": "Какую песню первой?", "et": "Milline lugu enne?"},
    "questions": [
        {
            "id": "pick",
            "text": {"en": "Pick one", "ru": "Выберите одну"},  # no Estonian: English shows
            "type": "single",
            "options": [
                {"id": "old", "label": {"en": "The first single", "ru": "Первый сингл"}},
                {"id": "new", "label": "Something new"},  # one language for everyone
            ],
        }
    ],
}
UPSELL: dict[str, Any] = {
    "id": "shirt",
    "title": {"en": "Tour shirt", "ru": "Футболка тура"},
    "description": {"et": "Ainult eesti keeles"},  # no English: the first text given
    "link_url": "https://shop.example/shirt",
}
PROFILE_FORM: dict[str, Any] = {
    "tiers": [{"id": "ga", "label": {"en": "Standing", "ru": "Танцпол"}}]
}
QUEUE_NAME = {"en": "Concert queue", "ru": "Очередь на концерт"}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with fan_client(settings) as http:
        yield http


async def set_up(client: httpx.AsyncClient, queue_id: str, admin: dict[str, str]) -> None:
    created = await client.put(
        f"/api/v1/admin/queues/{queue_id}",
        json={"rate_per_minute": 0, "name": QUEUE_NAME},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    for path, document in (
        ("surveys", {"surveys": [SURVEY]}),
        ("upsells", {"upsells": [UPSELL]}),
        ("profile-form", PROFILE_FORM),
    ):
        answer = await client.put(
            f"/api/v1/admin/queues/{queue_id}/{path}", json=document, headers=admin
        )
        assert answer.status_code == 200, answer.text


async def test_the_admin_api_answers_texts_as_given(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await set_up(client, unique_id, admin_headers)
    base = f"/api/v1/admin/queues/{unique_id}"
    queue = (await client.get(base, headers=admin_headers)).json()
    assert queue["name"] == QUEUE_NAME
    surveys = (await client.get(f"{base}/surveys", headers=admin_headers)).json()["surveys"]
    assert surveys[0]["title"] == SURVEY["title"]
    assert surveys[0]["questions"][0]["options"][1]["label"] == "Something new"
    upsells = (await client.get(f"{base}/upsells", headers=admin_headers)).json()["upsells"]
    assert upsells[0]["title"] == UPSELL["title"]
    assert upsells[0]["description"] == UPSELL["description"]
    form = (await client.get(f"{base}/profile-form", headers=admin_headers)).json()
    assert form["tiers"][0]["label"] == PROFILE_FORM["tiers"][0]["label"]


@pytest.mark.parametrize(
    ("language", "title", "question", "option", "upsell", "tier"),
    [
        ("ru", "Какую песню первой?", "Выберите одну", "Первый сингл", "Футболка тура", "Танцпол"),
        ("et", "Milline lugu enne?", "Pick one", "The first single", "Tour shirt", "Standing"),
        ("zh_Hans", "Which song first?", "Pick one", "The first single", "Tour shirt", "Standing"),
        ("en", "Which song first?", "Pick one", "The first single", "Tour shirt", "Standing"),
    ],
)
async def test_fans_see_their_language_with_fallback(
    client: httpx.AsyncClient,
    unique_id: str,
    admin_headers: dict[str, str],
    language: str,
    title: str,
    question: str,
    option: str,
    upsell: str,
    tier: str,
) -> None:
    await set_up(client, unique_id, admin_headers)
    joined = await client.post(f"/api/v1/queues/{unique_id}/join")
    assert joined.status_code == 201
    content = await client.get(f"/api/v1/queues/{unique_id}/content", params={"lang": language})
    assert content.status_code == 200
    body = content.json()
    survey = body["surveys"][0]
    assert survey["title"] == title
    assert survey["questions"][0]["text"] == question
    assert [item["label"] for item in survey["questions"][0]["options"]] == [
        option,
        "Something new",
    ]
    assert body["upsells"][0]["title"] == upsell
    assert body["upsells"][0]["description"] == "Ainult eesti keeles"
    assert body["profile_form"]["tiers"][0]["label"] == tier

    page = await client.get(f"/q/{unique_id}", params={"lang": language})
    assert page.status_code == 200
    assert title in page.text and upsell in page.text and tier in page.text
    queue_name = QUEUE_NAME.get(language, QUEUE_NAME["en"])
    assert queue_name in page.text


async def test_the_browser_language_picks_the_text(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await set_up(client, unique_id, admin_headers)
    await client.post(f"/api/v1/queues/{unique_id}/join")
    content = await client.get(
        f"/api/v1/queues/{unique_id}/content", headers={"accept-language": "ru-RU,ru;q=0.9"}
    )
    assert content.json()["surveys"][0]["title"] == "Какую песню первой?"


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ({"de": "Welches Lied?"}, "unknown_language"),
        ({}, "required"),
        ({"en": 5}, None),  # refused by the model's types
        ({"en": "x" * 301}, "too_long"),
        ({"ru": "ok", "en": "bad\u202etext"}, None),
        (["Which?"], None),
    ],
)
async def test_malformed_texts_are_a_clear_400(
    client: httpx.AsyncClient,
    unique_id: str,
    admin_headers: dict[str, str],
    title: object,
    reason: str | None,
) -> None:
    await set_up(client, unique_id, admin_headers)
    before = await client.get(f"/api/v1/admin/queues/{unique_id}/surveys", headers=admin_headers)
    answer = await client.put(
        f"/api/v1/admin/queues/{unique_id}/surveys",
        json={"surveys": [{**SURVEY, "title": title}]},
        headers=admin_headers,
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["field"].startswith("surveys[0].title")
    if reason is not None:
        assert problem["reason"] == reason
    after = await client.get(f"/api/v1/admin/queues/{unique_id}/surveys", headers=admin_headers)
    assert after.json() == before.json()  # nothing stored

    bad_name = await client.put(
        f"/api/v1/admin/queues/{unique_id}", json={"name": {"xx": "?"}}, headers=admin_headers
    )
    assert bad_name.status_code == 400 and bad_name.json()["field"] == "name"


def test_fallback_order_and_storage() -> None:
    text = parse_localized_text({"et": "Tere", "ru": "Привет"}, "title", 50)
    assert text.text("ru") == "Привет"
    assert text.text("zh_Hans") == "Tere"  # no English: the first text given
    assert str(text) == "Tere"
    assert text.document() == {"et": "Tere", "ru": "Привет"}
    assert localized_from_string(stored_string(text)) == text
    plain = LocalizedText.plain('{"looks": "like json"}')
    assert localized_from_string(stored_string(plain)) == plain
    assert localized_from_string('{"en": "A", "ru": "Б"}').text("ru") == "Б"
    with pytest.raises(InvalidText):
        parse_localized_text({"en": "A", "fr": "B"}, "title", 50)


def test_event_names_per_language() -> None:
    source = sample_event("q1")
    source["name"] = {"en": "Test concert", "ru": "Тестовый концерт"}
    source["tiers"][0]["name"] = {"en": "Standard", "et": "Tavapilet"}
    source["sections"][0]["name"] = {"ru": "Партер"}
    event = parse_event("ev1", source)
    russian = event_view(event, {}, language="ru")
    assert russian.name == "Тестовый концерт"
    assert russian.tiers[0].name == "Standard"  # no Russian: English
    assert russian.sections[0].name == "Партер"
    estonian = event_view(event, {}, language="et")
    assert estonian.name == "Test concert" and estonian.tiers[0].name == "Tavapilet"
    assert event_view(event, {}).sections[0].name == "Партер"  # the only text
    texts = event_texts(event)
    assert texts.name == source["name"] and texts.tiers["standard"].name == {
        "en": "Standard",
        "et": "Tavapilet",
    }
    assert texts.venue == "Hall"
    with pytest.raises(InvalidText):
        parse_event("ev1", {**source, "name": {"de": "Konzert"}})


def test_a_one_language_edit_keeps_the_other_languages() -> None:
    """The dashboard's form shows the English text; saving it keeps Russian and Estonian."""
    stored = parse_localized_text({"en": "Old", "ru": "Старый", "et": "Vana"}, "title", 50)
    edited = stored.edited(LocalizedText.plain("New"))
    assert edited.document() == {"en": "New", "ru": "Старый", "et": "Vana"}
    assert stored.edited(LocalizedText.plain("Old")) == stored
    only_estonian = parse_localized_text({"et": "Vana"}, "title", 50)
    assert only_estonian.edited(LocalizedText.plain("Uus")).document() == {"et": "Uus"}
    assert LocalizedText.plain("a").edited(LocalizedText.plain("b")).document() == "b"
    both = parse_localized_text({"en": "X", "ru": "Икс"}, "title", 50)
    assert stored.edited(both) == both  # an edit with languages of its own replaces all
