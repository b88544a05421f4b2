"""Organizer-defined surveys and quizzes: validation of the definitions (no I/O).

A definition document is ``{"surveys": [Survey, ...]}``; each survey has questions of type
``single`` / ``multiple`` (options) or ``text`` (free text up to ``max_length`` characters).
A quiz marks correct options with ``"correct": true``; fans see their score after answering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from service_kit.errors import InvalidInput
from service_kit.text_input import clean_text

ITEM_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_SURVEYS = 10
MAX_QUESTIONS = 10
MAX_OPTIONS = 12
MAX_LABEL_CHARS = 300
MAX_TEXT_ANSWER_CHARS = 1000
DEFAULT_TEXT_ANSWER_CHARS = 200
QUESTION_TYPES = ("single", "multiple", "text")
SURVEY_KINDS = ("survey", "quiz")


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str
    correct: bool


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    type: str
    options: tuple[Option, ...]
    max_length: int
    required: bool


@dataclass(frozen=True, slots=True)
class Survey:
    id: str
    title: str
    kind: str
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        return next((item for item in self.questions if item.id == question_id), None)


def checked_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not ITEM_ID_PATTERN.match(value):
        raise InvalidInput(f"{where}: id must be 1-32 chars of a-z, 0-9, '_' or '-'", field=where)
    return value


def _list(value: Any, where: str, maximum: int) -> list[Any]:
    if not isinstance(value, list) or not value or len(value) > maximum:
        raise InvalidInput(f"{where}: a list of 1 to {maximum} items", field=where)
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: must be an object", field=where)
    return value


def parse_question(raw: Any, where: str, is_quiz: bool) -> Question:
    data = _object(raw, where)
    question_id = checked_id(data.get("id"), f"{where}.id")
    question_type = data.get("type", "single")
    if question_type not in QUESTION_TYPES:
        raise InvalidInput(f"{where}.type: one of {', '.join(QUESTION_TYPES)}", field=where)
    required = data.get("required", True)
    if not isinstance(required, bool):
        raise InvalidInput(f"{where}.required: true or false", field=where)
    options: list[Option] = []
    max_length = DEFAULT_TEXT_ANSWER_CHARS
    if question_type == "text":
        max_length = data.get("max_length", DEFAULT_TEXT_ANSWER_CHARS)
        if (
            not isinstance(max_length, int)
            or isinstance(max_length, bool)
            or not 1 <= max_length <= MAX_TEXT_ANSWER_CHARS
        ):
            raise InvalidInput(
                f"{where}.max_length: an integer 1..{MAX_TEXT_ANSWER_CHARS}", field=where
            )
    else:
        for index, raw_option in enumerate(_list(data.get("options"), f"{where}.options", 12)):
            option = _object(raw_option, f"{where}.options[{index}]")
            correct = option.get("correct", False)
            if not isinstance(correct, bool):
                raise InvalidInput(f"{where}.options[{index}].correct: true or false", field=where)
            options.append(
                Option(
                    checked_id(option.get("id"), f"{where}.options[{index}].id"),
                    clean_text(
                        option.get("label"), f"{where}.options[{index}].label", MAX_LABEL_CHARS
                    ),
                    correct,
                )
            )
        if len({option.id for option in options}) != len(options):
            raise InvalidInput(f"{where}.options: ids must be unique", field=where)
        if is_quiz and not any(option.correct for option in options):
            raise InvalidInput(f"{where}: a quiz question needs a correct option", field=where)
    return Question(
        question_id,
        clean_text(data.get("text"), f"{where}.text", MAX_LABEL_CHARS),
        question_type,
        tuple(options),
        max_length,
        required,
    )


def parse_survey(raw: Any, where: str) -> Survey:
    data = _object(raw, where)
    kind = data.get("kind", "survey")
    if kind not in SURVEY_KINDS:
        raise InvalidInput(f"{where}.kind: one of {', '.join(SURVEY_KINDS)}", field=where)
    questions = [
        parse_question(item, f"{where}.questions[{index}]", kind == "quiz")
        for index, item in enumerate(_list(data.get("questions"), f"{where}.questions", 10))
    ]
    if len({question.id for question in questions}) != len(questions):
        raise InvalidInput(f"{where}.questions: ids must be unique", field=where)
    return Survey(
        checked_id(data.get("id"), f"{where}.id"),
        clean_text(data.get("title"), f"{where}.title", MAX_LABEL_CHARS),
        kind,
        tuple(questions),
    )


def parse_surveys(document: Any) -> tuple[Survey, ...]:
    """Validate an organizer's ``{"surveys": [...]}`` document (an empty list clears them)."""
    data = _object(document, "body")
    raw_list = data.get("surveys")
    if not isinstance(raw_list, list) or len(raw_list) > MAX_SURVEYS:
        raise InvalidInput(f"surveys: a list of at most {MAX_SURVEYS} surveys", field="surveys")
    surveys = tuple(parse_survey(item, f"surveys[{index}]") for index, item in enumerate(raw_list))
    if len({survey.id for survey in surveys}) != len(surveys):
        raise InvalidInput("surveys: ids must be unique", field="surveys")
    return surveys


def survey_document(survey: Survey, include_correct: bool) -> dict[str, Any]:
    """JSON form; fans get it without the correct answers."""
    questions: list[dict[str, Any]] = []
    for question in survey.questions:
        item: dict[str, Any] = {
            "id": question.id,
            "text": question.text,
            "type": question.type,
            "required": question.required,
        }
        if question.type == "text":
            item["max_length"] = question.max_length
        else:
            item["options"] = [
                {"id": option.id, "label": option.label}
                | ({"correct": option.correct} if include_correct else {})
                for option in question.options
            ]
        questions.append(item)
    return {"id": survey.id, "title": survey.title, "kind": survey.kind, "questions": questions}
