"""HTML forms as typed models (msgspec): a posted form's fields, read into one model that
declares them with their types and bounds, and that model's description for the OpenAPI
document.

A form's fields are text, and a name may repeat. :func:`form_values` shapes them for the model:

- a field the model declares as a list (or a tuple or set) gets every value of its name
  (``ticket_id=a&ticket_id=b``), any other field the first value;
- a field named in the model's ``form_prefixes`` gathers every form field whose name starts with
  the prefix into a mapping keyed by the rest of the name (``qty_standard=2`` becomes
  ``quantities={"standard": "2"}``); blank values are left out (an empty number box means none)
  and surrounding spaces are ignored.

:func:`decode_form` then converts the values as form text (numbers from their digits, see
:func:`service_kit.models.convert_fields`), raising :class:`~service_kit.errors.InvalidInput`
that names the model's field. :func:`form_body` describes the form as it is posted: the
gathered fields become ``patternProperties`` (``^qty_[A-Za-z0-9_-]{1,32}$``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar

import msgspec

from service_kit.models import Model, convert_fields

FormModelT = TypeVar("FormModelT", bound="FormModel")
_MANY = (
    msgspec.inspect.ListType,
    msgspec.inspect.TupleType,
    msgspec.inspect.VarTupleType,
    msgspec.inspect.SetType,
    msgspec.inspect.FrozenSetType,
)


class FormModel(Model):
    """Base of the form models. ``form_prefixes`` maps a mapping field's name to the prefix of
    the form fields it gathers (``{"quantities": "qty_"}``)."""

    form_prefixes: ClassVar[Mapping[str, str]] = {}


def _takes_many(field_type: msgspec.inspect.Type) -> bool:
    while isinstance(field_type, msgspec.inspect.Metadata):
        field_type = field_type.type
    if isinstance(field_type, msgspec.inspect.UnionType):
        return any(_takes_many(member) for member in field_type.types)
    return isinstance(field_type, _MANY)


def _many_fields(model: type[FormModel]) -> set[str]:
    info = msgspec.inspect.type_info(model)
    assert isinstance(info, msgspec.inspect.StructType)
    return {field.encode_name for field in info.fields if _takes_many(field.type)}


def form_values(items: Iterable[tuple[str, str]], model: type[FormModel]) -> dict[str, Any]:
    """The form's ``(name, value)`` pairs shaped for ``model`` (see the module's text)."""
    many = _many_fields(model)
    values: dict[str, Any] = {name: {} for name in model.form_prefixes}
    for name, value in items:
        gathered = next(
            (
                field
                for field, prefix in model.form_prefixes.items()
                if name.startswith(prefix) and len(name) > len(prefix)
            ),
            None,
        )
        if gathered is not None:
            if value.strip():
                values[gathered].setdefault(
                    name[len(model.form_prefixes[gathered]) :], value.strip()
                )
        elif name in many:
            values.setdefault(name, []).append(value)
        elif name not in model.form_prefixes:
            values.setdefault(name, value)
    return values


def decode_form(items: Iterable[tuple[str, str]], model: type[FormModelT]) -> FormModelT:
    """The form as ``model``. Raises :class:`~service_kit.errors.InvalidInput` naming the
    model's field (``quantities``, ``ticket_id[0]``)."""
    return convert_fields(form_values(items, model), model)


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
