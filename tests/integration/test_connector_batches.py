"""A site process's concurrent claims and ends go to the waiting room together
(``POST session-batches``), each answered as its own endpoint answers it; a waiting room
without that path (an older one) gets each call at its own endpoint; the batch endpoint refuses
bad input and bad site credentials with problems, as the single endpoints do."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.support.shop_fixtures import Shop, ShopFactory
from waitroom.connector.client import ConnectorClient
from waitroom.connector.errors import PassInUse, PassInvalid
from waitroom.connector.site_auth import SiteAuth
from waitroom.connector.site_session import new_session_id
from waitroom.connector.stock_mark import StockMark
from waitroom.storage.keys import QueueKeys

BATCHES = "/session-batches"
END = {"op": "end", "pass_id": "a" * 24}


class Wire(httpx.AsyncBaseTransport):
    """Counts the connector's requests by path; ``old=True`` answers the batch path as a
    waiting room without it does (404, ``http-error``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, old: bool = False) -> None:
        self.inner = inner
        self.old = old
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path.rsplit("/", 1)[-1] if path.endswith(BATCHES) else path)
        if self.old and path.endswith(BATCHES):
            body = {
                "type": "https://waitroom.dev/problems/http-error",
                "title": "Not Found",
                "status": 404,
                "detail": "Not Found",
            }
            return httpx.Response(404, json=body)
        return await self.inner.handle_async_request(request)


async def claims_then_ends(shop: Shop, client: ConnectorClient, count: int) -> None:
    tokens = [await shop.issue_pass() for _ in range(count)]
    sessions = [new_session_id() for _ in tokens]
    grants = await asyncio.gather(
        *(client.claim(token, session) for token, session in zip(tokens, sessions, strict=True))
    )
    assert [grant.session_id for grant in grants] == sessions  # each its own answer
    assert all(grant.created for grant in grants)
    # a second claim of a bound pass by another session: that call alone is refused
    results = await asyncio.gather(
        client.claim(tokens[0], new_session_id()),
        client.claim(tokens[1], sessions[1]),  # the same session again: 200, not created
        client.claim("not-a-pass", new_session_id()),
        return_exceptions=True,
    )
    assert isinstance(results[0], PassInUse)
    assert not isinstance(results[1], BaseException) and not results[1].created
    assert isinstance(results[2], PassInvalid)
    # every other purchase says where it stands in its event's stock reports
    marks = [StockMark("event-1", 1_000 + index) if index % 2 else None for index in range(count)]
    await asyncio.gather(
        *(client.end(grant.pass_id, stock=mark) for grant, mark in zip(grants, marks, strict=True))
    )
    now = time.time()
    for grant, mark in zip(grants, marks, strict=True):
        view = await shop.waitroom.sessions.view(shop.queue_id, grant.pass_id, now)
        assert (view.state, view.reason) == ("ended", "purchase_completed")
        record = await shop.waitroom.redis.hmget(
            QueueKeys(shop.queue_id).pass_record(grant.pass_id), ["stock_event", "stock_version"]
        )
        expected = [None, None] if mark is None else [b"event-1", str(mark.version).encode()]
        assert record == expected


async def test_concurrent_claims_and_ends_go_together(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    wires: list[Wire] = []

    def wire(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wires.append(Wire(inner))
        return wires[-1]

    async with shop_factory(wrap_connector=wire) as shop:
        client = shop.runtime.connector.client
        await claims_then_ends(shop, client, 20)
        sessions = [path for path in wires[0].paths if "/sessions" in path]
        assert sessions == []  # no claim or end went on its own
        sent = wires[0].paths.count(BATCHES[1:])
        assert sent <= 6  # 43 calls: those that came together went together (2 requests a gather)
        assert client.batches.items_sent == 20 * 2 + 3


async def test_an_older_waiting_room_gets_each_call_at_its_own_endpoint(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    wires: list[Wire] = []

    def wire(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wires.append(Wire(inner, old=True))
        return wires[-1]

    async with shop_factory(wrap_connector=wire) as shop:
        await claims_then_ends(shop, shop.runtime.connector.client, 5)
        paths = wires[0].paths
        assert paths.count(BATCHES[1:]) == 1  # asked once, then never again
        assert sum(path.endswith("/sessions") for path in paths) == 5 + 3
        assert sum(path.endswith("/end") for path in paths) == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "calls"),
        ({"calls": []}, "calls"),
        ({"calls": [{"op": "claim", "pass": "x"}]}, "calls[0].session_id"),
        ({"calls": [{"op": "leave", "pass_id": "x"}]}, "calls[0].op"),
        ({"calls": [{"op": "end", "pass_id": "bad id!"}]}, "calls[0].pass_id"),
        ({"calls": [{"op": "end", "pass_id": "a" * 24}] * 65}, "calls"),
        (
            {"calls": [END | {"stock": {"version": 5}}]},
            "calls[0].stock.event_id",
        ),
        (
            {"calls": [END | {"stock": {"event_id": "e", "version": -1}}]},
            "calls[0].stock.version",
        ),
    ],
)
async def test_bad_batches_are_refused_with_a_problem(
    shop_factory: ShopFactory, unique_id: str, body: dict[str, Any], field: str
) -> None:
    wires: list[Wire] = []

    def wire(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wires.append(Wire(inner))
        return wires[-1]

    async with shop_factory(wrap_connector=wire) as shop:
        auth = SiteAuth(shop.settings.secret_keys).header(shop.queue_id)
        path = f"/api/v1/connector/queues/{shop.queue_id}{BATCHES}"
        transport = wires[0].inner  # straight to the waiting room's app
        async with httpx.AsyncClient(transport=transport, base_url="http://waitroom.test") as http:
            refused = await http.post(path, json=body, headers={"authorization": auth})
            assert refused.status_code == 400, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json().get("field") == field, refused.json()
            one_end = {"calls": [{"op": "end", "pass_id": "a" * 24}]}
            unauthenticated = await http.post(path, json=one_end)
            assert unauthenticated.status_code == 401
            assert unauthenticated.json()["type"].endswith("/site-auth-rejected")
