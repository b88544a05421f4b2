"""HTML forms read through typed models: flat field names to nested lists, then one model.

A form post is flat text (``name=value`` pairs). :func:`unflatten` turns position-numbered
names (``s0-q1-text``: survey 0, question 1, its text) into nested lists of objects, so that a
form with repeated groups decodes into the same kind of nested model as a JSON document;
:func:`decode_form` decodes the fields into a :mod:`msgspec` model (numbers and choices read
from their text) and turns a validation error into :class:`InvalidInput` whose field is the
model's path (``surveys[0].questions[1].max_length``) and whose detail is a sentence
(:func:`sentence`), for the page to name in the organizer's words.

HTML forms send every text input, filled or not: an empty field is read as an absent one (the
model's default applies, or the field is missing), and the spaces around a value are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar, overload

import msgspec
from msgspec import UnsetType

from service_kit.errors import InvalidInput
from service_kit.models import detail_of, field_of

T = TypeVar("T")

MAX_GROUP_INDEX = 100
"""The highest position a group may have (``s99-...``): no form has more slots."""

Checkbox = Literal["on"] | UnsetType
"""A checkbox: browsers send ``on`` when it is ticked and nothing when it is not (default
:data:`msgspec.UNSET`)."""

DECIMAL_PATTERN = r"^[0-9]{1,12}([.,][0-9]{1,6})?$"
DecimalText = Annotated[
    str, msgspec.Meta(pattern=DECIMAL_PATTERN, description="a number like 19.90 or 19,90")
]
"""A decimal number as typed, with a decimal point or comma (see :func:`decimal_of`)."""

NOT_IN_FORM = "not in the expected form"
"""The sentence of a value that does not match its pattern (a page may say what it should
look like instead)."""

_GROUP = re.compile(r"^(?P<group>[a-z]+)(?P<index>[0-9]{1,6})$")
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Object missing required field"), "fill this in"),
    (re.compile(r"^Expected `int`, got"), "a whole number"),
    (re.compile(r"^Expected `float`, got"), "a number"),
    (re.compile(r"^Expected `int` >= 1$"), "a whole number of at least 1"),
    (re.compile(r"^Expected `(?:int|float)` >= (?P<a>\S+)$"), "a number of at least {a}"),
    (re.compile(r"^Expected `(?:int|float)` <= (?P<a>\S+)$"), "a number of at most {a}"),
    (re.compile(r"^Expected `str` of length <= (?P<a>\d+)$"), "at most {a} characters"),
    (re.compile(r"^Expected `str` of length >= (?P<a>\d+)$"), "at least {a} characters"),
    (re.compile(r"^Expected `array` of length <= (?P<a>\d+)$"), "at most {a} of them"),
    (re.compile(r"^Expected `array` of length >= (?P<a>\d+)$"), "at least {a}"),
    (re.compile(r"^Expected `str` matching regex"), NOT_IN_FORM),
    (re.compile(r"^Invalid (?:enum )?value"), "not one of the choices"),
    (re.compile(r"^Expected `(?:str|null)"), "one of the choices"),
)


def unflatten(
    fields: Mapping[str, str], groups: Mapping[str, str], max_index: int = MAX_GROUP_INDEX
) -> dict[str, Any]:
    """Flat form fields with position-numbered names as nested lists.

    A name is ``-``-separated: every part but the last is a group letter and a position
    (``groups`` names the list of each letter), the last part the field. With
    ``groups={"s": "surveys", "q": "questions"}``, ``s1-q0-text`` becomes
    ``{"surveys": [{}, {"questions": [{"text": ...}]}]}``: positions left out are empty
    objects, so a position in the lists is the position in the form. Names that are not of
    this shape (``csrf_token``) are kept as they are. A position above ``max_index`` raises
    :class:`InvalidInput`.
    """
    result: dict[str, Any] = {}
    for name, value in fields.items():
        parts = name.split("-")
        matches = [_GROUP.match(part) for part in parts[:-1]]
        if (
            len(parts) < 2
            or not parts[-1]
            or not all(match is not None and match.group("group") in groups for match in matches)
        ):
            result.setdefault(name, value)
            continue
        target = result
        for match in matches:
            assert match is not None
            index = int(match.group("index"))
            if index > max_index:
                raise InvalidInput(f"{name}: at most {max_index + 1} of these", field=name)
            items = target.setdefault(groups[match.group("group")], [])
            if not isinstance(items, list):
                raise InvalidInput(f"{name}: not a field of this form", field=name)
            items.extend({} for _ in range(index + 1 - len(items)))
            target = items[index]
        target[parts[-1]] = value
    return result


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, list):
        return [_cleaned(item) if isinstance(item, dict) else item for item in value]
    if isinstance(value, dict):
        return {
            name: cleaned for name, item in value.items() if (cleaned := _cleaned(item)) is not None
        }
    return value


def sentence(message: str) -> str:
    """A msgspec validation message (without its path) as a few plain words."""
    for pattern, words in _MESSAGES:
        match = pattern.match(message)
        if match:
            return words.format(**match.groupdict())
    return message


@overload
def decode_form(fields: Mapping[str, Any], model: type[T]) -> T: ...


@overload
def decode_form(fields: Mapping[str, Any], model: Any) -> Any: ...


def decode_form(fields: Mapping[str, Any], model: Any) -> Any:
    """The form's fields (flat, or nested by :func:`unflatten`) as ``model`` (a model, or a
    union of tagged models): values without
    the spaces around them, empty ones left out, numbers read from their text. Raises
    :class:`InvalidInput` whose field is the path in the model and whose detail is
    ``<path>: <sentence>``."""
    try:
        return msgspec.convert(_cleaned(dict(fields)), model, strict=False)
    except msgspec.ValidationError as error:
        field = field_of(error)
        plain = detail_of(error, "body")
        raise InvalidInput(f"{field}: {sentence(plain)}", field=field) from None


def decimal_of(text: str) -> Decimal:
    """A :data:`DecimalText` value (``19,90`` or ``19.90``) as a :class:`Decimal`."""
    return Decimal(text.replace(",", "."))
