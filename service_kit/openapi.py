"""Building blocks of the hand-kept OpenAPI documents (waiting room and shop)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

ID_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$"
PROBLEM = {"$ref": "#/components/schemas/Problem"}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
ANY_OBJECT: dict[str, Any] = {"type": "object"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details (extra members carry data about the error)",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}


def path_parameter(name: str, pattern: str | None = None, max_length: int = 200) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": max_length}
    if pattern is not None:
        schema = {"type": "string", "pattern": pattern}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def header_parameter(
    name: str, description: str, required: bool = False, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def query_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM}},
    }


def problem_or_page(description: str) -> dict[str, Any]:
    """Handlers that also take HTML form posts answer those with a friendly page."""
    return {
        "description": f"{description} (a page for form posts)",
        "content": {
            "application/problem+json": {"schema": PROBLEM},
            "text/html": {"schema": {"type": "string"}},
        },
    }


def json_answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or ANY_OBJECT}},
    }


def html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def redirect(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Location": {"schema": {"type": "string"}}},
    }


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def form_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {
        "required": required,
        "content": {"application/x-www-form-urlencoded": {"schema": schema}},
    }


def json_or_form_body(schema: dict[str, Any], form_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": form_schema},
        },
    }


def obj(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
NUMBER: dict[str, Any] = {"type": "number"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}


def health_paths(store_description: str) -> dict[str, Any]:
    """``/openapi.json``, ``/healthz`` and ``/readyz``, which both apps serve alike."""
    return {
        "/openapi.json": {"get": {"responses": {"200": json_answer("This document")}}},
        "/healthz": {"get": {"responses": {"200": json_answer("Alive")}}},
        "/readyz": {
            "get": {
                "responses": {
                    "200": json_answer("Ready"),
                    "503": json_answer(f"{store_description} unreachable"),
                }
            }
        },
    }


METRICS_SECURITY_SCHEME: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "description": "WAITROOM_METRICS_TOKEN (Prometheus)",
}


def metrics_path() -> dict[str, Any]:
    """``/metrics`` of either app: Prometheus text for the metrics bearer token only."""
    return {
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (the metrics bearer token)",
                "security": [{"metrics": []}],
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": problem("Metrics token missing or not accepted"),
                    "429": problem("Too many failed tokens from this address"),
                },
            }
        }
    }


def with_body_limits(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes a body may also answer 413 and 408 (service_kit/body_limit.py:
    too large for the route, or not sent in time)."""
    for operations in paths.values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                responses = operation.setdefault("responses", {})
                responses.setdefault("408", problem("The body did not arrive in time"))
                responses.setdefault("413", problem("The body is larger than this path accepts"))
    return paths


def openapi_response(document: dict[str, Any]) -> Response:
    """``/openapi.json`` of either app: the document, cacheable for five minutes."""
    return Response(
        orjson.dumps(document),
        media_type="application/json",
        headers={"cache-control": "public, max-age=300"},
    )
