"""Shared pieces of the OpenAPI tests (waiting room and shop): route coverage and bounded
schemathesis settings."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from starlette.routing import BaseRoute, Mount, Route

FUZZ_CONFIG = SchemathesisConfig.from_dict(
    # the coverage phase sends boundary and negative values of every parameter; calls with
    # methods a path does not have (405 from the router) add time and nothing else
    {"phases": {"coverage": {"unexpected-methods": []}}}
)
DOCUMENT_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
"""Every answer is no 5xx, has a documented status and media type, and matches its schema:
the generated document says what the app really does."""
FUZZ_SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def assert_routes_documented(routes: list[BaseRoute], document: dict[str, Any]) -> None:
    """Every route and method is in the document, and the document names nothing else."""
    documented = document["paths"]
    served: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        assert route.path in documented, route.path
        for method in route.methods or ():
            if method != "HEAD":
                served.add((route.path, method.lower()))
                assert method.lower() in documented[route.path], (route.path, method)
    described = {(path, method) for path, methods in documented.items() for method in methods}
    assert described == served, described ^ served


def with_examples(
    document: dict[str, Any],
    parameters: dict[str, str],
    body_example: Callable[[dict[str, Any]], dict[str, Any] | None] = lambda schema: None,
) -> dict[str, Any]:
    """A copy of ``document`` whose parameters named in ``parameters`` carry that value as
    their example (e.g. the id of a queue or event that exists), and whose JSON bodies carry
    ``body_example(schema)`` when it gives one. The explicit-examples phase then reaches past
    "not found" into the handlers."""
    document = copy.deepcopy(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in parameters:
                    parameter["example"] = parameters[parameter["name"]]
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is not None:
                for variant in [schema, *schema.get("oneOf", [])]:
                    example = body_example(variant)
                    if example is not None:
                        variant["example"] = example
    return document
