"""A Redis that lost its data never answers "queue not found" to a new fan for a queue that
existed: the join path runs the state guard (waitroom/queue/state_guard.py) with the process's
view as witness, so the first new fan already finds the queue restored and paused, with a place
above every place handed out before.

Real redis-server (FLUSHALL, or SIGKILL and a restart without data on the same port) and a real
uvicorn process with two workers.
"""

from __future__ import annotations

import asyncio
import time
from http.cookiejar import DefaultCookiePolicy

import httpx
import pytest
import redis as sync_redis
from redis.asyncio import Redis

from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.servers import ServerProcess
from tests.system.test_redis_faults import lose_redis_state
from waitroom.admission import AdmissionStore
from waitroom.queue.state_guard import STATE_LOST_REASON, StateGuard
from waitroom.queue.view import QueueViewCache
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.tokens import new_visitor_id

ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EARLY_FANS = 120
NEW_FANS = 60


def create_queue(server: ServerProcess, queue_id: str, **fields: object) -> None:
    created = httpx.put(
        f"{server.base_url}/api/v1/admin/queues/{queue_id}",
        json={"rate_per_minute": 0, **fields},
        headers=ADMIN_HEADERS,
    )
    assert created.status_code == 201


async def joins(base_url: str, queue_id: str, count: int) -> list[httpx.Response]:
    """``count`` new fans joining at once (no cookie shared between them)."""
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        return list(
            await asyncio.gather(
                *(client.post(f"/api/v1/queues/{queue_id}/join") for _ in range(count))
            )
        )


async def polls(base_url: str, queue_id: str, tokens: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return list(
            await asyncio.gather(
                *(
                    client.get(
                        f"/api/v1/queues/{queue_id}/status",
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for token in tokens
                )
            )
        )


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["flushall", "restart_empty"])
def test_new_fans_find_the_queue_restored_after_redis_lost_its_data(
    own_redis: EmbeddedRedis, unique_id: str, loss: str
) -> None:
    environment = server_environment(
        own_redis.url,
        WAITROOM_JOIN_LIMIT_EXEMPT_NETWORKS="127.0.0.0/8",
        WAITROOM_REDIS_RETRY_AFTER_SECONDS="1",
    )
    fresh: EmbeddedRedis | None = None
    factory = "waitroom.web.app:create_app_from_environ"
    with ServerProcess(factory, environment, workers=2) as server:
        try:
            create_queue(server, unique_id, name="Arena")
            early = asyncio.run(joins(server.base_url, unique_id, EARLY_FANS))
            assert {response.status_code for response in early} == {201}
            tokens = [response.json()["token"] for response in early]
            time.sleep(0.3)  # one view refresh interval: both workers' views see every place
            assert all(
                reply.status_code == 200
                for reply in asyncio.run(polls(server.base_url, unique_id, tokens))
            )

            if loss == "flushall":
                with sync_redis.Redis.from_url(own_redis.url) as direct:
                    direct.flushall()
            else:
                fresh = lose_redis_state(own_redis)

            newcomers = asyncio.run(joins(server.base_url, unique_id, NEW_FANS))
            statuses = [response.status_code for response in newcomers]
            assert 404 not in statuses
            assert statuses == [201] * NEW_FANS, [response.text for response in newcomers][:3]
            places = sorted(response.json()["position"] for response in newcomers)
            assert places[0] > EARLY_FANS  # never a place handed out before the loss
            assert len(set(places)) == NEW_FANS
            assert {response.json()["state"] for response in newcomers} == {"paused"}

            document = httpx.get(
                f"{server.base_url}/api/v1/admin/queues/{unique_id}", headers=ADMIN_HEADERS
            ).json()
            assert document["state"] == "paused"
            assert document["pause_reason"] == STATE_LOST_REASON
            assert document["name"] == "Arena"  # the config came back from a process's view
            assert [alert["kind"] for alert in document["alerts"]] == ["state_lost"]
            # the tail came back at the views' high-water mark, with a margin for places the
            # views may not have seen (waitroom/queue/unseen_places.py); the newcomers follow
            high_water = int(document["alerts"][0]["tail_high_water"])
            assert EARLY_FANS <= high_water <= EARLY_FANS + 2 * EARLY_FANS
            # two workers may each put the queue back (each from its own view, with its own
            # margin): the tail only ever rises, so places stay unique and above every place
            # given before the loss; a gap between the two restores is harmless
            assert places[-1] <= document["tail_position"]
            assert document["tail_position"] >= high_water + 1
        finally:
            if fresh is not None:
                fresh.stop()


def test_a_queue_removed_on_purpose_is_not_brought_back_by_a_join(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    """Redis kept its other data (the instance marker): a deleted queue stays deleted."""
    environment = server_environment(own_redis.url)
    with ServerProcess("waitroom.web.app:create_app_from_environ", environment) as server:
        create_queue(server, unique_id)
        assert httpx.post(f"{server.base_url}/api/v1/queues/{unique_id}/join").status_code == 201
        with sync_redis.Redis.from_url(own_redis.url) as direct:
            direct.delete(*direct.keys(f"wr:{{q:{unique_id}}}:*"))
        gone = httpx.post(f"{server.base_url}/api/v1/queues/{unique_id}/join")
        assert gone.status_code == 404
        assert gone.json()["type"].endswith("/queue-not-found")


def test_places_handed_out_since_the_last_view_refresh_are_not_handed_out_again(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    """The view is refreshed every few seconds; the places this process handed out in between
    are part of what the state guard restores."""
    environment = server_environment(
        own_redis.url,
        WAITROOM_QUEUE_VIEW_REFRESH_SECONDS="30",
        WAITROOM_JOIN_LIMIT_EXEMPT_NETWORKS="127.0.0.0/8",
    )
    with ServerProcess("waitroom.web.app:create_app_from_environ", environment) as server:
        create_queue(server, unique_id)
        places = [
            httpx.post(f"{server.base_url}/api/v1/queues/{unique_id}/join").json()["position"]
            for _ in range(5)
        ]
        assert places == [1, 2, 3, 4, 5]  # the view still shows the tail of the first join
        with sync_redis.Redis.from_url(own_redis.url) as direct:
            direct.flushall()
        newcomer = httpx.post(f"{server.base_url}/api/v1/queues/{unique_id}/join")
        assert newcomer.status_code == 201
        # above the five (plus a margin for places other processes may have handed out)
        assert newcomer.json()["position"] > 5
        assert newcomer.json()["state"] == "paused"


def test_redeeming_a_code_after_redis_lost_its_data_restores_the_queue(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    """The fan's position token is the witness on the code path too: no "not found"."""
    environment = server_environment(own_redis.url)
    with ServerProcess("waitroom.web.app:create_app_from_environ", environment) as server:
        create_queue(server, unique_id)
        token = httpx.post(f"{server.base_url}/api/v1/queues/{unique_id}/join").json()["token"]
        with sync_redis.Redis.from_url(own_redis.url) as direct:
            direct.flushall()
        redeemed = httpx.post(
            f"{server.base_url}/api/v1/queues/{unique_id}/codes/redeem",
            json={"code": "NOSUCHCODE1"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert redeemed.status_code == 404
        assert redeemed.json()["type"].endswith("/code-not-accepted")  # the code, not the queue
        document = httpx.get(
            f"{server.base_url}/api/v1/admin/queues/{unique_id}", headers=ADMIN_HEADERS
        ).json()
        assert document["pause_reason"] == STATE_LOST_REASON


async def test_places_other_processes_handed_out_since_the_last_read_are_not_handed_out_again(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    """Fans join through other processes at a steady pace; this process reads the queue every
    round, then Redis loses its data one round after its last read. The state guard restores
    the tail above the places handed out in that round (the arrival rate this process measured
    times the time since its last read, twice over), so a new fan never gets one of them."""
    client = Redis.from_url(own_redis.url)
    store = AdmissionStore(client, default_burst=10)
    await store.configure(unique_id, {"rate_per_minute": 0, "state": "open"})
    witness = QueueViewCache(store, refresh_seconds=0.05)
    witness.state_guard = StateGuard(store.scripts)
    try:
        handed_out = []
        for round_number in range(11):
            for _ in range(3):  # joins through the other processes
                handed_out.append((await store.join(unique_id, new_visitor_id())).position)
            if round_number < 10:  # the last round happens after this process's last read
                witness.invalidate(unique_id)
                assert (await witness.get(unique_id)).snapshot.tail == len(handed_out)
            await asyncio.sleep(0.05)
        await client.flushall()

        witness.invalidate(unique_id)
        restored = await witness.get(unique_id)
        newcomer = await store.join(unique_id, new_visitor_id())
        assert newcomer.position > max(handed_out) == 33
        assert restored.snapshot.config.state.value == "paused"
        assert restored.snapshot.tail - 30 <= 40  # a margin, not a jump
    finally:
        await client.aclose()


async def test_a_burst_this_process_served_between_two_refreshes_sets_the_margin(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    """This process read the queue once (long refresh), then handed out places of a burst
    itself; other processes handed out more right after; Redis loses its data before this
    process's next refresh. Its own joins are reads of the tail: the margin comes from the
    burst's rate they measured, so the places the others handed out are not given again (a
    fresh-clone run restored a process's witness of 89 with no margin under 300 places)."""
    client = Redis.from_url(own_redis.url)
    store = AdmissionStore(client, default_burst=10)
    await store.configure(unique_id, {"rate_per_minute": 0, "state": "open"})
    witness = QueueViewCache(store, refresh_seconds=30.0)
    witness.state_guard = StateGuard(store.scripts)
    try:
        assert (await witness.get(unique_id)).snapshot.tail == 0
        handed_out = []
        for _ in range(30):  # this process's own joins, a burst over about 0.3 s
            result = await store.join(unique_id, new_visitor_id())
            witness.note_place(unique_id, result.epoch, max(result.position, result.tail))
            handed_out.append(result.position)
            await asyncio.sleep(0.01)
        for _ in range(30):  # the other processes' joins, unseen by this one
            handed_out.append((await store.join(unique_id, new_visitor_id())).position)
        await client.flushall()

        witness.invalidate(unique_id)
        restored = await witness.get(unique_id)
        newcomer = await store.join(unique_id, new_visitor_id())
        assert newcomer.position > max(handed_out) == 60
        assert restored.snapshot.config.state.value == "paused"
    finally:
        await client.aclose()
