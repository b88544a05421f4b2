"""The auth endpoint and the ``/.waitroom/`` endpoints of the reverse-proxy connector, in
process (real Redis): the answers for nginx and for forward-auth proxies, one Redis call per
auth request, bad input, and a Redis that went away. The same endpoints behind a real nginx:
tests/system/test_proxy_connector.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import ADMIN_TOKEN, SECRET_KEYS
from waitroom.connector import session_cookie_name
from waitroom.settings import Settings
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.storage.keys import QueueKeys
from waitroom.web.app import create_app

WAITROOM = "http://waitroom.test"
SITE_URL = "https://site.test"
AUTH = "/api/v1/connector/auth"


def proxy_settings(redis_url: str) -> Settings:
    return Settings.from_environ(
        {
            "REDIS_URL": redis_url,
            "WAITROOM_ADMIN_TOKEN": ADMIN_TOKEN,
            "WAITROOM_SECRET_KEYS": ",".join(SECRET_KEYS),
            "WAITROOM_PUBLIC_BASE_URL": WAITROOM,
        }
    )


@asynccontextmanager
async def waitroom(redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(proxy_settings(redis_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=WAITROOM) as client:
            yield client


async def admitted_pass(client: httpx.AsyncClient, queue_id: str) -> str:
    """A fan joins an open queue and polls until its pass comes."""
    configured = await client.put(
        f"/api/v1/admin/queues/{queue_id}",
        json={"state": "open", "rate_per_minute": 6000, "redirect_url": f"{SITE_URL}/"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert configured.status_code in {200, 201}, configured.text
    async with httpx.AsyncClient(transport=client._transport, base_url=WAITROOM) as fan:
        token = (await fan.post(f"/api/v1/queues/{queue_id}/join")).json()["token"]
        for _ in range(50):
            status = await fan.get(
                f"/api/v1/queues/{queue_id}/status", headers={"Authorization": f"Bearer {token}"}
            )
            if status.json()["state"] == "admitted":
                return str(status.json()["pass"])
            await asyncio.sleep(0.05)
    raise AssertionError(f"not admitted: {status.json()}")


async def entered(client: httpx.AsyncClient, queue_id: str, pass_token: str) -> str:
    """nginx's rewrite of ``/shop?x=1&waitroom_pass=...`` to ``/.waitroom/enter``: the cookie."""
    answer = await client.get(
        "/.waitroom/enter",
        params={"x": "1", "waitroom_pass": pass_token},
        headers={
            "X-Waitroom-Queue": queue_id,
            "X-Original-URI": f"/shop?x=1&waitroom_pass={pass_token}",
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/shop?x=1"
    client.cookies.clear()  # each request below says which cookie it carries
    return str(answer.cookies[session_cookie_name(queue_id)])


def carrying(queue_id: str, cookie: str, **headers: str) -> dict[str, str]:
    """Request headers with the site-session cookie."""
    return {**headers, "Cookie": f"{session_cookie_name(queue_id)}={cookie}"}


async def test_nginx_answers_204_with_who_is_shopping_or_401_with_the_reason(
    redis_url: str, unique_id: str
) -> None:
    async with waitroom(redis_url) as client:
        pass_token = await admitted_pass(client, unique_id)
        cookie = await entered(client, unique_id, pass_token)
        cookies = carrying(unique_id, cookie)
        allowed = await client.get(AUTH, params={"queue": unique_id}, headers=cookies)
        assert allowed.status_code == 204 and allowed.content == b""
        assert allowed.headers["cache-control"] == "no-store"
        assert len(allowed.headers["x-waitroom-pass-id"]) == 24
        assert len(allowed.headers["x-waitroom-buyer"]) == 22
        assert int(allowed.headers["x-waitroom-deadline"]) > time.time()

        refused = await client.get(AUTH, params={"queue": unique_id})
        assert refused.status_code == 401 and refused.content == b""
        assert refused.headers["x-waitroom-reason"] == "session-required"
        assert refused.headers["cache-control"] == "no-store"
        # another queue's cookie opens nothing here
        other = await client.get(AUTH, params={"queue": unique_id + "x"}, headers=cookies)
        assert other.status_code == 401
        # a bearer pass of a browser's session is refused (one pass, one session)
        bearer = await client.get(
            AUTH, params={"queue": unique_id}, headers={"Authorization": f"Bearer {pass_token}"}
        )
        assert bearer.status_code == 401 and bearer.headers["x-waitroom-reason"] == "pass-in-use"


async def test_forward_auth_hands_off_in_place_and_refuses_with_the_answer_itself(
    redis_url: str, unique_id: str
) -> None:
    forward = {"queue": unique_id, "proxy": "forward"}
    async with waitroom(redis_url) as client:
        pass_token = await admitted_pass(client, unique_id)
        handoff = await client.get(
            AUTH, params=forward, headers={"X-Forwarded-Uri": f"/a/b?waitroom_pass={pass_token}"}
        )
        assert handoff.status_code == 303 and handoff.headers["location"] == "/a/b"
        cookie = handoff.cookies[session_cookie_name(unique_id)]
        client.cookies.clear()
        allowed = await client.get(
            AUTH, params=forward, headers=carrying(unique_id, cookie, **{"X-Forwarded-Uri": "/a/b"})
        )
        assert allowed.status_code == 204 and "x-waitroom-pass-id" in allowed.headers

        browser = await client.get(AUTH, params=forward, headers={"X-Forwarded-Uri": "/a/b"})
        assert browser.status_code == 303
        assert browser.headers["location"] == f"{WAITROOM}/q/{unique_id}"
        api = await client.get(AUTH, params=forward, headers={"X-Forwarded-Uri": "/api/cart"})
        assert api.status_code == 401 and api.json()["queue_url"] == f"{WAITROOM}/q/{unique_id}"
        assert api.headers["content-type"] == "application/problem+json"
        # the pass again in another browser: the explaining page, as the Python connector's
        copied = await client.get(
            AUTH, params=forward, headers={"X-Forwarded-Uri": f"/?waitroom_pass={pass_token}"}
        )
        assert copied.status_code == 409 and "This pass is already in use" in copied.text


@pytest.mark.parametrize(
    ("path", "params", "headers", "field"),
    [
        (AUTH, {}, {}, "queue"),
        (AUTH, {"queue": "Not A Queue!"}, {}, "queue"),
        (AUTH, {"queue": "q1", "proxy": "traefik"}, {}, "proxy"),
        (AUTH, {"queue": "q1"}, {"X-Original-URI": "//evil.example/"}, "x-original-uri"),
        (AUTH, {"queue": "q1"}, {"X-Forwarded-Uri": "https://evil.example/"}, "x-forwarded-uri"),
        ("/.waitroom/enter", {"waitroom_pass": "x"}, {}, "X-Waitroom-Queue"),
        ("/.waitroom/denied", {}, {"X-Waitroom-Queue": "../q"}, "X-Waitroom-Queue"),
        ("/.waitroom/end", {"reason": "bored"}, {"X-Waitroom-Queue": "q1"}, "reason"),
        ("/.waitroom/end", {"next": "/\\evil"}, {"X-Waitroom-Queue": "q1"}, "next"),
    ],
)
async def test_bad_input_is_a_400_problem(
    redis_url: str, path: str, params: dict[str, str], headers: dict[str, str], field: str
) -> None:
    async with waitroom(redis_url) as client:
        answer = await client.get(path, params=params, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


async def test_the_queue_page_url_must_be_configured(redis_url: str) -> None:
    settings = proxy_settings(redis_url).with_overrides(public_base_url="")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=WAITROOM) as client:
            answer = await client.get("/.waitroom/denied", headers={"X-Waitroom-Queue": "q1"})
    assert answer.status_code == 503
    assert answer.json()["type"].endswith("/proxy-not-configured")
    assert "WAITROOM_PUBLIC_BASE_URL" in answer.json()["detail"]


async def test_denied_with_a_session_that_is_good_again_offers_to_try_again(
    redis_url: str, unique_id: str
) -> None:
    """Two answers that disagree (the auth endpoint refused a moment ago, the session is
    good now) end on a page, never in a redirect that could loop."""
    async with waitroom(redis_url) as client:
        cookie = await entered(client, unique_id, await admitted_pass(client, unique_id))
        headers = carrying(unique_id, cookie, **{"X-Waitroom-Queue": unique_id})
        headers["X-Original-URI"] = "/shop"
        answer = await client.get("/.waitroom/denied", headers=headers)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert 'href="/shop?lang=en"' in answer.text and "Try again" in answer.text
    assert "set-cookie" not in answer.headers


async def test_each_auth_question_costs_one_redis_call(redis_url: str, unique_id: str) -> None:
    """Counted where the waiting room talks to Redis: every command its client sends (a Lua
    script is one EVALSHA, one round trip)."""
    async with waitroom(redis_url) as client:
        cookie = await entered(client, unique_id, await admitted_pass(client, unique_id))
        app_pass = await admitted_pass(client, unique_id)
        redis = client._transport.app.state.runtime.redis  # type: ignore[attr-defined]
        sent: list[str] = []
        execute = redis.execute_command

        async def counted(*arguments: Any, **options: Any) -> Any:
            sent.append(str(arguments[0]))
            return await execute(*arguments, **options)

        redis.execute_command = counted
        for headers, status, command in (
            (carrying(unique_id, cookie), 204, "HMGET"),
            ({"Authorization": f"Bearer {app_pass}"}, 204, "EVALSHA"),
            ({"X-Original-URI": "/"}, 401, None),
        ):
            await client.get(AUTH, params={"queue": unique_id}, headers=headers)  # warm
            sent.clear()
            for _ in range(20):
                answer = await client.get(AUTH, params={"queue": unique_id}, headers=headers)
                assert answer.status_code == status
            assert sent == ([command] * 20 if command else []), (headers, sent)


async def test_a_session_outlives_a_redis_outage_until_its_signed_deadline(
    unique_id: str,
) -> None:
    """Fail open for a session that was granted, as the Python connector does; a pass that
    was never claimed is not let in while Redis is away."""
    with EmbeddedRedis() as server:
        async with waitroom(server.url) as client:
            pass_token = await admitted_pass(client, unique_id)
            other_pass = await admitted_pass(client, unique_id)
            cookie = await entered(client, unique_id, pass_token)
            server.stop()
            allowed = await client.get(
                AUTH, params={"queue": unique_id}, headers=carrying(unique_id, cookie)
            )
            assert allowed.status_code == 204
            refused = await client.get(
                AUTH,
                params={"queue": unique_id},
                headers={"Authorization": f"Bearer {other_pass}"},
            )
            assert refused.status_code == 401
            assert refused.headers["x-waitroom-reason"] == "connector-unavailable"
            page = await client.get(
                "/.waitroom/denied",
                headers={
                    "X-Waitroom-Queue": unique_id,
                    "X-Original-URI": "/api/cart",
                    "Authorization": f"Bearer {other_pass}",
                },
            )
            assert page.status_code == 503 and page.headers["retry-after"] == "2"
            assert page.json()["type"].endswith("/connector-unavailable")


async def test_end_frees_the_slot_and_goes_to_next(
    redis_url: str, redis: Redis, unique_id: str
) -> None:
    async with waitroom(redis_url) as client:
        cookie = await entered(client, unique_id, await admitted_pass(client, unique_id))
        allowed = await client.get(
            AUTH, params={"queue": unique_id}, headers=carrying(unique_id, cookie)
        )
        pass_id = allowed.headers["x-waitroom-pass-id"]
        assert await redis.zscore(QueueKeys(unique_id).active_sessions, pass_id) is not None
        queue = {"X-Waitroom-Queue": unique_id}
        ended = await client.post(
            "/.waitroom/end",
            params={"next": "/thanks?order=7"},
            headers=carrying(unique_id, cookie, **queue),
        )
        assert ended.status_code == 303 and ended.headers["location"] == "/thanks?order=7"
        assert "Max-Age=0" in ended.headers["set-cookie"]
        assert await redis.zscore(QueueKeys(unique_id).active_sessions, pass_id) is None
        client.cookies.clear()
        replayed = carrying(unique_id, cookie)
        after = await client.get(AUTH, params={"queue": unique_id}, headers=replayed)
        assert after.status_code == 401 and after.headers["x-waitroom-reason"] == "session-ended"
        # again, without a cookie: nothing to end, straight on
        again = await client.get("/.waitroom/end", params={"next": "/"}, headers=queue)
        assert again.status_code == 303 and "set-cookie" not in again.headers
