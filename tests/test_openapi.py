"""The OpenAPI document matches the routes, and schemathesis finds no 500 behind it and no
answer that the document does not describe (status, media type, schema).

Each generated request goes to a real uvicorn server twice: without credentials, and with them
(the admin token on organizer paths, a fan's position token elsewhere). The queue id of a real
queue is an example value, so the examples phase reaches the handlers behind "not found".
The shop's document is tested the same way in tests/sale/test_shop_openapi.py.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import httpx
import pytest
import schemathesis

from tests.conftest import ADMIN_TOKEN
from tests.openapi_support import (
    DOCUMENT_CHECKS,
    FUZZ_CONFIG,
    FUZZ_SETTINGS,
    assert_routes_documented,
    with_examples,
)
from tests.servers import ServerProcess
from waitroom.web import openapi
from waitroom.web.app import waitroom_routes

QUEUE_ID = f"openapi-{secrets.token_hex(4)}"
waitroom_schema = schemathesis.openapi.from_dict(
    with_examples(openapi.document(), {"queue_id": QUEUE_ID}), config=FUZZ_CONFIG
)


@pytest.fixture(scope="module")
def fan_token(waitroom_server: ServerProcess) -> Iterator[str]:
    """Creates the example queue (open) and returns the position token of one fan in it."""
    base = waitroom_server.base_url
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    response = httpx.put(
        f"{base}/api/v1/admin/queues/{QUEUE_ID}",
        json={"state": "open", "rate_per_minute": 60, "name": "OpenAPI fuzz"},
        headers=admin,
        timeout=10,
    )
    assert response.status_code in {200, 201}, response.text
    joined = httpx.post(f"{base}/api/v1/queues/{QUEUE_ID}/join", timeout=10)
    assert joined.status_code == 201, joined.text
    yield str(joined.json()["token"])


def test_every_route_is_documented() -> None:
    assert_routes_documented(waitroom_routes(), openapi.document())


def test_the_document_is_served(waitroom_server: ServerProcess) -> None:
    response = httpx.get(f"{waitroom_server.base_url}/openapi.json", timeout=5)
    assert response.status_code == 200
    assert response.json() == openapi.document()
    assert re.match(r"^3\.1\.", response.json()["openapi"])


@waitroom_schema.parametrize()
@FUZZ_SETTINGS
def test_waitroom_answers_as_documented(
    case: schemathesis.Case, waitroom_server: ServerProcess, fan_token: str
) -> None:
    organizer = case.path.startswith(("/api/v1/admin/", "/admin"))
    credential = ADMIN_TOKEN if organizer else fan_token
    for headers in ({}, {"Authorization": f"Bearer {credential}"}):
        response = case.call(
            base_url=waitroom_server.base_url,
            headers=headers or None,
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code < 500, (
            case.method,
            case.formatted_path,
            case.body,
            response.status_code,
            response.text,
        )
        case.validate_response(response, checks=DOCUMENT_CHECKS)


@pytest.mark.parametrize("path", ["/api/v1/queues/%00/status", "/q/" + "a" * 300, "/q/%ff%fe"])
def test_odd_paths_are_client_errors(waitroom_server: ServerProcess, path: str) -> None:
    response = httpx.get(f"{waitroom_server.base_url}{path}", timeout=5)
    assert 400 <= response.status_code < 500
