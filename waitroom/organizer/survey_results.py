"""Aggregated survey and quiz results for the organizer dashboard (JSON)."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from waitroom.fan.survey_answers import RESULT_TEXTS_SHOWN
from waitroom.fan.survey_definitions import Survey
from waitroom.storage.keys import QueueKeys


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def survey_result(
    survey: Survey, counts: dict[str, int], texts: dict[str, list[str]]
) -> dict[str, Any]:
    questions: list[dict[str, Any]] = []
    for question in survey.questions:
        item: dict[str, Any] = {
            "id": question.id,
            "text": question.text,
            "type": question.type,
            "answers_total": counts.get(f"q:{question.id}:answered", 0),
        }
        if question.type == "text":
            item["recent_answers"] = texts.get(question.id, [])
        else:
            item["options"] = [
                {
                    "id": option.id,
                    "label": option.label,
                    "count": counts.get(f"q:{question.id}:o:{option.id}", 0),
                    **({"correct": option.correct} if survey.kind == "quiz" else {}),
                }
                for option in question.options
            ]
        questions.append(item)
    result: dict[str, Any] = {
        "id": survey.id,
        "title": survey.title,
        "kind": survey.kind,
        "responses": counts.get("responses", 0),
        "questions": questions,
    }
    if survey.kind == "quiz":
        scored = sum(1 for question in survey.questions if question.type != "text")
        result["score_distribution"] = {
            str(score): counts.get(f"score:{score}", 0) for score in range(scored + 1)
        }
    return result


async def survey_results(
    redis: Redis, queue_id: str, surveys: tuple[Survey, ...]
) -> list[dict[str, Any]]:
    """One pipelined round trip for all surveys of a queue."""
    async with redis.pipeline(transaction=False) as pipe:
        for survey in surveys:
            pipe.hgetall(QueueKeys(queue_id).survey_counts(survey.id))
            for question in survey.questions:
                if question.type == "text":
                    texts_key = QueueKeys(queue_id).survey_texts(survey.id, question.id)
                    pipe.lrange(texts_key, 0, RESULT_TEXTS_SHOWN - 1)
        replies = iter(await pipe.execute())
    results: list[dict[str, Any]] = []
    for survey in surveys:
        raw_counts = next(replies)
        counts = {_text(key): int(value) for key, value in raw_counts.items()}
        texts: dict[str, list[str]] = {}
        for question in survey.questions:
            if question.type == "text":
                texts[question.id] = [_text(value) for value in next(replies)]
        results.append(survey_result(survey, counts, texts))
    return results
