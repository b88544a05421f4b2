"""Faults between the shop and the waiting room, over real sockets in the deployed topology
(waiting room on 127.0.0.1, the shop with two workers on 127.0.0.2; the queue on a Redis of
the test's own, the sale data on another):

- the waiting room's Redis comes back without its data while admitted fans are on their way
  to the shop: their passes are still claimed (the waiting room restores the queue from its
  view), never answered "queue not found";
- the waiting room restarts (kill -9 and a new process on the same port) while fans shop:
  once it is back, at most the first connector call per shop process may fail.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.connector_hosts import Hosts, protected_shop
from waitroom.storage.embedded_redis import EmbeddedRedis

SHOP_WORKERS = 2


@pytest.fixture
def hosts(own_redis: EmbeddedRedis, redis_url: str) -> Iterator[Hosts]:
    """The queue's store is ``own_redis`` (the test kills it); the shop's sale data stays on
    the session's Redis."""
    queue_id = "fault" + uuid.uuid4().hex[:6]
    with protected_shop(
        own_redis.url, queue_id, shop_workers=SHOP_WORKERS, WAITROOM_SALE_REDIS_URL=redis_url
    ) as started:
        yield started


def admitted_passes(hosts: Hosts, count: int) -> list[str]:
    def one(_: int) -> str:
        with httpx.Client(timeout=20) as fan:
            return str(hosts.admitted_status(fan)["pass"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def shop_as(hosts: Hosts, token: str) -> httpx.Response:
    """An API client's first request at the shop with its pass: the shop claims it."""
    return httpx.get(
        f"{hosts.shop.base_url}/api/v1/events",
        headers={"authorization": f"Bearer {token}"},
        timeout=20,
    )


def restart_empty(redis: EmbeddedRedis) -> None:
    redis.kill()
    assert redis.data_dir is not None
    for item in redis.data_dir.iterdir():
        if item.is_dir():
            shutil.rmtree(item)
        elif item.suffix in {".aof", ".rdb"}:
            item.unlink()
    redis.restart()


@pytest.mark.slow
def test_passes_are_claimed_after_the_queue_redis_lost_its_data(
    hosts: Hosts, own_redis: EmbeddedRedis
) -> None:
    passes = admitted_passes(hosts, 6)
    restart_empty(own_redis)
    answers = [shop_as(hosts, token) for token in passes]
    assert [answer.status_code for answer in answers] == [200] * len(passes), [
        answer.text[:200] for answer in answers
    ]
    document = hosts.admin()
    assert document["state"] == "paused"  # restored from the waiting room's view, paused
    assert [alert["kind"] for alert in document["alerts"]] == ["state_lost"]
    assert document["active_sessions"] == len(passes)


@pytest.mark.slow
def test_after_the_waiting_room_restarts_each_shop_process_fails_at_most_once(
    hosts: Hosts,
) -> None:
    early = admitted_passes(hosts, 20)
    # every shop worker holds kept-alive connections to the waiting room
    with ThreadPoolExecutor(10) as pool:
        assert {a.status_code for a in pool.map(lambda t: shop_as(hosts, t), early)} == {200}
    waiting = admitted_passes(hosts, 40)  # admitted, on their way to the shop

    assert hosts.queue.process is not None
    hosts.queue.process.kill()  # kill -9: every connection to it is gone
    hosts.queue.process.wait()
    while_down = shop_as(hosts, waiting[0])
    assert while_down.status_code == 503  # fails closed: the pass cannot be checked
    hosts.queue.start()  # the same port, as a supervisor would restart it
    time.sleep(0.5)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda token: shop_as(hosts, token), waiting[1:]))
    failed = [answer.text[:200] for answer in answers if answer.status_code != 200]
    assert len(failed) <= SHOP_WORKERS, failed
    # sessions started before the restart go on: they check out and end their sessions
    assert all(shop_as(hosts, token).status_code == 200 for token in early[:5])
