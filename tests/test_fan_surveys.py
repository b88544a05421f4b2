"""Surveys and quizzes as fans answer them (HTTP, real Redis): optional questions may stay
empty, a quiz shows the right answers and whether the fan's were right, in the JSON answer,
in the content and on the page after a form post (no JavaScript)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fan_client import FORM_POST, fan_client, join_with_button
from waitroom.settings import Settings

FEEDBACK: dict[str, Any] = {
    "id": "feedback",
    "title": "Help us plan",
    "questions": [
        {
            "id": "travel",
            "text": "How do you travel?",
            "type": "single",
            "options": [{"id": "bus", "label": "Bus"}, {"id": "car", "label": "Car"}],
        },
        {
            "id": "extras",
            "text": "Which extras?",
            "type": "multiple",
            "required": False,
            "options": [{"id": "parking", "label": "Parking"}, {"id": "merch", "label": "Merch"}],
        },
        {"id": "else", "text": "Anything else?", "type": "text", "required": False},
    ],
}
QUIZ: dict[str, Any] = {
    "id": "band",
    "title": "Know the band?",
    "kind": "quiz",
    "questions": [
        {
            "id": "city",
            "text": "Where was the first show?",
            "options": [
                {"id": "tallinn", "label": "Tallinn", "correct": True},
                {"id": "tartu", "label": "Tartu"},
            ],
        },
        {
            "id": "songs",
            "text": "Which are their songs?",
            "type": "multiple",
            "options": [
                {"id": "one", "label": "One", "correct": True},
                {"id": "two", "label": "Two", "correct": True},
                {"id": "three", "label": "Three"},
            ],
        },
    ],
}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with fan_client(settings) as http:
        yield http


async def queue_with_surveys(
    client: httpx.AsyncClient, queue_id: str, admin: dict[str, str]
) -> None:
    created = await client.put(
        f"/api/v1/admin/queues/{queue_id}", json={"rate_per_minute": 0}, headers=admin
    )
    assert created.status_code == 201
    surveys = await client.put(
        f"/api/v1/admin/queues/{queue_id}/surveys",
        json={"surveys": [FEEDBACK, QUIZ]},
        headers=admin,
    )
    assert surveys.status_code == 200, surveys.text
    stored = surveys.json()["surveys"][0]["questions"]
    assert [question["required"] for question in stored] == [True, False, False]


async def test_optional_questions_may_stay_empty_required_ones_may_not(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await queue_with_surveys(client, unique_id, admin_headers)
    await join_with_button(client, unique_id)
    page = (await client.get(f"/q/{unique_id}")).text
    form = page[page.index('id="survey-feedback"') : page.index('id="survey-band"')]
    assert form.count("(optional)") == 2
    assert re.search(r'<textarea name="else"[^>]*>', form)
    assert "required" not in re.search(r'<textarea name="else"[^>]*>', form).group(0)  # type: ignore[union-attr]
    url = f"/api/v1/queues/{unique_id}/surveys/feedback/answers"
    blank = await client.post(url, json={"answers": {"extras": [], "else": "  "}})
    assert blank.status_code == 400 and blank.json()["field"] == "travel"
    answered = await client.post(url, json={"answers": {"travel": "bus", "extras": [], "else": ""}})
    assert answered.status_code == 201, answered.text
    assert answered.json()["answers"] == {"travel": "bus"}
    assert "review" not in answered.json()  # a survey has no right answers
    other = httpx.AsyncClient(  # a browser: refused forms are pages for it (waitroom/fan/forms.py)
        transport=client._transport, base_url="http://testserver",
        headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    async with other:  # a form post without JavaScript: the empty textarea is sent as ""
        await join_with_button(other, unique_id)
        posted = await other.post(url, data={"travel": "car", "else": ""})
        assert posted.status_code == 303
        assert posted.headers["location"] == f"/q/{unique_id}#survey-feedback"
        again = await other.get(posted.headers["location"])
        assert "Thank you for answering!" in again.text
        refused = await other.post(
            f"/api/v1/queues/{unique_id}/surveys/band/answers", data={"songs": "one"}
        )  # a required question left out: a page in the fan's language that leads back
        assert refused.status_code == 400 and "text/html" in refused.headers["content-type"]
        assert f'href="/q/{unique_id}#survey-band"' in refused.text
        assert refused.headers["refresh"] == f"20; url=/q/{unique_id}#survey-band"


async def test_quiz_shows_the_right_answers_after_answering(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await queue_with_surveys(client, unique_id, admin_headers)
    await join_with_button(client, unique_id)
    page = (await client.get(f"/q/{unique_id}")).text
    assert "Right answer: Tallinn" not in page and '"correct"' not in page
    url = f"/api/v1/queues/{unique_id}/surveys/band/answers"
    answered = await client.post(url, json={"answers": {"city": "tartu", "songs": ["two", "one"]}})
    assert answered.status_code == 201
    body = answered.json()
    assert body["score"] == 1 and body["out_of"] == 2
    city, songs = body["review"]
    assert city == {
        "question_id": "city",
        "text": "Where was the first show?",
        "chosen": [{"id": "tartu", "label": "Tartu"}],
        "correct": [{"id": "tallinn", "label": "Tallinn"}],
        "is_correct": False,
    }
    assert songs["is_correct"] is True and [o["id"] for o in songs["chosen"]] == ["one", "two"]
    content = (await client.get(f"/api/v1/queues/{unique_id}/content")).json()
    assert content["quiz_reviews"]["band"] == body["review"]
    assert "correct" not in str(content["surveys"])  # the questions still carry no answers
    review = (await client.get(f"/q/{unique_id}")).text
    assert "You got 1 of 2 right." in review
    assert "Your answer: Tartu" in review and "Right answer: Tallinn" in review
    assert "Your answer: One, Two" in review and review.count('class="verdict">Right!') == 1


async def test_quiz_review_after_a_form_post_in_the_fans_language(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await queue_with_surveys(client, unique_id, admin_headers)
    await client.get(f"/q/{unique_id}?lang=et")
    await join_with_button(client, unique_id)
    posted = await client.post(
        f"/api/v1/queues/{unique_id}/surveys/band/answers",
        content=b"city=tallinn&songs=three",
        headers=FORM_POST,
    )
    assert posted.status_code == 303
    page = await client.get(posted.headers["location"])
    assert "Sul oli 2-st õigesti 1." in page.text
    assert "Õige vastus: One, Two" in page.text
