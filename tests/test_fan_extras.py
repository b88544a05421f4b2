"""Fan extras over HTTP with a real Redis: surveys, upsells, profile, leave, tickets hint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.fan_client import fan_client, join_with_button
from tests.stock_support import figures, report
from waitroom.settings import Settings
from waitroom.storage.keys import QueueKeys

QUIZ: dict[str, Any] = {
    "id": "warmup",
    "title": "Warm-up quiz",
    "kind": "quiz",
    "questions": [
        {
            "id": "city",
            "text": "Where was the first show?",
            "type": "single",
            "options": [
                {"id": "tallinn", "label": "Tallinn", "correct": True},
                {"id": "tartu", "label": "Tartu"},
            ],
        },
        {
            "id": "songs",
            "text": "Pick the band's songs",
            "type": "multiple",
            "options": [
                {"id": "one", "label": "One", "correct": True},
                {"id": "two", "label": "Two", "correct": True},
                {"id": "three", "label": "Three"},
            ],
        },
        {"id": "wish", "text": "Your wish", "type": "text", "max_length": 20, "required": False},
    ],
}
UPSELL = {
    "id": "shirt",
    "title": "Tour shirt",
    "image_url": "/static/waitroom/shirt.png",
    "price_minor": 2500,
    "currency": "EUR",
    "link_url": "https://shop.example/shirt",
}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with fan_client(settings) as http:
        yield http


async def make_queue(
    client: httpx.AsyncClient, queue_id: str, admin: dict[str, str], **fields: Any
) -> None:
    body = {"rate_per_minute": 0, "name": "Concert", **fields}
    response = await client.put(f"/api/v1/admin/queues/{queue_id}", json=body, headers=admin)
    assert response.status_code == 201
    for path, document in (
        ("surveys", {"surveys": [QUIZ]}),
        ("upsells", {"upsells": [UPSELL]}),
        ("profile-form", {"tiers": [{"id": "ga", "label": "General"}], "max_quantity": 4}),
    ):
        response = await client.put(
            f"/api/v1/admin/queues/{queue_id}/{path}", json=document, headers=admin
        )
        assert response.status_code == 200, response.text


async def join(client: httpx.AsyncClient, queue_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/queues/{queue_id}/join")
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


async def wait_for_status_change(
    client: httpx.AsyncClient, queue_id: str, token: str
) -> httpx.Response:
    """Polls until the fan is no longer waiting (the view cache refreshes every 0.25 s)."""
    for _ in range(40):
        status = await client.get(
            f"/api/v1/queues/{queue_id}/status", headers={"authorization": f"Bearer {token}"}
        )
        if status.status_code != 200 or status.json()["state"] not in {"paused", "waiting"}:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError("the queue did not move")


async def test_quiz_answered_once_and_aggregated(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await join(client, unique_id)
    url = f"/api/v1/queues/{unique_id}/surveys/warmup/answers"
    answers = {"city": "tallinn", "songs": ["two", "one"], "wish": "encore"}
    first = await client.post(url, json={"answers": answers})
    assert first.status_code == 201
    assert first.json()["score"] == 2 and first.json()["out_of"] == 2
    again = await client.post(url, json={"answers": {"city": "tartu", "songs": ["three"]}})
    assert again.status_code == 409
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await join(other, unique_id)
        second = await other.post(url, json={"answers": {"city": "tartu", "songs": ["one"]}})
        assert second.status_code == 201 and second.json()["score"] == 0
    results = await client.get(
        f"/api/v1/admin/queues/{unique_id}/survey-results", headers=admin_headers
    )
    survey = results.json()["surveys"][0]
    assert survey["responses"] == 2
    city, songs, wish = survey["questions"]
    assert {option["id"]: option["count"] for option in city["options"]} == {
        "tallinn": 1,
        "tartu": 1,
    }
    assert {option["id"]: option["count"] for option in songs["options"]} == {
        "one": 2,
        "two": 1,
        "three": 0,
    }
    assert wish["recent_answers"] == ["encore"] and wish["answers_total"] == 1
    assert survey["score_distribution"] == {"0": 1, "1": 0, "2": 1}
    content = await client.get(f"/api/v1/queues/{unique_id}/content")
    assert content.json()["answered_surveys"] == ["warmup"]
    assert "correct" not in str(content.json()["surveys"])


@pytest.mark.parametrize(
    "body",
    [
        {"answers": {"city": "paris", "songs": ["one"]}},
        {"answers": {"city": ["tallinn", "tartu"], "songs": ["one"]}},
        {"answers": {"songs": ["one"]}},
        {"answers": {"city": "tallinn", "songs": ["one", "one"]}},
        {"answers": {"city": "tallinn", "songs": ["one"], "wish": "x" * 21}},
        {"answers": {"city": "tallinn", "songs": ["one"], "nope": "x"}},
        {"answers": {"city": 5, "songs": ["one"]}},
        {"answers": {"city": {"a": 1}, "songs": ["one"]}},
        {"answers": ["tallinn"]},
        {"answers": None},
        {},
    ],
)
async def test_bad_survey_answers_are_4xx(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str], body: Any
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await join(client, unique_id)
    response = await client.post(f"/api/v1/queues/{unique_id}/surveys/warmup/answers", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_bad_survey_requests_are_4xx(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    url = f"/api/v1/queues/{unique_id}/surveys/warmup/answers"
    assert (await client.post(url, json={"answers": {}})).status_code == 401
    await join(client, unique_id)
    assert (await client.post(url, content=b"{not json")).status_code == 400
    assert (await client.post(url, content=b"[1, 2]")).status_code == 400
    assert (await client.post(url, content=b"{" * 40_000)).status_code == 413
    missing = await client.post(f"/api/v1/queues/{unique_id}/surveys/nope/answers", json={})
    assert missing.status_code == 404
    assert (await client.post("/api/v1/queues/BAD!/surveys/x/answers", json={})).status_code == 404


@pytest.mark.parametrize(
    "document",
    [
        {"surveys": "no"},
        {"surveys": [{"id": "Bad Id", "title": "t", "questions": [{"id": "q", "text": "t"}]}]},
        {"surveys": [{"id": "s", "title": "t", "questions": []}]},
        {"surveys": [{"id": "s", "title": "", "questions": [{"id": "q", "text": "t"}]}]},
        {
            "surveys": [
                {
                    "id": "s",
                    "title": "t",
                    "kind": "quiz",
                    "questions": [{"id": "q", "text": "t", "options": [{"id": "a", "label": "A"}]}],
                }
            ]
        },
        {
            "surveys": [
                {
                    "id": "s",
                    "title": "t",
                    "questions": [{"id": "q", "text": "t", "type": "text", "max_length": 0}],
                }
            ]
        },
        {"surveys": [QUIZ, QUIZ]},
    ],
)
async def test_bad_survey_definitions_are_400(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str], document: Any
) -> None:
    await make_queue(client, unique_id, admin_headers)
    response = await client.put(
        f"/api/v1/admin/queues/{unique_id}/surveys", json=document, headers=admin_headers
    )
    assert response.status_code == 400, response.text


async def test_admin_content_needs_the_admin_token_and_a_queue(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    url = f"/api/v1/admin/queues/{unique_id}/surveys"
    assert (await client.put(url, json={"surveys": []})).status_code == 401
    assert (await client.put(url, json={"surveys": []}, headers=admin_headers)).status_code == 404
    bad_upsell = {"upsells": [{**UPSELL, "link_url": "javascript:alert(1)"}]}
    await make_queue(client, unique_id, admin_headers)
    response = await client.put(
        f"/api/v1/admin/queues/{unique_id}/upsells", json=bad_upsell, headers=admin_headers
    )
    assert response.status_code == 400


async def test_profile_stored_with_ttl_for_the_shop(
    client: httpx.AsyncClient,
    unique_id: str,
    admin_headers: dict[str, str],
    redis: Redis,
    settings: Settings,
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await join(client, unique_id)
    url = f"/api/v1/queues/{unique_id}/profile"
    profile = {
        "name": " Mari Maasikas ",
        "email": "mari@example.ee",
        "tier_id": "ga",
        "quantity": 3,
    }
    response = await client.put(url, json=profile)
    assert response.status_code == 200
    visitor_id = client.cookies["wr_vid"]
    key = QueueKeys(unique_id).profile(visitor_id)
    stored = await redis.hgetall(key)
    assert stored == {
        b"name": b"Mari Maasikas",
        b"email": b"mari@example.ee",
        b"tier_id": b"ga",
        b"quantity": b"3",
    }
    ttl = await redis.ttl(key)
    assert 0 < ttl <= settings.profile_ttl_seconds
    assert (await client.get(url)).json()["profile"]["quantity"] == 3
    form = await client.post(
        url, data={"name": "Jaan", "email": "jaan@example.ee", "tier_id": "", "quantity": "1"}
    )
    assert form.status_code == 303 and form.headers["location"].endswith("#profile")
    assert (await redis.hget(key, "name")) == b"Jaan"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "email": "a@example.ee", "quantity": 1},
        {"name": "A", "email": "not-an-email", "quantity": 1},
        {"name": "A", "email": "a@example.ee", "quantity": 0},
        {"name": "A", "email": "a@example.ee", "quantity": 5},
        {"name": "A", "email": "a@example.ee", "quantity": "2x"},
        {"name": "A", "email": "a@example.ee", "quantity": True},
        {"name": "A", "email": "a@example.ee", "quantity": 1, "tier_id": "vip"},
        {"name": "A\u0000B", "email": "a@example.ee", "quantity": 1},
        {"name": "x" * 101, "email": "a@example.ee", "quantity": 1},
        {"name": ["A"], "email": "a@example.ee", "quantity": 1},
        {"name": "A", "email": "a@example.ee", "quantity": 1, "admin": True},
    ],
)
async def test_bad_profiles_are_400(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str], body: Any
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await join(client, unique_id)
    response = await client.put(f"/api/v1/queues/{unique_id}/profile", json=body)
    assert response.status_code == 400, response.text
    assert "field" in response.json()


async def test_profile_without_token_is_401(client: httpx.AsyncClient, unique_id: str) -> None:
    response = await client.put(f"/api/v1/queues/{unique_id}/profile", json={"name": "A"})
    assert response.status_code == 401


async def test_leave_frees_the_place_and_no_pass_follows(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str], redis: Redis
) -> None:
    await make_queue(client, unique_id, admin_headers)
    joined = await join(client, unique_id)
    token, position = joined["token"], joined["position"]
    await client.put(
        f"/api/v1/queues/{unique_id}/profile",
        json={"name": "A", "email": "a@example.ee", "quantity": 1},
    )
    visitor_id = client.cookies["wr_vid"]
    response = await client.post(f"/api/v1/queues/{unique_id}/leave")
    assert response.status_code == 200 and response.json() == {
        "state": "left",
        "position": position,
    }
    assert any(
        cookie.startswith(f"wr_pos_{unique_id}=;")
        for cookie in response.headers.get_list("set-cookie")
    )
    keys = QueueKeys(unique_id)
    assert await redis.hget(keys.visitors, visitor_id) is None
    assert await redis.getbit(keys.left, position) == 1
    assert not await redis.exists(keys.profile(visitor_id))
    # the queue moves past the place; a kept token earns no pass
    await client.put(
        f"/api/v1/admin/queues/{unique_id}", json={"rate_per_minute": 600000}, headers=admin_headers
    )
    status = await wait_for_status_change(client, unique_id, token)
    assert status.status_code == 401
    again = await client.post(
        f"/api/v1/queues/{unique_id}/leave", headers={"authorization": f"Bearer {token}"}
    )
    assert again.status_code == 200 and again.json()["position"] is None


async def test_leave_form_comes_back_to_the_page_in_the_fans_language(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await client.get(f"/q/{unique_id}?lang=et")
    await join_with_button(client, unique_id)
    response = await client.post(f"/api/v1/queues/{unique_id}/leave", data={"leave": "1"})
    assert response.status_code == 303 and response.headers["location"] == f"/q/{unique_id}?left=1"
    page = await client.get(response.headers["location"])
    assert "Oled järjekorrast lahkunud" in page.text and 'data-place="none"' in page.text
    assert 'data-auto-join="1"' not in page.text  # the script does not take a place again
    assert page.headers["refresh"].endswith(f"; url=/q/{unique_id}?left=1")


async def test_upsell_click_counted_then_redirected(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await client.get(f"/q/{unique_id}")
    for _ in range(2):
        response = await client.get(f"/q/{unique_id}/upsells/shirt")
        assert response.status_code == 303
        assert response.headers["location"] == UPSELL["link_url"]
    assert (await client.get(f"/q/{unique_id}/upsells/nope")).status_code == 404
    cards = await client.get(f"/api/v1/admin/queues/{unique_id}/upsells", headers=admin_headers)
    assert cards.json()["upsells"][0]["clicks"] == 2
    assert cards.json()["upsells"][0]["fans"] == 1


async def test_tickets_remaining_hint_is_the_sum_over_the_reported_events(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    joined = await join(client, unique_id)
    assert "tickets_remaining" not in joined
    await report(client, unique_id, "matinee", figures(100, 500))
    await report(client, unique_id, "evening", figures(37, 800))
    await client.get(f"/api/v1/admin/queues/{unique_id}", headers=admin_headers)  # refresh view
    status = await client.get(f"/api/v1/queues/{unique_id}/status")
    assert status.json()["tickets_remaining"] == 137
    page = await client.get(f"/q/{unique_id}?lang=ru")
    assert "Осталось билетов: около 137" in page.text


@pytest.mark.parametrize(
    ("accept_language", "text"),
    [
        ("en", "Your number"),
        ("et-EE,et;q=0.9", "Sinu number"),
        ("ru", "Ваш номер"),
        ("zh-CN", "您的号码"),
    ],
)
async def test_queue_page_language_from_accept_language(
    client: httpx.AsyncClient,
    unique_id: str,
    admin_headers: dict[str, str],
    accept_language: str,
    text: str,
) -> None:
    await make_queue(client, unique_id, admin_headers, pause_reason="</script><b>x</b>")
    await join(client, unique_id)
    page = await client.get(f"/q/{unique_id}", headers={"accept-language": accept_language})
    assert page.status_code == 200 and text in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "</script><b>" not in page.text
    assert "Tour shirt" in page.text and "Warm-up quiz" in page.text


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("surveys/nope/answers", {"q": "a"}, 404),
        ("surveys/warmup/answers", {"city": "nowhere"}, 400),
        ("profile", {"name": "", "email": "a@example.ee", "quantity": "1"}, 400),
    ],
)
async def test_refused_forms_are_a_page_for_browsers_and_a_problem_for_other_clients(
    client: httpx.AsyncClient,
    unique_id: str,
    admin_headers: dict[str, str],
    path: str,
    body: dict[str, str],
    status: int,
) -> None:
    await make_queue(client, unique_id, admin_headers)
    await join(client, unique_id)
    url = f"/api/v1/queues/{unique_id}/{path}"
    browser = await client.post(
        url, data=body, headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert browser.status_code == status
    assert browser.headers["content-type"].startswith("text/html")
    for accept in ("*/*", "application/json", ""):
        other = await client.post(url, data=body, headers={"accept": accept})
        assert other.status_code == status
        assert other.headers["content-type"] == "application/problem+json"
        assert other.json()["status"] == status
