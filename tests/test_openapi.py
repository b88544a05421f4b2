"""The OpenAPI document matches the routes, and schemathesis finds no 500 behind it.

To cover another app (e.g. the shop), add a ``(document, server fixture)`` pair: load its
document with ``schemathesis.openapi.from_dict`` and reuse :func:`call_without_server_error`.
"""

from __future__ import annotations

import re

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from starlette.routing import Mount, Route

from tests.conftest import ADMIN_TOKEN
from tests.servers import ServerProcess
from waitroom import openapi
from waitroom.app import waitroom_routes

waitroom_schema = schemathesis.openapi.from_dict(openapi.document())
FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def call_without_server_error(case: schemathesis.Case, base_url: str) -> None:
    """Sends the generated request twice (as anyone, then as the organizer): never a 5xx."""
    for headers in ({}, {"Authorization": f"Bearer {ADMIN_TOKEN}"}):
        response = case.call(base_url=base_url, headers=headers or None, timeout=10)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)


def test_every_route_is_documented() -> None:
    documented = openapi.document()["paths"]
    for route in waitroom_routes():
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        assert route.path in documented, route.path
        for method in route.methods or ():
            if method != "HEAD":
                assert method.lower() in documented[route.path], (route.path, method)


def test_the_document_is_served(waitroom_server: ServerProcess) -> None:
    response = httpx.get(f"{waitroom_server.base_url}/openapi.json", timeout=5)
    assert response.status_code == 200
    assert response.json() == openapi.document()
    assert re.match(r"^3\.1\.", response.json()["openapi"])


@waitroom_schema.parametrize()
@FUZZ_SETTINGS
def test_waitroom_never_answers_500(
    case: schemathesis.Case, waitroom_server: ServerProcess
) -> None:
    call_without_server_error(case, waitroom_server.base_url)


@pytest.mark.parametrize("path", ["/api/v1/queues/%00/status", "/q/" + "a" * 300, "/q/%ff%fe"])
def test_odd_paths_are_client_errors(waitroom_server: ServerProcess, path: str) -> None:
    response = httpx.get(f"{waitroom_server.base_url}{path}", timeout=5)
    assert 400 <= response.status_code < 500
