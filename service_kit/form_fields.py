"""HTML forms read through typed models: flat field names to nested lists, then one model.

A form post is flat text (``name=value`` pairs). :func:`unflatten` turns position-numbered
names (``s0-q1-text``: survey 0, question 1, its text) into nested lists of objects, so that a
form with repeated groups decodes into the same kind of nested model as a JSON document;
:func:`decode_form` decodes the fields into a :mod:`msgspec` model (numbers and choices read
from their text) and turns a validation error into :class:`InvalidInput` whose field is the
model's path (``surveys[0].questions[1].max_length``) and whose detail is a sentence
(:func:`sentence`), for the page to name in the organizer's words.

A posted form may also come as its ``(name, value)`` pairs, where a name may repeat;
:func:`form_values` shapes them for the model first:

- a field the model declares as a list (or a tuple or set) gets every value of its name
  (``ticket_id=a&ticket_id=b``), any other field the first value;
- a field named in the model's ``form_prefixes`` (:class:`FormModel`) gathers every form field
  whose name starts with the prefix into a mapping keyed by the rest of the name
  (``qty_standard=2`` becomes ``quantities={"standard": "2"}``).

HTML forms send every text input, filled or not: an empty field is read as an absent one (the
model's default applies, or the field is missing), and the spaces around a value are dropped.
:func:`form_body` describes a form as it is posted, for the OpenAPI document: the gathered
fields become ``patternProperties`` (``^qty_[A-Za-z0-9_-]{1,32}$``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, TypeVar, overload

import msgspec
from msgspec import UnsetType

from service_kit.errors import InvalidInput
from service_kit.models import Model, detail_of, field_of

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


class FormModel(Model):
    """Base of the form models whose form gathers fields by prefix: ``form_prefixes`` maps a
    mapping field's name to the prefix of the form fields it gathers (``{"quantities":
    "qty_"}``)."""

    form_prefixes: ClassVar[Mapping[str, str]] = {}


FormPairs = Iterable[tuple[str, str]]
"""A posted form as its ``(name, value)`` pairs, in order; a name may repeat."""

_MANY = (
    msgspec.inspect.ListType,
    msgspec.inspect.TupleType,
    msgspec.inspect.VarTupleType,
    msgspec.inspect.SetType,
    msgspec.inspect.FrozenSetType,
)


def _takes_many(field_type: msgspec.inspect.Type) -> bool:
    while isinstance(field_type, msgspec.inspect.Metadata):
        field_type = field_type.type
    if isinstance(field_type, msgspec.inspect.UnionType):
        return any(_takes_many(member) for member in field_type.types)
    return isinstance(field_type, _MANY)


def _many_fields(model: Any) -> set[str]:
    """The names of ``model``'s list fields (of every member of a union of models)."""
    info = msgspec.inspect.type_info(model)
    members = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    return {
        field.encode_name
        for member in members
        if isinstance(member, msgspec.inspect.StructType)
        for field in member.fields
        if _takes_many(field.type)
    }


def form_values(items: FormPairs, model: Any) -> dict[str, Any]:
    """The form's ``(name, value)`` pairs shaped for ``model`` (see the module's text)."""
    many = _many_fields(model)
    prefixes: Mapping[str, str] = getattr(model, "form_prefixes", {})
    values: dict[str, Any] = {name: {} for name in prefixes}
    for name, value in items:
        gathered = next(
            (
                field
                for field, prefix in prefixes.items()
                if name.startswith(prefix) and len(name) > len(prefix)
            ),
            None,
        )
        if gathered is not None:
            if value.strip():
                values[gathered].setdefault(name[len(prefixes[gathered]) :], value.strip())
        elif name in many:
            values.setdefault(name, []).append(value)
        elif name not in prefixes:
            values.setdefault(name, value)
    return values


def grouped_values(items: FormPairs) -> dict[str, str | list[str]]:
    """A form whose field names are data (a survey's question ids), not a model's fields: each
    name's value, or its values as a list where the name repeats."""
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name, []).append(value)
    return {name: texts[0] if len(texts) == 1 else texts for name, texts in values.items()}


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
def decode_form(fields: Mapping[str, Any] | FormPairs, model: type[T]) -> T: ...


@overload
def decode_form(fields: Mapping[str, Any] | FormPairs, model: Any) -> Any: ...


def decode_form(fields: Mapping[str, Any] | FormPairs, model: Any) -> Any:
    """The form's fields (a mapping, flat or nested by :func:`unflatten`, or the posted pairs,
    shaped by :func:`form_values`) as ``model`` (a model, or a union of tagged models): values
    without the spaces around them, empty ones left out, numbers read from their text. Raises
    :class:`InvalidInput` whose field is the path in the model and whose detail is
    ``<path>: <sentence>``."""
    shaped = dict(fields) if isinstance(fields, Mapping) else form_values(fields, model)
    try:
        return msgspec.convert(_cleaned(shaped), model, strict=False)
    except msgspec.ValidationError as error:
        field = field_of(error)
        plain = detail_of(error, "body")
        raise InvalidInput(f"{field}: {sentence(plain)}", field=field) from None


def decimal_of(text: str) -> Decimal:
    """A :data:`DecimalText` value (``19,90`` or ``19.90``) as a :class:`Decimal`."""
    return Decimal(text.replace(",", "."))


def form_schema(model: type[FormModel]) -> dict[str, Any]:
    """The JSON Schema of the form as posted: ``model``'s own schema, with each gathered
    mapping field replaced by ``patternProperties`` of its prefix. Forms are flat: a field
    whose schema refers to another model is refused."""
    generated = msgspec.json.schema(model)
    schema: dict[str, Any] = dict(generated["$defs"][model.__name__])
    if len(generated["$defs"]) > 1:
        raise ValueError(f"{model.__name__}: a form model's fields must be plain values")
    properties = dict(schema.get("properties", {}))
    patterns: dict[str, Any] = {}
    for field, prefix in model.form_prefixes.items():
        mapping = properties.pop(field)
        key_pattern = str(mapping.get("propertyNames", {}).get("pattern", "^.+$"))
        patterns[f"^{prefix}{key_pattern.removeprefix('^')}"] = mapping.get(
            "additionalProperties", {}
        )
    schema["properties"] = properties
    if patterns:
        schema["patternProperties"] = patterns
    required = [name for name in schema.get("required", []) if name not in model.form_prefixes]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    return schema


def form_body(model: type[FormModel]) -> Any:
    """The type that stands for ``model``'s form in an OpenAPI request body
    (:class:`service_kit.openapi.Body`): its schema is :func:`form_schema`."""
    return Annotated[dict[str, Any], msgspec.Meta(extra_json_schema=form_schema(model))]
