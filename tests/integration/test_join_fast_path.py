"""Joins without a body are answered by the join fast path, joins with one by the Starlette
endpoint: both give the same answers (places, bodies, cookies, problems, Retry-After) from
the same function, and the request histogram counts both under the join route."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import METRICS_HEADERS
from tests.support.abuse_support import create_queue, running_app

LIMITED = {
    "WAITROOM_JOIN_LIMIT_PER_IP": "2/minute",
    "WAITROOM_JOIN_LIMIT_EXEMPT_NETWORKS": "",
}


async def join(client: httpx.AsyncClient, queue_id: str, with_body: bool) -> httpx.Response:
    client.cookies.clear()
    if with_body:  # a body (ignored by the endpoint) takes the Starlette path
        return await client.post(f"/api/v1/queues/{queue_id}/join", content=b"{}")
    return await client.post(f"/api/v1/queues/{queue_id}/join")


def shape(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    return {
        "status": response.status_code,
        "keys": sorted(body),
        "state": body.get("state"),
        "type": body.get("type"),
        "content_type": response.headers["content-type"],
        "cache_control": response.headers.get("cache-control"),
        "cookies": sorted(
            value.split("=", 1)[0] + ";" + value.split(";", 1)[1]
            for value in response.headers.get_list("set-cookie")
        ),
        "retry_after": response.headers.get("retry-after"),
    }


async def test_both_paths_answer_joins_alike(redis_url: str, unique_id: str) -> None:
    async with running_app(redis_url, **LIMITED) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0)
        fast, starlette = await join(client, unique_id, False), await join(client, unique_id, True)
        assert fast.status_code == 201 and starlette.status_code == 201
        assert shape(fast) == shape(starlette)
        assert (fast.json()["position"], starlette.json()["position"]) == (1, 2)
        # the place held: a rejoin with the token answers 200, the same place
        for with_body in (False, True):
            again = await client.post(
                f"/api/v1/queues/{unique_id}/join",
                headers={"authorization": f"Bearer {fast.json()['token']}"},
                content=b"{}" if with_body else b"",
            )
            assert again.status_code == 200 and again.json()["position"] == 1
        # limits: a third new place from this address is refused on both paths
        refused = [await join(client, unique_id, with_body) for with_body in (False, True)]
        assert shape(refused[0]) == shape(refused[1])
        assert refused[0].status_code == 429 and int(refused[0].headers["retry-after"]) >= 1
        # problems: unknown queue, bad queue id, closed queue
        for queue_id in ("no-such-queue", "bad id!"):
            answers = [await join(client, queue_id, with_body) for with_body in (False, True)]
            assert shape(answers[0]) == shape(answers[1]) and answers[0].status_code == 404
        await create_queue(client, unique_id, state="closed")
        closed = [await join(client, unique_id, with_body) for with_body in (False, True)]
        assert shape(closed[0]) == shape(closed[1]) and closed[0].status_code == 409
        metrics = (await client.get("/metrics", headers=METRICS_HEADERS)).text
        for status in ("201", "429", "404", "409"):
            line = (
                f'waitroom_http_request_duration_seconds_count{{method="POST",'
                f'route="/api/v1/queues/{{queue_id}}/join",status="{status}"}}'
            )
            assert line in metrics, status


async def test_an_empty_form_post_is_the_pages_button_not_an_api_join(
    redis_url: str, unique_id: str
) -> None:
    """The page's "Join the queue" button posts a form without fields (no body): the fast path
    leaves it to the endpoint, which answers with a redirect to the page of the place."""
    async with running_app(redis_url) as (_, client):
        await create_queue(client, unique_id)
        client.cookies.clear()
        button = await client.post(
            f"/api/v1/queues/{unique_id}/join",
            headers={"content-type": "application/x-www-form-urlencoded"},
            content=b"",
        )
        assert button.status_code == 303
        assert button.headers["location"] == f"/q/{unique_id}"
        assert any(
            cookie.startswith(f"wr_pos_{unique_id}=")
            for cookie in button.headers.get_list("set-cookie")
        )
