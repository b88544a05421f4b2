"""Pass binding: one visitor, one shop session per pass, revocation, fail closed."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import SECRET_KEYS, server_environment
from tests.gated_shop import create_shop
from tests.servers import ServerProcess
from waitroom.cookies import VISITOR_COOKIE, pass_cookie_name
from waitroom.embedded_redis import EmbeddedRedis
from waitroom.keys import QueueKeys
from waitroom.pass_registry import PassRegistry, session_cookie_name
from waitroom.settings import Settings
from waitroom.tokens import TokenCodec, new_visitor_id

CODEC = TokenCodec(SECRET_KEYS, position_max_age_seconds=3600, pass_ttl_seconds=600)


def issue(queue_id: str, visitor_id: str) -> tuple[str, str]:
    pass_id = secrets.token_hex(12)
    token, _ = CODEC.issue_pass(queue_id, visitor_id, pass_id)
    return token, pass_id


def shop_settings(redis_url: str) -> Settings:
    return Settings.from_environ(server_environment(redis_url))


def shop_client(redis_url: str, queue_id: str) -> httpx.AsyncClient:
    app = create_shop(shop_settings(redis_url), queue_id)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop.test")


@pytest.fixture
def shop_server(redis_url: str, unique_id: str) -> Iterator[ServerProcess]:
    environment = {**server_environment(redis_url), "SHOP_QUEUE_ID": unique_id}
    server = ServerProcess("tests.gated_shop:create_app_from_environ", environment).start()
    try:
        yield server
    finally:
        server.stop()


async def test_fifty_parallel_requests_with_one_pass_make_one_session(
    shop_server: ServerProcess, unique_id: str, redis: Redis
) -> None:
    visitor = new_visitor_id()
    token, pass_id = issue(unique_id, visitor)
    cookies = {VISITOR_COOKIE: visitor, pass_cookie_name(unique_id): token}

    async def attempt() -> httpx.Response:
        # a fresh client each: 50 browsers that all copied the same pass and visitor cookie
        async with httpx.AsyncClient(
            base_url=shop_server.base_url, timeout=10, cookies=cookies
        ) as client:
            return await client.get("/shop", headers={"Accept": "application/json"})

    replies = await asyncio.gather(*(attempt() for _ in range(50)))
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [200] + [403] * 49
    winner = next(reply for reply in replies if reply.status_code == 200)
    session = winner.cookies.get(session_cookie_name(unique_id))
    assert session is not None
    assert "httponly" in winner.headers["set-cookie"].lower()
    losers = [reply.json() for reply in replies if reply.status_code == 403]
    assert {body["type"].rsplit("/", 1)[-1] for body in losers} == {"pass-in-use"}
    key = QueueKeys(unique_id).part("active_sessions")
    assert await redis.zcard(key) == 1
    # the winning browser keeps using its session
    async with httpx.AsyncClient(
        base_url=shop_server.base_url,
        timeout=10,
        cookies={**cookies, session_cookie_name(unique_id): session},
    ) as client:
        again = await client.get("/shop")
        assert again.status_code == 200 and again.json()["pass_id"] == pass_id


async def test_a_pass_works_only_for_its_visitor(redis_url: str, unique_id: str) -> None:
    token, _ = issue(unique_id, new_visitor_id())
    async with shop_client(redis_url, unique_id) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        async with app.router.lifespan_context(app):
            client.cookies.set(VISITOR_COOKIE, new_visitor_id())
            client.cookies.set(pass_cookie_name(unique_id), token)
            stolen = await client.get("/shop", headers={"Accept": "application/json"})
            assert stolen.status_code == 403
            assert stolen.json()["type"].endswith("pass-foreign")
            page = await client.get("/shop")
            assert page.status_code == 303 and page.headers["location"] == f"/q/{unique_id}"


async def test_revoked_pass_is_refused_even_in_its_own_session(
    redis_url: str, unique_id: str
) -> None:
    visitor = new_visitor_id()
    token, pass_id = issue(unique_id, visitor)
    async with shop_client(redis_url, unique_id) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        async with app.router.lifespan_context(app):
            client.cookies.set(VISITOR_COOKIE, visitor)
            client.cookies.set(pass_cookie_name(unique_id), token)
            assert (await client.get("/shop")).status_code == 200
            registry: PassRegistry = app.state.registry
            assert await registry.active_sessions(unique_id) == 1
            checkout = await client.post("/api/checkout")
            assert checkout.status_code == 200 and checkout.json() == {"ended": True}
            assert await registry.active_sessions(unique_id) == 0
            replay = await client.get("/shop", headers={"Accept": "application/json"})
            assert replay.status_code == 403
            assert replay.json()["type"].endswith("pass-ended")
            # a copy without the session cookie is refused as well
            client.cookies.delete(session_cookie_name(unique_id))
            copy = await client.get("/shop", headers={"Accept": "application/json"})
            assert copy.status_code == 403
            assert not await registry.revoke(unique_id, pass_id)


async def test_pass_check_fails_closed_while_redis_is_down(unique_id: str) -> None:
    visitor = new_visitor_id()
    token, _ = issue(unique_id, visitor)
    with EmbeddedRedis() as server:
        async with shop_client(server.url, unique_id) as client:
            app = client._transport.app  # type: ignore[attr-defined]
            async with app.router.lifespan_context(app):
                client.cookies.set(VISITOR_COOKIE, visitor)
                client.cookies.set(pass_cookie_name(unique_id), token)
                assert (await client.get("/shop")).status_code == 200
                server.kill()
                down = await client.get("/shop", headers={"Accept": "application/json"})
                assert down.status_code == 503 and down.headers["retry-after"] == "5"
                server.restart()
                await asyncio.sleep(0.1)
                # recovery needs nobody: the client reconnects by itself
                back = await client.get("/shop")
                assert back.status_code == 200
