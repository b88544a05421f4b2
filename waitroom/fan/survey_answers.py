"""Fans' answers to surveys and quizzes: validated, stored once per visitor, aggregated.

Keys (queue keyspace): ``survey:<id>:answers`` (visitor -> JSON answers),
``survey:<id>:counts`` (``responses``, ``q:<question>:answered``, ``q:<question>:o:<option>``,
``q:<question>:correct`` for quizzes) and ``survey:<id>:text:<question>`` (newest texts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from service_kit.errors import InvalidInput
from service_kit.text_input import clean_text
from waitroom.errors import AlreadyAnswered
from waitroom.fan.quiz_review import Answers, QuizReview, review_quiz
from waitroom.fan.survey_definitions import Question, Survey
from waitroom.storage.keys import QueueKeys
from waitroom.storage.scripts import QueueScripts

TEXT_ANSWERS_KEPT = 500
RESULT_TEXTS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Recorded:
    answers: Answers
    review: QuizReview | None
    """A quiz's review: the fan's answers against the right ones (None for a survey)."""


def _values(raw: Any, question: Question) -> list[str]:
    if raw is None or raw == "" or raw == []:
        return []
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(item, str) for item in items) or len(items) > len(question.options) + 1:
        raise InvalidInput(
            f"answer to {question.id!r} must be text or a list of option ids", field=question.id
        )
    return [item for item in items if item != ""]


def parse_answers(survey: Survey, data: dict[str, Any]) -> Answers:
    """Validate answers (JSON values, or lists of form values). Raises InvalidInput."""
    unknown = sorted(key for key in data if survey.question(key) is None)
    if unknown:
        raise InvalidInput(f"no question {unknown[0][:32]!r} in this survey", field=unknown[0][:32])
    answers: Answers = {}
    for question in survey.questions:
        values = _values(data.get(question.id), question)
        if not values:
            if question.required:
                raise InvalidInput(f"question {question.id!r} needs an answer", field=question.id)
            continue
        if question.type == "text":
            if len(values) != 1:
                raise InvalidInput(f"answer to {question.id!r} must be one text", field=question.id)
            text = clean_text(
                values[0],
                question.id,
                question.max_length,
                required=question.required,
                multiline=True,
            )
            if text:
                answers[question.id] = text
            continue
        valid = {option.id for option in question.options}
        if any(value not in valid for value in values) or len(set(values)) != len(values):
            raise InvalidInput(
                f"answer to {question.id!r} is not among its options", field=question.id
            )
        if question.type == "single":
            if len(values) != 1:
                raise InvalidInput(f"question {question.id!r} takes one option", field=question.id)
            answers[question.id] = values[0]
        else:
            answers[question.id] = sorted(values)
    return answers


class SurveyAnswers:
    def __init__(self, scripts: QueueScripts) -> None:
        self.scripts = scripts
        self.redis: Redis = scripts.redis

    async def record(
        self, queue_id: str, visitor_id: str, survey: Survey, answers: Answers
    ) -> Recorded:
        fields = ["responses"]
        texts: list[tuple[str, str]] = []
        for question_id, value in answers.items():
            question = survey.question(question_id)
            fields.append(f"q:{question_id}:answered")
            if question is not None and question.type == "text" and isinstance(value, str):
                texts.append((question_id, value))
            elif isinstance(value, list):
                fields += [f"q:{question_id}:o:{option}" for option in value]
            else:
                fields.append(f"q:{question_id}:o:{value}")
        review: QuizReview | None = None
        if survey.kind == "quiz":
            review = review_quiz(survey, answers)
            fields.append(f"score:{review.score}")
        recorded = await self.scripts.survey_answer(
            queue_id,
            survey.id,
            visitor_id,
            orjson.dumps(answers).decode(),
            fields,
            texts,
            TEXT_ANSWERS_KEPT,
        )
        if not recorded:
            raise AlreadyAnswered(survey.id)
        return Recorded(answers, review)

    async def own_answers(
        self, queue_id: str, visitor_id: str, surveys: tuple[Survey, ...]
    ) -> dict[str, Answers]:
        """The answers this visitor gave, by survey id (surveys not answered are left out)."""
        if not surveys:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for survey in surveys:
                pipe.hget(QueueKeys(queue_id).survey_answers(survey.id), visitor_id)
            stored = await pipe.execute()
        given: dict[str, Answers] = {}
        for survey, raw in zip(surveys, stored, strict=True):
            if raw is not None:
                value = orjson.loads(raw)
                given[survey.id] = value if isinstance(value, dict) else {}
        return given
