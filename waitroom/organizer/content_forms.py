"""The dashboard's content editor as plain HTML forms: surveys, quizzes and upsell cards.

The form is the organizer's view of the content documents of the admin API (``PUT
.../surveys``, ``.../upsells``): it is decoded into :class:`~waitroom.organizer.form_models.
ContentForm` (field names ``s<i>-title``, ``s<i>-q<j>-text``, ``u<i>-link_url`` by position,
see the model), then turned into those very documents
(:class:`~waitroom.fan.survey_definitions.SurveysDocument`,
:class:`~waitroom.fan.upsell_definitions.UpsellsDocument`) and checked by the same validators
(:func:`~waitroom.fan.survey_definitions.parse_surveys`,
:func:`~waitroom.fan.upsell_definitions.parse_upsells`), so the form, the API and the fan page
accept the same things. What the form adds: answers are typed one per line (in a quiz a line
starting with ``*`` is a correct answer), a price is typed like ``19.90`` in the currency's
units, and organizers never type ids: existing surveys and questions keep theirs (hidden
``-id`` fields, so answers already given stay counted), new ones get one from their title, and
an answer's id comes from its text (an answer whose text changes is a new answer). Rows left
blank or ticked "remove" are left out; a refused field is named by its position in the form.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from msgspec import UnsetType

from service_kit.errors import InvalidInput
from service_kit.form_fields import decimal_of, decode_form, unflatten
from service_kit.models import convert
from waitroom.fan.survey_definitions import (
    ITEM_ID_PATTERN,
    MAX_QUESTIONS,
    MAX_SURVEYS,
    Survey,
    SurveysDocument,
    parse_surveys,
)
from waitroom.fan.upsell_definitions import MAX_UPSELLS, Upsell, UpsellsDocument, parse_upsells
from waitroom.organizer.form_models import (
    CONTENT_GROUPS,
    CardRow,
    ContentForm,
    QuestionRow,
    SurveyRow,
)

MAX_SURVEY_SLOTS = MAX_SURVEYS
MAX_QUESTION_SLOTS = MAX_QUESTIONS
MAX_UPSELL_SLOTS = MAX_UPSELLS
_NOT_ID = re.compile(r"[^a-z0-9]+")
_POSITION = re.compile(r"^(?P<group>surveys|questions|upsells)\[(?P<index>\d+)\]$")


def item_id(text: str, prefix: str, taken: set[str]) -> str:
    """An id for a new item from its text (``Favourite song?`` -> ``favourite-song``), unique
    among ``taken``; non-Latin texts get a short hash of the text."""
    slug = _NOT_ID.sub("-", text.lower()).strip("-")[:28].strip("-")
    if not slug or not ITEM_ID_PATTERN.match(slug):
        slug = prefix + hashlib.sha1(text.encode()).hexdigest()[:8]
    candidate, number = slug, 2
    while candidate in taken:
        candidate = f"{slug[:28]}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def kept_or_new_id(existing: str, text: str, id_prefix: str, taken: set[str]) -> str:
    """``existing`` (the item's hidden id field) when that is a valid id not yet in ``taken``,
    else a new one from its text (:func:`item_id` with ``id_prefix``)."""
    if existing and ITEM_ID_PATTERN.match(existing) and existing not in taken:
        taken.add(existing)
        return existing
    return item_id(text, id_prefix, taken)


class _Positions:
    """Where each kept survey, question and card sits in the form (rows left blank or removed
    are not in the documents), to name a refused field by its place in the form."""

    def __init__(self) -> None:
        self.surveys: list[int] = []
        self.questions: list[list[int]] = []
        self.upsells: list[int] = []

    def form_field(self, field: str) -> str:
        """``surveys[0].questions[1].text`` of the document as the form's positions."""
        parts = field.split(".")
        survey = -1
        for number, part in enumerate(parts):
            match = _POSITION.match(part)
            if match is None:
                continue
            group, index = match.group("group"), int(match.group("index"))
            if group == "surveys" and index < len(self.surveys):
                survey = index
                parts[number] = f"surveys[{self.surveys[index]}]"
            elif group == "questions" and survey >= 0 and index < len(self.questions[survey]):
                parts[number] = f"questions[{self.questions[survey][index]}]"
            elif group == "upsells" and index < len(self.upsells):
                parts[number] = f"upsells[{self.upsells[index]}]"
        return ".".join(parts)

    def refused(self, error: InvalidInput) -> InvalidInput:
        field = str(error.extra.get("field", ""))
        if not field:
            return error
        detail = error.detail
        if detail.startswith(field):
            detail = self.form_field(field) + detail[len(field) :]
        return InvalidInput(detail, field=self.form_field(field))


def content_form(fields: Mapping[str, str]) -> ContentForm:
    """The editor's flat fields as the model (raises InvalidInput naming the field)."""
    return decode_form(unflatten(fields, CONTENT_GROUPS), ContentForm)


def content_of(form: ContentForm) -> tuple[tuple[Survey, ...], tuple[Upsell, ...]]:
    """The surveys and cards the form describes, checked as the API checks them (raises
    InvalidInput naming the field by its position in the form)."""
    positions = _Positions()
    try:
        surveys = _surveys_document(form.surveys, positions)
        upsells = _upsells_document(form.upsells, positions)
        return (
            parse_surveys(convert(surveys, SurveysDocument)),
            parse_upsells(convert(upsells, UpsellsDocument)),
        )
    except InvalidInput as error:
        raise positions.refused(error) from None


def _surveys_document(rows: list[SurveyRow], positions: _Positions) -> dict[str, Any]:
    surveys: list[dict[str, Any]] = []
    taken_surveys: set[str] = set()
    for index, row in enumerate(rows):
        kept = [
            (number, question)
            for number, question in enumerate(row.questions)
            if not question.remove and (question.text or question.options.strip())
        ]
        if row.remove or (not row.title and not kept):
            continue
        quiz = row.kind == "quiz"
        taken_questions: set[str] = set()
        questions = [_question(question, quiz, taken_questions) for _, question in kept]
        positions.surveys.append(index)
        positions.questions.append([number for number, _ in kept])
        surveys.append(
            {
                "id": kept_or_new_id(row.id, row.title, "s", taken_surveys),
                "title": row.title,
                "kind": row.kind,
                "questions": questions,
            }
        )
    return {"surveys": surveys}


def _question(row: QuestionRow, quiz: bool, taken: set[str]) -> dict[str, Any]:
    question: dict[str, Any] = {
        "id": kept_or_new_id(row.id, row.text, "q", taken),
        "text": row.text,
        "type": row.type,
        "required": row.required == "on",
    }
    if row.type == "text":
        question["max_length"] = row.max_length
    else:  # a survey has no right answers: a leading * is just dropped
        question["options"] = _options(row.options, quiz)
    return question


def _options(text: str, quiz: bool) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = []
    taken: set[str] = set()
    for line in text.replace("\r\n", "\n").split("\n"):
        label = line.strip()
        correct = label.startswith("*")
        label = label.lstrip("*").strip()
        if label:
            options.append(
                {"id": item_id(label, "o", taken), "label": label, "correct": quiz and correct}
            )
    return options


def _upsells_document(rows: list[CardRow], positions: _Positions) -> dict[str, Any]:
    cards: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index, row in enumerate(rows):
        if row.remove or (not row.title and not row.link_url):
            continue
        positions.upsells.append(index)
        currency = row.currency.upper()
        cards.append(
            {
                "id": kept_or_new_id(row.id, row.title, "u", taken),
                "title": row.title,
                "description": row.description,
                "image_url": row.image_url,
                "price_minor": _price_minor(row.price, currency, len(cards)),
                "currency": currency,
                "link_url": row.link_url,
            }
        )
    return {"upsells": cards}


def _price_minor(text: str | UnsetType, currency: str, position: int) -> int | None:
    """The price in minor units of ``currency`` (``19.90`` EUR -> 1990); ``position`` is the
    card's place in the document (the error names the price_minor there)."""
    if not isinstance(text, str):
        return None
    minor = decimal_of(text).scaleb(get_currency_precision(currency))
    if minor != minor.to_integral_value():
        where = f"upsells[{position}].price_minor"
        raise InvalidInput(f"{where}: an amount like 19.90 in {currency}", field=where)
    return int(minor)


def survey_rows(surveys: tuple[Survey, ...]) -> list[dict[str, Any]]:
    """The form's values for stored surveys (plus one empty survey and question to add)."""
    rows: list[dict[str, Any]] = []
    for survey in surveys:
        questions = [
            {
                "id": question.id,
                "text": str(question.text),
                "type": question.type,
                "required": question.required,
                "max_length": question.max_length,
                "options": "\n".join(
                    ("* " if option.correct and survey.kind == "quiz" else "") + str(option.label)
                    for option in question.options
                ),
            }
            for question in survey.questions
        ]
        rows.append(
            {
                "id": survey.id,
                "title": str(survey.title),
                "kind": survey.kind,
                "questions": questions,
            }
        )
    return rows


def upsell_rows(upsells: tuple[Upsell, ...]) -> list[dict[str, Any]]:
    rows = []
    for upsell in upsells:
        price = ""
        if upsell.price_minor is not None:
            precision = get_currency_precision(upsell.currency)
            price = f"{Decimal(upsell.price_minor).scaleb(-precision):.{precision}f}"
        shown = {"title": str(upsell.title), "description": str(upsell.description)}
        rows.append({**upsell.document(), **shown, "price": price})
    return rows


def _draft_groups(fields: Mapping[str, str], group: str, slots: int) -> list[dict[str, Any]]:
    try:
        rows = unflatten(fields, CONTENT_GROUPS).get(group, [])
    except InvalidInput:
        return []
    if not isinstance(rows, list):
        return []
    return [row for row in rows[:slots] if isinstance(row, dict)]


def _text(row: Mapping[str, Any], name: str, default: str = "") -> str:
    value = row.get(name, default)
    return value if isinstance(value, str) else default


def draft_survey_rows(fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """The form's surveys as typed (a refused form is shown again as it was)."""
    rows: list[dict[str, Any]] = []
    for survey in _draft_groups(fields, "surveys", MAX_SURVEY_SLOTS):
        questions = [
            {
                "id": _text(question, "id"),
                "text": _text(question, "text"),
                "type": _text(question, "type", "single"),
                "required": _text(question, "required") == "on",
                "max_length": _text(question, "max_length", "200"),
                "options": _text(question, "options"),
            }
            for question in survey.get("questions", [])[:MAX_QUESTION_SLOTS]
            if isinstance(question, dict)
        ]
        typed = [
            question
            for question in questions
            if str(question["text"]).strip() or str(question["options"]).strip()
        ]
        title = _text(survey, "title")
        if title.strip() or typed:
            rows.append(
                {
                    "id": _text(survey, "id"),
                    "title": title,
                    "kind": _text(survey, "kind", "survey"),
                    "questions": typed,
                }
            )
    return rows


def draft_upsell_rows(fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """The form's cards as typed."""
    rows = []
    for card in _draft_groups(fields, "upsells", MAX_UPSELL_SLOTS):
        values = {
            name: _text(card, name)
            for name in ("id", "title", "description", "image_url", "price", "currency", "link_url")
        }
        if values["title"].strip() or values["link_url"].strip():
            rows.append(values)
    return rows
