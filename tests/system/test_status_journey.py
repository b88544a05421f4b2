"""One fan's status polls over a real uvicorn with two workers, from the pre-queue to closed.

Every ``GET`` poll goes through the pure-ASGI fast path, ``HEAD`` through the Starlette route;
both send the one status reply (waitroom/fan/status_reply.py). Polls land on either worker, each
with its own cached view, so every step polls until the new state shows (one view refresh).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, waitroom_process
from tests.support.servers import ServerProcess
from waitroom.fan.cookies import position_cookie_name

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
OPENS_IN_SECONDS = 1.5


@pytest.fixture(scope="module")
def two_workers(redis_url: str) -> Iterator[ServerProcess]:
    server = waitroom_process(redis_url)
    server.workers = 2
    with server:
        yield server


def configure(server: ServerProcess, queue_id: str, **fields: Any) -> None:
    response = httpx.put(
        f"{server.base_url}/api/v1/admin/queues/{queue_id}", json=fields, headers=ADMIN
    )
    assert response.status_code in (200, 201), response.text


def poll_until(
    fan: httpx.Client, path: str, wanted: Callable[[dict[str, Any]], bool], seconds: float = 5.0
) -> tuple[dict[str, Any], httpx.Response]:
    deadline = time.monotonic() + seconds
    while True:
        response = fan.get(path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "no-store"
        body: dict[str, Any] = response.json()
        if wanted(body) or time.monotonic() > deadline:
            return body, response
        time.sleep(0.1)


def test_a_fan_from_the_pre_queue_to_a_closed_queue(
    two_workers: ServerProcess, unique_id: str
) -> None:
    status_path = f"/api/v1/queues/{unique_id}/status"
    opens_at = time.time() + OPENS_IN_SECONDS
    configure(
        two_workers, unique_id, rate_per_minute=0, state="open", opens_at=opens_at, burst=1,
        redirect_url="https://shop.example/buy",
    )  # fmt: skip
    with httpx.Client(base_url=two_workers.base_url) as fan:
        joined = fan.post(f"/api/v1/queues/{unique_id}/join")
        assert joined.status_code == 201
        assert (joined.json()["state"], joined.json()["position"]) == ("prequeue", 0)
        early_token = fan.cookies[position_cookie_name(unique_id)]

        before, _ = poll_until(fan, status_path, lambda body: True)
        assert before["state"] == "prequeue" and before["opens_at"] == pytest.approx(opens_at)

        # the queue opens: the place is given, the token re-issued and its cookie replaced
        opened, response = poll_until(fan, status_path, lambda body: body["position"] > 0)
        assert opened["position"] == 1 and opened["token"] != early_token
        assert any(
            cookie.startswith(f"{position_cookie_name(unique_id)}={opened['token']};")
            for cookie in response.headers.get_list("set-cookie")
        )
        assert fan.cookies[position_cookie_name(unique_id)] == opened["token"]
        assert opened["state"] == "paused"  # rate 0: nobody moves yet

        configure(two_workers, unique_id, state="paused", pause_reason="a short break")
        paused, _ = poll_until(fan, status_path, lambda body: "pause_reason" in body)
        assert (paused["state"], paused["pause_reason"]) == ("paused", "a short break")
        assert "token" not in paused and paused["eta_seconds"] is None

        configure(two_workers, unique_id, state="open", rate_per_minute=600, pause_reason="")
        admitted, _ = poll_until(fan, status_path, lambda body: body["state"] == "admitted")
        assert admitted["state"] == "admitted" and admitted["ahead"] == 0
        assert admitted["pass"] and admitted["redirect_url"].startswith(
            "https://shop.example/buy?waitroom_pass="
        )

        # HEAD goes through the Starlette route: the same status and headers
        head = fan.head(status_path)
        assert head.status_code == 200 and head.content == b""
        assert (head.headers["content-type"], head.headers["cache-control"]) == (
            "application/json",
            "no-store",
        )

        configure(two_workers, unique_id, state="closed")
        closed, _ = poll_until(fan, status_path, lambda body: body["state"] == "closed")
        assert closed["closed_reason"] == "queue_closed" and "pass" not in closed

    # no token, or another queue's: a problem body, never a pass
    anonymous = httpx.get(f"{two_workers.base_url}{status_path}")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert anonymous.json()["reason"] == "missing"
