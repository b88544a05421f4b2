"""The request body limit layer (service_kit/body_limit.py) on a small app, driven over ASGI.

The real-process checks (memory of a real uvicorn, both apps) are in
tests/test_request_limits_served.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from service_kit.body_limit import DRAIN_MAX_BYTES, BodyLimitRule, RequestBodyLimit

LIMIT = 1000


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"length": len(body), "start": body[:10].decode()})


async def form_fields(request: Request) -> Response:
    async with request.form() as form:
        return JSONResponse({name: str(value) for name, value in form.items()})


def limited(app: Starlette, **options: object) -> RequestBodyLimit:
    return RequestBodyLimit(app, max_body_bytes=LIMIT, **options)  # type: ignore[arg-type]


def echo_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/echo", echo, methods=["POST", "PUT"]),
            Route("/big/echo", echo, methods=["POST", "PUT"]),
            Route("/form", form_fields, methods=["POST"]),
        ]
    )


class Chunks:
    """A request body sent as chunks; records how many the server pulled."""

    def __init__(self, count: int, size: int, pause_seconds: float = 0.0) -> None:
        self.count, self.size, self.pause_seconds = count, size, pause_seconds
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            if self.pause_seconds:
                await asyncio.sleep(self.pause_seconds)
            self.pulled += 1
            yield b"x" * self.size


def client_for(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://limits.test")


async def test_a_body_within_the_limit_reaches_the_handler_whole() -> None:
    async with client_for(limited(echo_app())) as client:
        chunks = Chunks(count=4, size=250)
        reply = await client.post("/echo", content=chunks)
        assert reply.status_code == 200
        assert reply.json() == {"length": 1000, "start": "x" * 10}
        sized = await client.post("/echo", content=b"y" * LIMIT)
        assert sized.json()["length"] == LIMIT
        empty = await client.post("/echo")
        assert empty.json()["length"] == 0


async def test_a_chunked_body_over_the_limit_is_refused_without_reading_it_all() -> None:
    async with client_for(limited(echo_app())) as client:
        chunks = Chunks(count=20_000, size=400)  # 8 MB, no Content-Length
        reply = await client.post("/echo", content=chunks)
    assert reply.status_code == 413
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["connection"] == "close"
    problem = reply.json()
    assert problem["status"] == 413 and problem["type"].endswith("/body-too-large")
    assert problem["max_body_bytes"] == LIMIT
    assert str(LIMIT) in problem["detail"]
    # the handler never ran; the rest was read (and dropped) up to the drain bound only
    assert chunks.pulled * 400 <= DRAIN_MAX_BYTES + 2 * 400
    assert chunks.pulled < 20_000


async def test_a_refused_body_within_the_drain_bound_is_read_to_its_end() -> None:
    """So that a client sending it all can read the 413 (no reset of a connection closed
    with unread data)."""
    async with client_for(limited(echo_app())) as client:
        chunked = Chunks(count=10, size=400)
        assert (await client.post("/echo", content=chunked)).status_code == 413
        declared = Chunks(count=3, size=LIMIT)
        reply = await client.post(
            "/echo", content=declared, headers={"content-length": str(3 * LIMIT)}
        )
        assert reply.status_code == 413
    assert chunked.pulled == 10 and declared.pulled == 3


@pytest.mark.parametrize(
    ("declared_bytes", "expect"),
    [(3 * DRAIN_MAX_BYTES, None), (3 * LIMIT, "100-continue")],
)
async def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read(
    declared_bytes: int, expect: str | None
) -> None:
    """Beyond the drain bound, or from a client that waits for ``100 Continue``."""
    async with client_for(limited(echo_app())) as client:
        chunks = Chunks(count=3, size=declared_bytes // 3)
        headers = {"content-length": str(declared_bytes)}
        if expect is not None:
            headers["expect"] = expect
        reply = await client.post("/echo", content=chunks, headers=headers)
    assert reply.status_code == 413
    assert chunks.pulled <= 1  # httpx may start the body; the server took none of it


async def test_form_parsing_goes_through_the_limit_too() -> None:
    async with client_for(limited(echo_app())) as client:
        small = await client.post("/form", data={"name": "Ann"})
        assert small.json() == {"name": "Ann"}
        large = await client.post("/form", data={"name": "A" * 5000})
        assert large.status_code == 413


async def test_rules_give_routes_their_own_limit_and_can_leave_a_path_to_an_inner_app() -> None:
    inner = limited(echo_app())  # the mounted app limits its own bodies
    outer = echo_app()
    outer.router.routes.append(Mount("/shop", app=inner))
    app = limited(
        outer,
        rules=(
            BodyLimitRule("/shop/", None),
            BodyLimitRule("/big/", 10 * LIMIT, frozenset({"PUT"})),
        ),
    )
    async with client_for(app) as client:
        assert (await client.put("/big/echo", content=b"z" * 5000)).status_code == 200
        assert (await client.post("/big/echo", content=b"z" * 5000)).status_code == 413
        assert (await client.post("/echo", content=b"z" * 5000)).status_code == 413
        # /shop is left to the shop's own layer, which sees its own paths (/echo)
        assert (await client.post("/shop/echo", content=b"z" * LIMIT)).status_code == 200
        assert (await client.post("/shop/echo", content=b"z" * 2000)).status_code == 413


async def test_a_body_that_arrives_too_slowly_is_answered_with_408() -> None:
    async with client_for(limited(echo_app(), read_timeout_seconds=0.2)) as client:
        chunks = Chunks(count=20, size=10, pause_seconds=0.05)
        reply = await client.post("/echo", content=chunks)
    assert reply.status_code == 408
    assert reply.json()["type"].endswith("/body-timeout")
    assert chunks.pulled < 20


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_requests_without_a_body_pass_untouched(method: str) -> None:
    seen: list[bool] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(True)
        response = Response("ok")
        await response(scope, receive, send)  # type: ignore[arg-type]

    async with client_for(RequestBodyLimit(app, max_body_bytes=1)) as client:  # type: ignore[arg-type]
        reply = await client.request(method, "/anything")
    assert reply.status_code == 200 and seen == [True]
