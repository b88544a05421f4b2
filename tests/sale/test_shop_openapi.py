"""The shop's OpenAPI document matches its routes, and schemathesis finds no 500 behind it:
against a real uvicorn shop, each generated request is sent without credentials and with them:
a valid pass (bearer + visitor cookie + a fresh shop session cookie), or the staff token."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis as sync_redis
import schemathesis

from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.storage.keys import EVENT_REGISTRY_KEY, EventKeys
from sale_backend.web import openapi
from sale_backend.web.routes import shop_routes
from tests.conftest import server_environment
from tests.connector_support import mint_pass, open_queue
from tests.openapi_support import (
    DOCUMENT_CHECKS,
    FUZZ_CONFIG,
    FUZZ_SETTINGS,
    assert_routes_documented,
    with_examples,
)
from tests.sale.conftest import STAFF_TOKEN, sample_event
from tests.servers import ServerProcess

QUEUE_ID = f"openapi-{secrets.token_hex(4)}"
EVENT_ID = f"openapi-{secrets.token_hex(4)}"
STATUSES: Counter[tuple[str, int]] = Counter()


def hold_example(schema: dict[str, Any]) -> dict[str, Any] | None:
    """A valid selection of the fuzzed event (and valid payer details for a checkout)."""
    properties = schema.get("properties", {})
    if "event_id" not in properties:
        return None
    example: dict[str, Any] = {
        "event_id": EVENT_ID,
        "items": [{"tier_id": "standard", "quantity": 1}],
    }
    if "card_number" in properties:
        example.update(card_number=CARD_SUCCEEDS, name="A", email="a@example.org")
    return example


shop_schema = schemathesis.openapi.from_dict(
    with_examples(openapi.document(), {"event_id": EVENT_ID}, hold_example), config=FUZZ_CONFIG
)


@pytest.fixture(scope="module")
def shop_server(redis_url: str, waitroom_server: ServerProcess) -> Iterator[ServerProcess]:
    """A real shop with one event on sale. Events the fuzzed staff API defines are removed
    afterwards, so later shops on the same Redis do not sweep and publish them."""
    environment = server_environment(
        redis_url,
        WAITROOM_SHOP_QUEUE_ID=QUEUE_ID,
        WAITROOM_STAFF_TOKEN=STAFF_TOKEN,
        WAITROOM_CONNECTOR_URL=waitroom_server.base_url,
    )
    open_queue(waitroom_server.base_url, QUEUE_ID)
    store = sync_redis.Redis.from_url(redis_url)
    known_before = set(store.smembers(EVENT_REGISTRY_KEY))
    server = ServerProcess("sale_backend.web.app:create_app_from_environ", environment).start()
    try:
        response = httpx.put(
            f"{server.base_url}/api/v1/staff/events/{EVENT_ID}",
            json=sample_event(QUEUE_ID),
            headers={"authorization": f"Bearer {STAFF_TOKEN}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        yield server
    finally:
        server.stop()
        for event_id in set(store.smembers(EVENT_REGISTRY_KEY)) - known_before:
            store.srem(EVENT_REGISTRY_KEY, event_id)
            prefix = EventKeys(event_id.decode()).prefix
            keys = list(store.scan_iter(match=prefix + "*", count=1000))
            if keys:
                store.delete(*keys)
        store.close()


def buyer_credentials() -> tuple[dict[str, str], dict[str, str]]:
    """(headers, cookies) of a fresh buyer holding a valid pass (as a bearer token)."""
    return {"Authorization": f"Bearer {mint_pass(QUEUE_ID)}"}, {}


def test_every_shop_route_is_documented() -> None:
    assert_routes_documented(shop_routes(), openapi.document())


def test_the_document_is_served_outside_the_gate(shop_server: ServerProcess) -> None:
    response = httpx.get(f"{shop_server.base_url}/openapi.json", timeout=5)
    assert response.status_code == 200
    assert response.json() == openapi.document()


@shop_schema.parametrize()
@FUZZ_SETTINGS
def test_shop_answers_as_documented(case: schemathesis.Case, shop_server: ServerProcess) -> None:
    """Each case goes out twice: without credentials (the gate or the staff check answers), and
    with them (a buyer's valid pass, or the staff token on staff paths)."""
    if case.path.startswith("/api/v1/staff/"):
        headers, cookies = {"Authorization": f"Bearer {STAFF_TOKEN}"}, {}
    else:
        headers, cookies = buyer_credentials()
    for call_headers, call_cookies in (({}, {}), (headers, cookies)):
        response = case.call(
            base_url=shop_server.base_url,
            headers=call_headers or None,
            cookies=call_cookies or None,
            timeout=10,
            allow_redirects=False,
        )
        STATUSES[(case.operation.label, response.status_code)] += 1
        assert response.status_code < 500, (
            case.method,
            case.formatted_path,
            case.body,
            response.status_code,
            response.text,
        )
        case.validate_response(response, checks=DOCUMENT_CHECKS)
