"""The dashboard's content editor as plain HTML forms: surveys, quizzes and upsell cards.

The form is the organizer's view of the content documents of the admin API (``PUT
.../surveys``, ``.../upsells``); it is turned into those very documents and checked by the same
validators (:func:`~waitroom.fan.survey_definitions.parse_surveys`,
:func:`~waitroom.fan.upsell_definitions.parse_upsells`), so the form, the API and the fan page
accept the same things.

Field names: ``s<i>-title``, ``s<i>-kind``, ``s<i>-remove`` and per question
``s<i>-q<j>-text``, ``-type``, ``-required``, ``-max_length``, ``-options`` (one answer per line;
in a quiz a line starting with ``*`` is a correct answer); ``u<i>-title``, ``-description``,
``-image_url``, ``-price`` (e.g. ``19.90``), ``-currency``, ``-link_url``, ``-remove``.
Organizers never type ids: existing surveys and questions keep theirs (hidden ``-id`` fields,
so answers already given stay counted), new ones get one from their title, and an answer's id
comes from its text (an answer whose text changes is a new answer).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision

from service_kit.errors import InvalidInput
from waitroom.fan.survey_definitions import ITEM_ID_PATTERN, Survey
from waitroom.fan.upsell_definitions import Upsell

MAX_SURVEY_SLOTS = 10
MAX_QUESTION_SLOTS = 10
MAX_UPSELL_SLOTS = 12
_NOT_ID = re.compile(r"[^a-z0-9]+")
_FIELD_PATH = re.compile(r"(surveys|questions|options|upsells)\[(\d+)\]")
_PATH_WORDS = {"surveys": "survey", "questions": "question", "options": "answer", "upsells": "card"}


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


def kept_or_new_id(
    form: dict[str, str], field_prefix: str, text: str, id_prefix: str, taken: set[str]
) -> str:
    """The item's id from its hidden ``<field_prefix>id`` field when that is a valid id not yet
    in ``taken``, else a new one from its text (:func:`item_id` with ``id_prefix``)."""
    existing = form.get(field_prefix + "id", "")
    if existing and ITEM_ID_PATTERN.match(existing) and existing not in taken:
        taken.add(existing)
        return existing
    return item_id(text, id_prefix, taken)


def in_words(detail: str) -> str:
    """``surveys[0].questions[1].text is required`` -> ``survey 1, question 2, text is
    required``: the validators' paths as the form's numbering."""

    def name(match: re.Match[str]) -> str:
        return f"{_PATH_WORDS[match.group(1)]} {int(match.group(2)) + 1}"

    return _FIELD_PATH.sub(name, detail.replace("].", "], "))


def _checked(form: dict[str, str], name: str) -> bool:
    return form.get(name) in {"on", "yes", "1", "true"}


def surveys_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The ``{"surveys": [...]}`` document the form describes (not validated yet)."""
    surveys: list[dict[str, Any]] = []
    taken_surveys: set[str] = set()
    for index in range(MAX_SURVEY_SLOTS):
        prefix = f"s{index}-"
        title = form.get(prefix + "title", "").strip()
        questions = _questions(form, prefix)
        if _checked(form, prefix + "remove") or (not title and not questions):
            continue
        survey_id = kept_or_new_id(form, prefix, title, "s", taken_surveys)
        quiz = form.get(prefix + "kind") == "quiz"
        if not quiz:  # a survey has no right answers: a leading * is just dropped
            for question in questions:
                for option in question.get("options", []):
                    option["correct"] = False
        surveys.append(
            {
                "id": survey_id,
                "title": title,
                "kind": "quiz" if quiz else "survey",
                "questions": questions,
            }
        )
    return {"surveys": surveys}


def _questions(form: dict[str, str], survey_prefix: str) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index in range(MAX_QUESTION_SLOTS):
        prefix = f"{survey_prefix}q{index}-"
        text = form.get(prefix + "text", "").strip()
        options_text = form.get(prefix + "options", "")
        if _checked(form, prefix + "remove") or (not text and not options_text.strip()):
            continue
        question_id = kept_or_new_id(form, prefix, text, "q", taken)
        kind = form.get(prefix + "type", "single")
        question: dict[str, Any] = {
            "id": question_id,
            "text": text,
            "type": kind if kind in {"single", "multiple", "text"} else "single",
            "required": _checked(form, prefix + "required"),
        }
        if question["type"] == "text":
            length = form.get(prefix + "max_length", "").strip() or "200"
            if not length.isdigit():
                raise InvalidInput(
                    f"the longest answer of {text[:40]!r} is a whole number of characters",
                    field=prefix + "max_length",
                )
            question["max_length"] = int(length)
        else:
            question["options"] = _options(options_text)
        questions.append(question)
    return questions


def _options(text: str) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = []
    taken: set[str] = set()
    for line in text.replace("\r\n", "\n").split("\n"):
        label = line.strip()
        correct = label.startswith("*")
        label = label.lstrip("*").strip()
        if label:
            options.append({"id": item_id(label, "o", taken), "label": label, "correct": correct})
    return options


def upsells_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The ``{"upsells": [...]}`` document the form describes (not validated yet)."""
    cards: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index in range(MAX_UPSELL_SLOTS):
        prefix = f"u{index}-"
        title = form.get(prefix + "title", "").strip()
        link = form.get(prefix + "link_url", "").strip()
        if _checked(form, prefix + "remove") or (not title and not link):
            continue
        card_id = kept_or_new_id(form, prefix, title, "u", taken)
        currency = form.get(prefix + "currency", "").strip().upper() or "EUR"
        cards.append(
            {
                "id": card_id,
                "title": title,
                "description": form.get(prefix + "description", ""),
                "image_url": form.get(prefix + "image_url", "").strip(),
                "price_minor": _price_minor(form.get(prefix + "price", ""), currency, index),
                "currency": currency,
                "link_url": link,
            }
        )
    return {"upsells": cards}


def _price_minor(text: str, currency: str, index: int) -> int | None:
    value = text.strip().replace(",", ".").replace(" ", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
        precision = get_currency_precision(currency) if len(currency) == 3 else 2
    except (InvalidOperation, ValueError):
        amount, precision = Decimal(-1), 2
    minor = amount.scaleb(precision)
    if amount < 0 or minor != minor.to_integral_value():
        raise InvalidInput(
            f"card {index + 1}, price: an amount like 19.90", field=f"upsells[{index}].price_minor"
        )
    return int(minor)


def survey_rows(surveys: tuple[Survey, ...]) -> list[dict[str, Any]]:
    """The form's values for stored surveys (plus one empty survey and question to add)."""
    rows: list[dict[str, Any]] = []
    for survey in surveys:
        questions = [
            {
                "id": question.id,
                "text": question.text,
                "type": question.type,
                "required": question.required,
                "max_length": question.max_length,
                "options": "\n".join(
                    ("* " if option.correct and survey.kind == "quiz" else "") + option.label
                    for option in question.options
                ),
            }
            for question in survey.questions
        ]
        rows.append(
            {"id": survey.id, "title": survey.title, "kind": survey.kind, "questions": questions}
        )
    return rows


def upsell_rows(upsells: tuple[Upsell, ...]) -> list[dict[str, Any]]:
    rows = []
    for upsell in upsells:
        price = ""
        if upsell.price_minor is not None:
            precision = get_currency_precision(upsell.currency)
            price = f"{Decimal(upsell.price_minor).scaleb(-precision):.{precision}f}"
        rows.append({**upsell.document(), "price": price})
    return rows


def draft_survey_rows(form: dict[str, str]) -> list[dict[str, Any]]:
    """The form's values as typed (a refused form is shown again as it was)."""
    rows: list[dict[str, Any]] = []
    for index in range(MAX_SURVEY_SLOTS):
        prefix = f"s{index}-"
        questions = []
        for number in range(MAX_QUESTION_SLOTS):
            question_prefix = f"{prefix}q{number}-"
            if not any(name.startswith(question_prefix) for name in form):
                continue
            questions.append(
                {
                    "id": form.get(question_prefix + "id", ""),
                    "text": form.get(question_prefix + "text", ""),
                    "type": form.get(question_prefix + "type", "single"),
                    "required": _checked(form, question_prefix + "required"),
                    "max_length": form.get(question_prefix + "max_length", "200"),
                    "options": form.get(question_prefix + "options", ""),
                }
            )
        title = form.get(prefix + "title", "")
        typed = [
            question
            for question in questions
            if str(question["text"]).strip() or str(question["options"]).strip()
        ]
        if title.strip() or typed:
            rows.append(
                {
                    "id": form.get(prefix + "id", ""),
                    "title": title,
                    "kind": form.get(prefix + "kind", "survey"),
                    "questions": typed,
                }
            )
    return rows


def draft_upsell_rows(form: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for index in range(MAX_UPSELL_SLOTS):
        prefix = f"u{index}-"
        values = {
            name: form.get(prefix + name, "")
            for name in ("id", "title", "description", "image_url", "price", "currency", "link_url")
        }
        if values["title"].strip() or values["link_url"].strip():
            rows.append(values)
    return rows
