"""Typed request and response models (msgspec): decode input into them, encode them out.

Every JSON body, form and query string a route takes is a :class:`msgspec.Struct` (or another
type msgspec knows); :func:`decode_json` and :func:`convert_fields` (used by the web layer's
readers in :mod:`service_kit.request_body`) turn the input into it or raise
:class:`InvalidInput` naming the field (``tiers[0].remaining``), the
same 400 problem the hand-written checks gave. The same types describe the routes' bodies and
answers in the OpenAPI documents (:mod:`service_kit.openapi`).

msgspec was chosen over pydantic v2 for speed on the shop's checkout and hold paths (decoding
straight from bytes into a typed struct, no dict in between) and because its structs encode
without a per-field Python step; see docs/architecture.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import msgspec

from service_kit.errors import InvalidInput

T = TypeVar("T")

_PATH = re.compile(r" - at `(?:key` in `)?\$(?P<path>[^`]*)`$")
_FIELD_NAMED = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<name>[^`]*)`")
_ENCODER = msgspec.json.Encoder()

ID_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$"
QueueOrEventId = Annotated[str, msgspec.Meta(pattern=ID_PATTERN)]
"""The id of a queue or of a shop event (in a path or a body)."""


class Model(msgspec.Struct, omit_defaults=True):
    """Base of the request models. Unknown fields are ignored, as the hand-written readers did
    (clients such as the door scanner page send fields of their own)."""


class StrictModel(Model, forbid_unknown_fields=True):
    """A request model that refuses unknown fields: where a misspelt ``remainig`` must be an
    answer rather than a silent default (queue settings, codes, stock reports, profiles)."""


class Document(msgspec.Struct, omit_defaults=True):
    """Base of the answer models: optional members that are unset are left out."""


def field_of(error: msgspec.ValidationError) -> str:
    """The field a msgspec validation error is about, as the problem body names it:
    ``remaining``, ``tiers[0].tier_id``, ``sold_by_minute`` for a key or value of that object;
    ``body`` for the whole document."""
    message = str(error)
    match = _PATH.search(message)
    path = match.group("path").lstrip(".").replace("[...]", "") if match else ""
    named = _FIELD_NAMED.match(message)
    if named:
        name = named.group("name")[:64]
        path = f"{path}.{name}" if path else name
    return path or "body"


def detail_of(error: msgspec.ValidationError, field: str) -> str:
    """A readable detail: ``tiers[0].remaining: Expected `int`, got `str```."""
    message = _PATH.sub("", str(error))
    return message if field == "body" else f"{field}: {message}"


def invalid(error: msgspec.ValidationError, at: str = "") -> InvalidInput:
    """The 400 of a validation error; ``at`` is where the value sits in a larger document
    (``operations.checkout``), so the field is named from the top."""
    field = field_of(error)
    if at:
        field = at if field == "body" else f"{at}.{field}"
    return InvalidInput(detail_of(error, field), field=field)


def decode_json(raw: bytes, model: type[T], *, empty: bytes | None = None) -> T:
    """``raw`` (a JSON body) as ``model``; ``empty`` stands in for an empty body (e.g.
    ``b"{}"`` where the body is optional). Raises :class:`InvalidInput`."""
    if not raw and empty is not None:
        raw = empty
    try:
        return msgspec.json.decode(raw, type=model)
    except msgspec.ValidationError as error:
        raise invalid(error) from None
    except msgspec.DecodeError:
        raise InvalidInput("request body is not valid JSON", field="body") from None
    except RecursionError:  # msgspec's limit on nesting, even inside a field it skips
        raise InvalidInput("request body is nested too deeply", field="body") from None


def convert(value: Any, model: type[T], *, at: str = "") -> T:
    """Plain JSON values (e.g. a dict built in code) as ``model``, as strictly as a JSON body;
    ``at`` names where the value sits (see :func:`invalid`). Raises :class:`InvalidInput`."""
    try:
        return msgspec.convert(value, model)
    except msgspec.ValidationError as error:
        raise invalid(error, at) from None


def convert_fields(fields: Mapping[str, Any], model: type[T]) -> T:
    """Form or query fields (text) as ``model``: numbers and booleans are read from their text
    (``strict=False``). Raises :class:`InvalidInput`."""
    try:
        return msgspec.convert(dict(fields), model, strict=False)
    except msgspec.ValidationError as error:
        raise invalid(error) from None


def encode(value: Any) -> bytes:
    """JSON bytes of a model (or of plain JSON values)."""
    return _ENCODER.encode(value)


def to_builtins(value: Any) -> Any:
    """A model as plain JSON values (dicts, lists), e.g. to store it or merge it."""
    return msgspec.to_builtins(value)

