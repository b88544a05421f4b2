"""Read a request's body or query string into a typed model (:mod:`service_kit.models`), and
answer with one.

Sizes are not checked here: every body reaches a handler through the app's body limit layer
(service_kit/body_limit.py), which has refused anything larger than the route accepts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import InvalidInput
from service_kit.form_fields import decode_form
from service_kit.models import convert_fields, decode_json, encode

T = TypeVar("T")

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FORM_FIELDS = 200


def is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in FORM_TYPES


async def form_pairs(request: Request, max_fields: int = MAX_FORM_FIELDS) -> list[tuple[str, str]]:
    """A posted form's ``(name, value)`` pairs in order (a name may repeat; files are left
    out), for :func:`service_kit.form_fields.decode_form`. Raises :class:`InvalidInput` for a
    body that is not a readable form (too many fields, broken multipart)."""
    try:
        async with request.form(max_files=0, max_fields=max_fields) as form:
            return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    except Exception:
        raise InvalidInput("the form could not be read") from None


def first_value(pairs: list[tuple[str, str]], name: str) -> str:
    """The first value of a field among a form's pairs (``""`` when the form has none)."""
    return next((value for key, value in pairs if key == name), "")


async def read_json(request: Request, model: type[T]) -> T:
    """The JSON body as ``model`` (an empty body reads as ``{}``: a model whose fields all have
    defaults takes it, others name their first missing field)."""
    return decode_json(await request.body(), model, empty=b"{}")


async def read_json_or_form(request: Request, model: type[T], form_model: type[T]) -> T:
    """A JSON body as ``model``, or a form post (pages without JavaScript) as ``form_model``."""
    if is_form(request):
        return decode_form(await form_pairs(request), form_model)
    return await read_json(request, model)


def read_query(request: Request, model: type[T]) -> T:
    """The query string as ``model`` (the last value of a repeated name)."""
    return convert_fields(dict(request.query_params), model)


def model_response(
    value: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer of a model, never cached (``Cache-Control: no-store``)."""
    return Response(
        encode(value),
        status_code=status_code,
        media_type="application/json",
        headers={"cache-control": "no-store", **(headers or {})},
    )
