"""Stock per event over real sockets, deployed as in production: the waiting room (two uvicorn
workers, on 127.0.0.1) and the shop (two workers, on 127.0.0.2, with a Redis of its own that
the waiting room never sees) talk only through the connector contract. Fans buy with real
passes; the queue fronts two events and follows their stock."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import STAFF_TOKEN, sample_event
from waitroom.storage.embedded_redis import EmbeddedRedis

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
STAFF = {"authorization": f"Bearer {STAFF_TOKEN}"}
TOLD_WITHIN_SECONDS = 3.0
"""Fans learn a change at their next poll after a report (view refresh 0.25 s per worker)."""


@dataclass
class Deployment:
    waitroom: httpx.Client
    shop: httpx.Client
    queue_id: str
    waitroom_redis: redis.Redis
    shop_redis: redis.Redis

    def admin(self) -> dict[str, Any]:
        response = self.waitroom.get(f"/api/v1/admin/queues/{self.queue_id}", headers=ADMIN)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def set_queue(self, **fields: Any) -> None:
        response = self.waitroom.put(
            f"/api/v1/admin/queues/{self.queue_id}", json=fields, headers=ADMIN
        )
        assert response.status_code in {200, 201}, response.text

    def join(self) -> httpx.Response:
        with httpx.Client(base_url=str(self.waitroom.base_url), timeout=10) as fan:
            return fan.post(f"/api/v1/queues/{self.queue_id}/join")

    def status(self, fan: dict[str, str]) -> dict[str, Any]:
        response = self.waitroom.get(f"/api/v1/queues/{self.queue_id}/status", headers=fan)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def admitted_pass(self) -> dict[str, str]:
        """A fan who joins while the queue admits at once: their pass, as a bearer token."""
        joined = self.join()
        assert joined.status_code == 201, joined.text
        fan = {"authorization": f"Bearer {joined.json()['token']}"}
        status = eventually(lambda: self.status(fan), lambda body: body["state"] == "admitted")
        return {"authorization": f"Bearer {status['pass']}"}

    def waiting_fan(self) -> dict[str, str]:
        """A fan still waiting (the queue admits 1 a minute with a burst of 1)."""
        self.set_queue(rate_per_minute=1)
        while True:
            joined = self.join()
            assert joined.status_code == 201, joined.text
            fan = {"authorization": f"Bearer {joined.json()['token']}"}
            if self.status(fan)["state"] == "waiting":
                return fan

    def buy(self, buyer: dict[str, str], event_id: str, quantity: int) -> dict[str, Any]:
        response = self.shop.post(
            "/api/v1/checkout",
            json={
                "event_id": event_id,
                "items": [{"tier_id": "standard", "quantity": quantity}],
                "card_number": CARD_SUCCEEDS,
                "name": "Fan",
                "email": "fan@example.org",
            },
            headers={**buyer, "idempotency-key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order


def eventually(
    read: Callable[[], dict[str, Any]],
    done: Callable[[dict[str, Any]], bool],
    within_seconds: float = TOLD_WITHIN_SECONDS,
) -> dict[str, Any]:
    deadline = time.monotonic() + within_seconds
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, value
        time.sleep(0.05)


def one_tier_event(queue_id: str, capacity: int, name: str) -> dict[str, Any]:
    tier = {"tier_id": "standard", "name": "Standing", "price_minor": 3000, "capacity": capacity}
    return sample_event(queue_id, name=name, tiers=[tier], sections=[], max_tickets_per_buyer=10)


@pytest.fixture(scope="module")
def deployment(redis_url: str) -> Iterator[Deployment]:
    queue_id = "journey-" + uuid.uuid4().hex[:8]
    with EmbeddedRedis() as shop_redis_server:
        waitroom = ServerProcess(
            "waitroom.web.app:create_app_from_environ", server_environment(redis_url), workers=2
        ).start()
        shop: ServerProcess | None = None
        try:
            shop = ServerProcess(
                "sale_backend.web.app:create_app_from_environ",
                server_environment(
                    shop_redis_server.url,  # the shop's own Redis: no queue keys in it
                    WAITROOM_SHOP_QUEUE_ID=queue_id,
                    WAITROOM_SHOP_QUEUE_URL=f"{waitroom.base_url}/q/{queue_id}",
                    WAITROOM_CONNECTOR_URL=waitroom.base_url,
                    WAITROOM_STAFF_TOKEN=STAFF_TOKEN,
                    WAITROOM_SALE_STOCK_REPORT_SECONDS="1",
                ),
                workers=2,
                host="127.0.0.2",
            ).start()
            with (
                httpx.Client(base_url=waitroom.base_url, timeout=10) as waitroom_client,
                httpx.Client(base_url=shop.base_url, timeout=10) as shop_client,
            ):
                deployed = Deployment(
                    waitroom_client,
                    shop_client,
                    queue_id,
                    redis.Redis.from_url(redis_url),
                    redis.Redis.from_url(shop_redis_server.url),
                )
                deployed.set_queue(
                    name="Two shows", rate_per_minute=60000, burst=1, redirect_url=shop.base_url
                )
                try:
                    yield deployed
                finally:
                    deployed.waitroom_redis.close()
                    deployed.shop_redis.close()
        finally:
            if shop is not None:
                shop.stop()
            waitroom.stop()


@pytest.mark.slow  # two deployments of two workers each start in ~5 s; the journey takes ~5 s
def test_two_events_one_queue_sold_out_only_when_both_are(deployment: Deployment) -> None:
    queue_id = deployment.queue_id
    matinee, evening = f"{queue_id}-matinee", f"{queue_id}-evening"
    for event_id, capacity in ((matinee, 2), (evening, 3)):
        defined = deployment.shop.put(
            f"/api/v1/staff/events/{event_id}",
            json=one_tier_event(queue_id, capacity, event_id),
            headers=STAFF,
        )
        assert defined.status_code == 200, defined.text
    # the definitions reach the waiting room as reports of both events
    stock = eventually(
        lambda: deployment.admin()["stock"] or {},
        lambda stock: len(stock.get("events", [])) == 2,
    )
    assert stock["remaining_total"] == stock["capacity_total"] == 5
    first, second, third = (deployment.admitted_pass() for _ in range(3))
    watcher = deployment.waiting_fan()

    # the matinee sells out: the queue still admits, new fans join, the hint is the sum
    deployment.buy(first, matinee, 2)
    status = eventually(
        lambda: deployment.status(watcher), lambda body: body.get("tickets_remaining") == 3
    )
    assert status["state"] == "waiting"
    assert deployment.join().status_code == 201
    assert deployment.admin()["state"] == "open"

    # every evening ticket in a cart: nothing left anywhere, fans are told at once
    cart = deployment.shop.post(
        "/api/v1/holds",
        json={"event_id": evening, "items": [{"tier_id": "standard", "quantity": 3}]},
        headers=second,
    )
    assert cart.status_code == 201, cart.text
    status = eventually(lambda: deployment.status(watcher), lambda body: body["state"] != "waiting")
    assert status["state"] == "sold_out" and status["stock_may_return"] is True
    refused = deployment.join()
    assert refused.status_code == 409 and refused.json()["state"] == "sold_out"

    # the cart is released: the queue reopens and the waiting fan is back in line
    released = deployment.shop.delete(f"/api/v1/holds/{cart.json()['hold_id']}", headers=second)
    assert released.status_code == 204
    status = eventually(
        lambda: deployment.status(watcher), lambda body: body["state"] != "sold_out"
    )
    assert status["state"] == "waiting" and status["tickets_remaining"] == 3
    assert deployment.join().status_code == 201

    # the evening sells out too, then a refund reopens the queue
    order = deployment.buy(second, evening, 3)
    eventually(lambda: deployment.status(watcher), lambda body: body["state"] == "sold_out")
    queue = deployment.admin()
    assert queue["state"] == "sold_out" and queue["sold_out_by_stock"] is True
    refunded = deployment.shop.post(
        f"/api/v1/staff/orders/{order['order_id']}/refund",
        json={"ticket_ids": [order["tickets"][0]["ticket_id"]]},
        headers=STAFF,
    )
    assert refunded.status_code == 200, refunded.text
    status = eventually(lambda: deployment.status(watcher), lambda body: body["state"] == "waiting")
    assert status["tickets_remaining"] == 1

    # the organizer closes the queue: stock reports never open it again
    deployment.set_queue(state="closed")
    deployment.buy(third, evening, 1)
    refunded = deployment.shop.post(
        f"/api/v1/staff/orders/{order['order_id']}/refund",
        json={"ticket_ids": [order["tickets"][1]["ticket_id"]]},
        headers=STAFF,
    )
    assert refunded.status_code == 200
    stock = eventually(
        lambda: deployment.admin()["stock"], lambda stock: stock["remaining_total"] == 1
    )
    assert deployment.admin()["state"] == "closed"
    assert deployment.status(watcher)["state"] == "closed"

    # sales per minute for the dashboard: 2 + 3 + 1 sold, 2 refunded
    live = eventually(
        lambda: deployment.waitroom.get(
            f"/api/v1/admin/queues/{queue_id}/live", headers=ADMIN
        ).json(),
        lambda live: sum(live["series"]["sales_per_minute"]) == 4,
    )
    assert live["stock"]["sold_total"] == 4
    # nothing couples the two sides but the contract
    assert deployment.shop_redis.keys("wr:*") == []
    assert deployment.waitroom_redis.keys(f"sale:{{e:{queue_id}*") == []
