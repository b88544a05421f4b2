"""Organizer-defined surveys and quizzes: the definition models and their checks (no I/O).

A definition document is ``{"surveys": [Survey, ...]}`` (:class:`SurveysDocument`); each
survey has questions of type
``single`` / ``multiple`` (options) or ``text`` (free text up to ``max_length`` characters).
A quiz marks correct options with ``"correct": true``; fans see their score after answering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

from service_kit.errors import InvalidInput
from service_kit.models import Model, convert
from service_kit.text_input import clean_text

ITEM_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_SURVEYS = 10
MAX_QUESTIONS = 10
MAX_OPTIONS = 12
MAX_LABEL_CHARS = 300
MAX_TEXT_ANSWER_CHARS = 1000
DEFAULT_TEXT_ANSWER_CHARS = 200


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


ItemId = Annotated[
    str, msgspec.Meta(pattern=ITEM_ID_PATTERN.pattern, description="1-32 of a-z 0-9 _ -")
]
Label = Annotated[str, msgspec.Meta(description=f"at most {MAX_LABEL_CHARS} characters")]


class OptionDefinition(Model):
    id: ItemId
    label: Label
    correct: bool = False


class QuestionDefinition(Model):
    """A question: ``single`` / ``multiple`` choice among 1-12 options, or ``text``."""

    id: ItemId
    text: Label
    type: Literal["single", "multiple", "text"] = "single"
    required: bool = True
    options: Annotated[list[OptionDefinition], msgspec.Meta(max_length=MAX_OPTIONS)] = (
        msgspec.field(default_factory=list)
    )
    max_length: Annotated[int, msgspec.Meta(ge=1, le=MAX_TEXT_ANSWER_CHARS)] = (
        DEFAULT_TEXT_ANSWER_CHARS
    )


class SurveyDefinition(Model):
    """A survey, or a quiz (its questions mark the correct options)."""

    id: ItemId
    title: Label
    questions: Annotated[
        list[QuestionDefinition], msgspec.Meta(min_length=1, max_length=MAX_QUESTIONS)
    ]
    kind: Literal["survey", "quiz"] = "survey"


class SurveysDocument(Model):
    """The queue's surveys and quizzes (an empty list clears them)."""

    surveys: Annotated[list[SurveyDefinition], msgspec.Meta(max_length=MAX_SURVEYS)]


def _unique(ids: list[str], where: str) -> None:
    if len(set(ids)) != len(ids):
        raise InvalidInput(f"{where}: ids must be unique", field=where)


def parse_question(definition: QuestionDefinition, where: str, is_quiz: bool) -> Question:
    options: list[Option] = []
    if definition.type != "text":
        if not definition.options:
            raise InvalidInput(f"{where}.options: 1 to {MAX_OPTIONS} options", field=where)
        for index, option in enumerate(definition.options):
            label = clean_text(option.label, f"{where}.options[{index}].label", MAX_LABEL_CHARS)
            options.append(Option(option.id, label, option.correct))
        _unique([option.id for option in options], f"{where}.options")
        if is_quiz and not any(option.correct for option in options):
            raise InvalidInput(f"{where}: a quiz question needs a correct option", field=where)
    return Question(
        definition.id,
        clean_text(definition.text, f"{where}.text", MAX_LABEL_CHARS),
        definition.type,
        tuple(options),
        definition.max_length if definition.type == "text" else DEFAULT_TEXT_ANSWER_CHARS,
        definition.required,
    )


def parse_survey(definition: SurveyDefinition, where: str) -> Survey:
    questions = [
        parse_question(item, f"{where}.questions[{index}]", definition.kind == "quiz")
        for index, item in enumerate(definition.questions)
    ]
    _unique([question.id for question in questions], f"{where}.questions")
    title = clean_text(definition.title, f"{where}.title", MAX_LABEL_CHARS)
    return Survey(definition.id, title, definition.kind, tuple(questions))


def parse_surveys(document: SurveysDocument | Any) -> tuple[Survey, ...]:
    """An organizer's ``{"surveys": [...]}`` document (a model, or decoded JSON as stored),
    checked beyond its types: unique ids, a correct option per quiz question, typed text."""
    if not isinstance(document, SurveysDocument):
        document = convert(document, SurveysDocument)
    surveys = tuple(
        parse_survey(item, f"surveys[{index}]") for index, item in enumerate(document.surveys)
    )
    _unique([survey.id for survey in surveys], "surveys")
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
