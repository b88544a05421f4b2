"""Redis down (fail closed, automatic recovery) and Redis state lost (pause, no reused place).

Each test runs its own redis-server on a fixed port and stops/restarts that process.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import server_environment
from tests.support.abuse_support import ADMIN_HEADERS
from tests.support.servers import ServerProcess
from waitroom.queue.state_guard import STATE_LOST_REASON
from waitroom.storage.embedded_redis import EmbeddedRedis


def start_waitroom(redis_url: str) -> ServerProcess:
    environment = server_environment(
        redis_url, WAITROOM_REDIS_RETRY_AFTER_SECONDS="3", WAITROOM_POLL_INTERVAL_MAX_MS="4000"
    )
    return ServerProcess("waitroom.web.app:create_app_from_environ", environment).start()


def join(client: httpx.Client, queue_id: str) -> httpx.Response:
    client.cookies.clear()
    return client.post(f"/api/v1/queues/{queue_id}/join")


def status(client: httpx.Client, queue_id: str, token: str) -> httpx.Response:
    client.cookies.clear()
    return client.get(
        f"/api/v1/queues/{queue_id}/status", headers={"Authorization": f"Bearer {token}"}
    )


def wait_for(predicate: object, timeout_seconds: float = 10.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


@pytest.mark.slow
def test_redis_down_fails_closed_and_recovers_by_itself(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    server = start_waitroom(own_redis.url)
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            created = client.put(
                f"/api/v1/admin/queues/{unique_id}",
                json={"rate_per_minute": 0, "burst": 1},
                headers=ADMIN_HEADERS,
            )
            assert created.status_code == 201
            tokens = [join(client, unique_id).json()["token"] for _ in range(3)]
            own_redis.kill()
            time.sleep(0.4)  # the process's cached view (0.25 s) has expired

            refused = join(client, unique_id)
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "3"
            assert refused.headers["content-type"].startswith("application/problem+json")

            for place, token in enumerate(tokens, start=1):
                reply = status(client, unique_id, token)
                assert reply.status_code == 200
                body = reply.json()
                assert body["state"] == "paused" and body["degraded"] is True
                assert body["position"] == place  # the place is kept
                assert "pass" not in body  # fail closed: nobody is admitted
            client.cookies.clear()
            page = client.get(f"/q/{unique_id}", cookies=None, headers={
                "Cookie": f"wr_pos_{unique_id}={tokens[0]}"
            })
            assert page.status_code == 200 and "paused" in page.text
            assert client.get("/readyz").status_code == 503
            admin = client.get(f"/api/v1/admin/queues/{unique_id}", headers=ADMIN_HEADERS)
            assert admin.status_code == 503
            for method, path in (("PUT", f"/api/v1/admin/queues/{unique_id}"),
                                 ("GET", "/api/v1/admin/queues")):
                reply = client.request(method, path, json={"rate_per_minute": 5},
                                       headers=ADMIN_HEADERS)
                assert reply.status_code == 503 and reply.headers["retry-after"] == "3"

            own_redis.restart()  # same port, same AOF: the data is back
            wait_for(lambda: status(client, unique_id, tokens[0]).json()["state"] == "paused"
                     and "degraded" not in status(client, unique_id, tokens[0]).json())
            assert join(client, unique_id).json()["position"] == 4
            resumed = client.put(
                f"/api/v1/admin/queues/{unique_id}",
                json={"rate_per_minute": 6000},
                headers=ADMIN_HEADERS,
            )
            assert resumed.status_code == 200
            wait_for(lambda: status(client, unique_id, tokens[0]).json()["state"] == "admitted")
            assert "pass" in status(client, unique_id, tokens[0]).json()
    finally:
        server.stop()


def lose_redis_state(own_redis: EmbeddedRedis) -> EmbeddedRedis:
    """Stops the server, wipes its data and starts an empty one on the same port."""
    port = own_redis.port
    own_redis.kill()
    assert own_redis.data_dir is not None
    for item in own_redis.data_dir.iterdir():
        if item.is_file():
            item.unlink()
    fresh = EmbeddedRedis(port=port, data_dir=own_redis.data_dir)
    return fresh.start()


@pytest.mark.slow
@pytest.mark.parametrize("witness", ["process", "token"])
def test_lost_redis_state_pauses_the_queue_instead_of_reusing_places(
    own_redis: EmbeddedRedis, unique_id: str, witness: str
) -> None:
    server = start_waitroom(own_redis.url)
    fresh: EmbeddedRedis | None = None
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            client.put(
                f"/api/v1/admin/queues/{unique_id}",
                json={"rate_per_minute": 0, "name": "Arena"},
                headers=ADMIN_HEADERS,
            )
            tokens = [join(client, unique_id).json()["token"] for _ in range(3)]
            assert status(client, unique_id, tokens[2]).json()["position"] == 3
            fresh = lose_redis_state(own_redis)
            if witness == "token":  # no process remembers anything either
                server.stop()
                server = start_waitroom(fresh.url)
                client.base_url = httpx.URL(server.base_url)

            def paused_for_loss() -> bool:
                reply = status(client, unique_id, tokens[1])
                return reply.status_code == 200 and reply.json().get("pause_reason") == (
                    STATE_LOST_REASON
                )

            wait_for(paused_for_loss)
            assert status(client, unique_id, tokens[1]).json()["position"] == 2
            document = client.get(
                f"/api/v1/admin/queues/{unique_id}", headers=ADMIN_HEADERS
            ).json()
            assert document["state"] == "paused", document
            assert [alert["kind"] for alert in document["alerts"]] == ["state_lost"]
            assert document["alerts"][0]["source"] == witness
            assert document["tail_position"] >= (3 if witness == "process" else 2)
            if witness == "process":
                assert document["name"] == "Arena"  # the config came back from the process
            newcomer = join(client, unique_id).json()
            assert newcomer["position"] > 2  # never a place already given to someone
            reopened = client.put(
                f"/api/v1/admin/queues/{unique_id}",
                json={"state": "open", "rate_per_minute": 60},
                headers=ADMIN_HEADERS,
            )
            assert reopened.status_code == 200
            after = client.get(f"/api/v1/admin/queues/{unique_id}", headers=ADMIN_HEADERS)
            assert after.json()["alerts"] == []
    finally:
        server.stop()
        if fresh is not None:
            fresh.stop()
