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
from service_kit.lua import lua_source
from service_kit.text_input import clean_text
from waitroom.errors import AlreadyAnswered
from waitroom.fan.survey_definitions import Question, Survey
from waitroom.storage.keys import QueueKeys

TEXT_ANSWERS_KEPT = 500
RESULT_TEXTS_SHOWN = 20

Answers = dict[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class Recorded:
    answers: Answers
    score: int | None
    """Correct answers of a quiz (None for a survey)."""
    out_of: int


def answers_key(queue_id: str, survey_id: str) -> str:
    return QueueKeys(queue_id).part(f"survey:{survey_id}:answers")


def counts_key(queue_id: str, survey_id: str) -> str:
    return QueueKeys(queue_id).part(f"survey:{survey_id}:counts")


def texts_key(queue_id: str, survey_id: str, question_id: str) -> str:
    return QueueKeys(queue_id).part(f"survey:{survey_id}:text:{question_id}")


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


def quiz_score(survey: Survey, answers: Answers) -> tuple[int, int]:
    scored = [question for question in survey.questions if question.type != "text"]
    correct = 0
    for question in scored:
        chosen = answers.get(question.id)
        chosen_set = {chosen} if isinstance(chosen, str) else set(chosen or [])
        if chosen_set == {option.id for option in question.options if option.correct}:
            correct += 1
    return correct, len(scored)


class SurveyAnswers:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        script = lua_source("waitroom.storage", "survey_answer")
        self._record = redis.register_script(script)

    async def record(
        self, queue_id: str, visitor_id: str, survey: Survey, answers: Answers
    ) -> Recorded:
        fields = ["responses"]
        text_keys: list[str] = []
        texts: list[str] = []
        for question_id, value in answers.items():
            question = survey.question(question_id)
            fields.append(f"q:{question_id}:answered")
            if question is not None and question.type == "text" and isinstance(value, str):
                text_keys.append(texts_key(queue_id, survey.id, question_id))
                texts.append(value)
            elif isinstance(value, list):
                fields += [f"q:{question_id}:o:{option}" for option in value]
            else:
                fields.append(f"q:{question_id}:o:{value}")
        score: int | None = None
        out_of = 0
        if survey.kind == "quiz":
            score, out_of = quiz_score(survey, answers)
            fields.append(f"score:{score}")
        keys = [answers_key(queue_id, survey.id), counts_key(queue_id, survey.id), *text_keys]
        args: list[str | int] = [visitor_id, orjson.dumps(answers).decode(), len(fields), *fields]
        args += [*texts, TEXT_ANSWERS_KEPT]
        if not int(await self._record(keys=keys, args=args)):
            raise AlreadyAnswered(survey.id)
        return Recorded(answers, score, out_of)

    async def answered(
        self, queue_id: str, visitor_id: str, surveys: tuple[Survey, ...]
    ) -> set[str]:
        if not surveys:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for survey in surveys:
                pipe.hexists(answers_key(queue_id, survey.id), visitor_id)
            flags = await pipe.execute()
        return {survey.id for survey, flag in zip(surveys, flags, strict=True) if flag}
