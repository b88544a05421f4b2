"""Read a request body that is either a JSON object or an HTML form (for pages without JS).

Sizes are not checked here: every body reaches a handler through the app's body limit layer
(service_kit/body_limit.py), which has refused anything larger than the route accepts."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from service_kit.errors import InvalidInput

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in FORM_TYPES


async def read_fields(request: Request) -> dict[str, Any]:
    """A JSON object, or form fields (a list where a name repeats). Raises InvalidInput."""
    if is_form(request):
        async with request.form(max_files=0, max_fields=200) as form:
            fields: dict[str, Any] = {}
            for name in form:
                values = [value for value in form.getlist(name) if isinstance(value, str)]
                fields[name] = values[0] if len(values) == 1 else values
            return fields
    return await read_json_object(request)


async def read_json_object(request: Request) -> dict[str, Any]:
    """A JSON object body (``{}`` when empty). Raises InvalidInput."""
    body = await request.body()
    try:
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise InvalidInput("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    return data
