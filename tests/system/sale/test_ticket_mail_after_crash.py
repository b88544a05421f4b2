"""A shop process SIGKILLed in the middle of a burst of checkouts, in the deployed topology
(the waiting room on 127.0.0.1; two shop processes on 127.0.0.2 on one Redis with AOF; a real
SMTP server): once the killed process is back, every order acknowledged with 201 and every
order found in Redis has got exactly one tickets e-mail. The confirm script queues the e-mail
with the order, so no process can die between the two, and the reconciler (at the restarted
process's start) finishes the payments the dead one left.

The killed process sends no mail itself (its mail poll is a minute): a process that dies while
sending leaves its claimed messages to the lease (a minute) and may send one twice (at least
once, docs/reliability.md); that is the outbox's own guarantee, not what this test is about."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import orjson
import pytest
import redis

from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.storage.keys import EventKeys
from tests.conftest import server_environment
from tests.support.connector_support import mint_pass, open_queue
from tests.support.mail_support import SmtpServer, smtp_server, text_part
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import STAFF_TOKEN, sample_event
from waitroom.storage.embedded_redis import EmbeddedRedis, free_port

SHOP_FACTORY = "sale_backend.web.app:create_app_from_environ"
CHECKOUTS = 40
KILL_AFTER_ACKNOWLEDGED = 8
SETTLE_SECONDS = 0.6
"""How long the inbox is watched for a second copy after the last expected e-mail arrived."""


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def shop_process(environment: dict[str, str], mail_poll_seconds: float) -> ServerProcess:
    """One shop process on 127.0.0.2 (its public address is its own)."""
    port = free_port()
    return ServerProcess(
        SHOP_FACTORY,
        {
            **environment,
            "WAITROOM_SHOP_PUBLIC_URL": f"http://127.0.0.2:{port}",
            "WAITROOM_MAIL_POLL_SECONDS": str(mail_poll_seconds),
        },
        port=port,
        host="127.0.0.2",
    )


@dataclass
class Burst:
    """Checkouts with an e-mail address each, spread over the shop processes."""

    event_id: str
    shop_urls: list[str]
    acknowledged: dict[str, str] = field(default_factory=dict)
    """Order id -> the buyer's address, of every checkout answered with 201."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    going: threading.Event = field(default_factory=threading.Event)

    def checkout(self, index: int) -> None:
        address = f"fan{index}-{self.event_id}@example.org"
        body = {
            "event_id": self.event_id,
            "items": [{"tier_id": "standard", "quantity": 1}],
            "card_number": CARD_SUCCEEDS,
            "name": f"Fan {index}",
            "email": address,
        }
        headers = {
            "authorization": f"Bearer {mint_pass(self.event_id)}",
            "idempotency-key": str(uuid.uuid4()),
        }
        shop_url = self.shop_urls[index % len(self.shop_urls)]
        try:
            answer = httpx.post(
                f"{shop_url}/api/v1/checkout", json=body, headers=headers, timeout=10
            )
        except httpx.HTTPError:
            return  # the process died under it
        if answer.status_code == 201:
            with self.lock:
                self.acknowledged[answer.json()["order_id"]] = address
                if len(self.acknowledged) >= KILL_AFTER_ACKNOWLEDGED:
                    self.going.set()

    def run_and_kill(self, victim: ServerProcess) -> None:
        with ThreadPoolExecutor(max_workers=8) as pool:
            checkouts = [pool.submit(self.checkout, index) for index in range(CHECKOUTS)]
            assert self.going.wait(timeout=20), "the burst did not get going"
            assert victim.process is not None
            os.kill(victim.process.pid, signal.SIGKILL)
            for checkout in checkouts:
                checkout.result()
        victim.process.wait(timeout=10)
        victim.process = None


def orders_in_redis(store: redis.Redis, event_id: str) -> dict[str, dict[str, object]]:
    return {
        order_id.decode(): orjson.loads(raw)
        for order_id, raw in store.hgetall(EventKeys(event_id).orders).items()
    }


@pytest.mark.slow
def test_every_paid_order_gets_one_tickets_mail_after_a_shop_process_is_killed(
    own_redis: EmbeddedRedis, smtp: SmtpServer, unique_id: str
) -> None:
    store = redis.Redis.from_url(own_redis.url)
    keys = EventKeys(unique_id)
    waitroom = ServerProcess(
        "waitroom.web.app:create_app_from_environ", server_environment(own_redis.url)
    )
    environment = server_environment(
        own_redis.url,
        WAITROOM_SHOP_QUEUE_ID=unique_id,
        WAITROOM_STAFF_TOKEN=STAFF_TOKEN,
        WAITROOM_SALE_RECONCILE_AFTER_SECONDS="0.2",
        # a slower bank: payments are in flight when the process dies
        WAITROOM_SALE_TEST_PAYMENT_DELAY_SECONDS="0.05",
        **smtp.environment(),
    )
    survivor = shop_process(environment, mail_poll_seconds=0.1)
    victim = shop_process(environment, mail_poll_seconds=60)
    try:
        waitroom.start()
        open_queue(waitroom.base_url, unique_id)
        for shop in (survivor, victim):
            shop.environment = {**shop.environment, "WAITROOM_CONNECTOR_URL": waitroom.base_url}
            shop.start()
        defined = httpx.put(
            f"{survivor.base_url}/api/v1/staff/events/{unique_id}",
            json=sample_event(unique_id),
            headers={"authorization": f"Bearer {STAFF_TOKEN}"},
        )
        assert defined.status_code == 200, defined.text
        burst = Burst(unique_id, [survivor.base_url, victim.base_url])
        burst.run_and_kill(victim)

        time.sleep(0.3)  # the dead process's intents are older than the reconciler's grace
        victim.start()  # back on its port; its reconciler finishes what it left at start
        deadline = time.monotonic() + 10
        while store.zcard(keys.payments_pending) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.zcard(keys.payments_pending) == 0

        orders = orders_in_redis(store, unique_id)
        # the process died mid-burst: the checkouts sent to it afterwards were never answered
        assert KILL_AFTER_ACKNOWLEDGED <= len(burst.acknowledged) < CHECKOUTS
        assert set(burst.acknowledged) <= set(orders)
        for order_id, address in burst.acknowledged.items():
            assert orders[order_id]["email"] == address
        order_of_address = {str(order["email"]): order_id for order_id, order in orders.items()}
        assert len(order_of_address) == len(orders)  # one order per buyer's address
        smtp.inbox.wait_for(lambda message: True, count=len(orders), timeout_seconds=15)
        time.sleep(SETTLE_SECONDS)
        received = Counter(str(message["To"]) for message in smtp.inbox.messages)
        assert received == Counter(order_of_address.keys()), "one tickets e-mail per order"
        for message in smtp.inbox.messages:
            assert f"(order {order_of_address[str(message['To'])]}," in text_part(message)
        assert store.zcard(keys.mail_outbox) == 0
    finally:
        for process in (survivor, victim, waitroom):
            process.stop()
        store.close()
