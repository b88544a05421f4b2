"""The pure-ASGI status path answers exactly like the Starlette status endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from tests.conftest import METRICS_HEADERS
from waitroom.fan import api as fan_api
from waitroom.fan.cookies import position_cookie_name
from waitroom.settings import Settings
from waitroom.web.app import create_app, exception_handlers

STATUS_TEMPLATE = "/api/v1/queues/{queue_id}/status"


@pytest.fixture
async def apps(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(full waiting-room app, plain Starlette app with only the status endpoint and the app's
    error mapping) on one runtime."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        plain = Starlette(
            routes=[Route(STATUS_TEMPLATE, fan_api.status_endpoint)],
            exception_handlers=exception_handlers(),
        )
        plain.state.runtime = app.state.runtime
        fast_transport = httpx.ASGITransport(app=app)
        slow_transport = httpx.ASGITransport(app=plain)
        async with (
            httpx.AsyncClient(transport=fast_transport, base_url="http://t") as fast,
            httpx.AsyncClient(transport=slow_transport, base_url="http://t") as slow,
        ):
            yield fast, slow


def comparable(response: httpx.Response) -> tuple[int, dict[str, Any], dict[str, str], list[str]]:
    body = response.json()
    body.pop("poll_after_ms", None)  # jittered on every answer
    body.pop("server_time", None)
    headers = {name: response.headers.get(name, "") for name in ("content-type", "cache-control")}
    cookies = sorted(value.split("=", 1)[0] for value in response.headers.get_list("set-cookie"))
    return response.status_code, body, headers, cookies


async def join(client: httpx.AsyncClient, queue_id: str) -> str:
    client.cookies.clear()
    response = await client.post(f"/api/v1/queues/{queue_id}/join")
    assert response.status_code == 201
    client.cookies.clear()
    token: str = response.json()["token"]
    return token


async def configure(client: httpx.AsyncClient, queue_id: str, **fields: Any) -> None:
    from tests.conftest import ADMIN_TOKEN

    response = await client.put(
        f"/api/v1/admin/queues/{queue_id}",
        json=fields,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code in {200, 201}


async def test_waiting_fan_gets_the_same_answer_by_bearer_and_cookie(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], unique_id: str
) -> None:
    fast, slow = apps
    await configure(fast, unique_id, rate_per_minute=1, state="open", burst=1)
    tokens = [await join(fast, unique_id) for _ in range(4)]
    path = f"/api/v1/queues/{unique_id}/status"
    for token in tokens[2:]:
        bearer = {"Authorization": f"Bearer {token}"}
        fast_answer = comparable(await fast.get(path, headers=bearer))
        assert fast_answer == comparable(await slow.get(path, headers=bearer))
        assert fast_answer[1]["state"] == "waiting"
        cookie = {"Cookie": f"{position_cookie_name(unique_id)}={token}"}
        assert comparable(await fast.get(path, headers=cookie)) == fast_answer


async def test_admitted_fan_gets_a_pass_and_the_same_cookies(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], unique_id: str
) -> None:
    fast, slow = apps
    await configure(fast, unique_id, rate_per_minute=6_000_000, state="open", burst=5)
    token = await join(fast, unique_id)
    path = f"/api/v1/queues/{unique_id}/status"
    bearer = {"Authorization": f"Bearer {token}"}
    for _ in range(40):  # the in-process view refreshes every 0.25 s
        fast_response = await fast.get(path, headers=bearer)
        if fast_response.json()["state"] == "admitted":
            break
        await asyncio.sleep(0.05)
    slow_response = await slow.get(path, headers=bearer)
    assert fast_response.json()["state"] == "admitted"
    assert fast_response.json()["pass"]
    fast_code, fast_body, fast_headers, fast_cookies = comparable(fast_response)
    slow_code, slow_body, slow_headers, slow_cookies = comparable(slow_response)
    assert fast_cookies == slow_cookies == []  # the pass travels in the body and the link
    assert (fast_code, fast_headers) == (slow_code, slow_headers)
    assert set(fast_body) == set(slow_body)


@pytest.mark.parametrize(
    ("headers", "status_code", "reason"),
    [
        ({}, 401, "missing"),
        ({"Authorization": "Bearer not-a-token"}, 401, "invalid"),
        ({"Authorization": "Bearer " + "x" * 2000}, 400, "malformed"),
        ({"Authorization": "Basic abc"}, 401, "missing"),
    ],
)
async def test_bad_tokens_get_the_same_problem(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
    unique_id: str,
    headers: dict[str, str],
    status_code: int,
    reason: str,
) -> None:
    fast, slow = apps
    await configure(fast, unique_id, rate_per_minute=1, state="open")
    path = f"/api/v1/queues/{unique_id}/status"
    fast_response = await fast.get(path, headers=headers)
    assert fast_response.status_code == status_code
    assert fast_response.headers["content-type"].startswith("application/problem+json")
    assert fast_response.json() == (await slow.get(path, headers=headers)).json()
    assert fast_response.json().get("reason", reason) == reason


async def test_foreign_and_unknown_queues(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], unique_id: str
) -> None:
    fast, slow = apps
    await configure(fast, unique_id, rate_per_minute=1, state="open")
    token = await join(fast, unique_id)
    bearer = {"Authorization": f"Bearer {token}"}
    for queue_id in (unique_id + "x", "bad id!", "nosuchqueue" + unique_id):
        path = f"/api/v1/queues/{queue_id}/status"
        fast_response = await fast.get(path, headers=bearer)
        assert fast_response.status_code in {401, 404}
        assert fast_response.json() == (await slow.get(path, headers=bearer)).json()


async def test_status_polls_are_timed_under_the_route_template(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], unique_id: str
) -> None:
    fast, _ = apps
    await configure(fast, unique_id, rate_per_minute=1, state="open")
    token = await join(fast, unique_id)
    path = f"/api/v1/queues/{unique_id}/status"
    await asyncio.gather(
        *(fast.get(path, headers={"Authorization": f"Bearer {token}"}) for _ in range(3))
    )
    metrics = (await fast.get("/metrics", headers=METRICS_HEADERS)).text
    sample = (
        'waitroom_http_request_duration_seconds_count{method="GET",'
        f'route="{STATUS_TEMPLATE}",status="200"}}'
    )
    line = next(line for line in metrics.splitlines() if line.startswith(sample))
    assert float(line.split()[-1]) >= 3
    head = await fast.head(path, headers={"Authorization": f"Bearer {token}"})
    assert head.status_code == 200  # HEAD is left to the Starlette route
