"""The organizer's forms' fields in words: the one place where a refused field (a model's path
such as ``surveys[0].questions[1].max_length``, or a check's field) becomes the sentence the
page shows ("survey 1, question 2, longest answer: a number of at most 1000")."""

from __future__ import annotations

import re

from service_kit.errors import InvalidInput
from service_kit.form_fields import NOT_IN_FORM, sentence

FIELD_WORDS = {
    "action": "action",
    "queue_id": "queue id",
    "name": "name",
    "rate_per_minute": "admission rate",
    "active_shopper_cap": "active-shopper cap",
    "redirect_url": "shop address",
    "start": "opening",
    "opens_at": "opening time",
    "opens_at_local": "opening time",
    "time_zone": "time zone",
    "pause_reason": "pause reason",
    "confirm": "confirmation",
    "enabled": "autotune on/off",
    "min_rate_per_minute": "autotune's lowest rate",
    "max_rate_per_minute": "autotune's highest rate",
    "target_p95_ms": "target p95 (ms)",
    "max_error_percent": "error limit (%)",
    "max_error_ratio": "error limit (%)",
    "kind": "kind",
    "max_uses": "uses",
    "label": "label",
    "code_id": "code",
    "title": "title",
    "text": "text",
    "type": "answer type",
    "required": "must answer",
    "max_length": "longest answer",
    "options": "answers",
    "id": "id",
    "description": "description",
    "image_url": "image",
    "link_url": "link",
    "price": "price",
    "price_minor": "price",
    "currency": "currency",
}
"""Each form field as the page's labels call it."""

FORMATS = {
    "queue_id": "1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit",
    "opens_at_local": "a date and time like 2026-05-01T10:00",
    "max_error_percent": "a percentage like 2 or 0.5",
    "price": "an amount like 19.90",
    "currency": "a currency code like EUR",
}
"""What a field that is not in the expected form should look like (instead of its pattern)."""

_GROUP_WORDS = {
    "surveys": "survey",
    "questions": "question",
    "options": "answer",
    "upsells": "card",
}
_PATH_PART = re.compile(r"^(?P<name>[a-z0-9_]+)(?:\[(?P<index>\d+)\])?$")
_GROUP_PATH = re.compile(r"(surveys|questions|options|upsells)\[(\d+)\]")


def field_in_words(field: str) -> str:
    """``surveys[0].questions[1].max_length`` -> ``survey 1, question 2, longest answer``."""
    words = []
    for part in field.split("."):
        match = _PATH_PART.match(part)
        if match is None:
            words.append(part)
        elif match.group("index") is not None and match.group("name") in _GROUP_WORDS:
            words.append(f"{_GROUP_WORDS[match.group('name')]} {int(match.group('index')) + 1}")
        else:
            words.append(FIELD_WORDS.get(match.group("name"), match.group("name")))
    return ", ".join(words)


def _paths_in_words(detail: str) -> str:
    def name(match: re.Match[str]) -> str:
        return f"{_GROUP_WORDS[match.group(1)]} {int(match.group(2)) + 1}"

    return _GROUP_PATH.sub(name, detail.replace("].", "], "))


def message_of(error: InvalidInput) -> str:
    """What the page says about a refused form: the field in words and what to fix."""
    field = str(error.extra.get("field", ""))
    detail = error.detail
    path, separator, what = detail.partition(": ")
    if field and separator and path.startswith(field):
        what = sentence(what)  # the content API's own checks report msgspec's words
        if what == NOT_IN_FORM:
            what = FORMATS.get(path.rsplit(".", 1)[-1], what)
        return f"{field_in_words(path)}: {what}"
    if field and detail.startswith(f"{field} "):  # "redirect_url must be a path or ..."
        return f"{field_in_words(field)}{detail[len(field) :]}"
    return _paths_in_words(detail)
