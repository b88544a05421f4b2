"""Autotune with real processes: a shop slowed down on purpose makes the admission rate fall
within seconds, and rise again once the shop is fast; two waiting-room processes share one
decision per interval (the turn is taken in Redis), every decision is recorded, and the
changes are in the audit log.

Topology as deployed: two waiting-room processes on 127.0.0.1 (one Redis of the test's own),
the shop on 127.0.0.2 reporting its checkout latency through the connector. The shop is
slowed by its test payment provider (``WAITROOM_SALE_TEST_PAYMENT_DELAY_SECONDS``) and then
replaced by a fast one on the same address.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.conftest import ADMIN_TOKEN, SECRET_KEYS, server_environment
from tests.support.servers import ServerProcess
from waitroom.connector import PassClaims, PassCodec, visitor_hash
from waitroom.storage.embedded_redis import EmbeddedRedis, free_port

pytestmark = pytest.mark.slow

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
STAFF_TOKEN = "autotune-staff-token-0123456789"
INTERVAL_SECONDS = 0.5
START_RATE = 320
SLOW_PAYMENT_SECONDS = "1.5"
TARGET_P95_MS = 800
"""Far above a fast checkout on a busy 2-core test machine, far below a slow one."""


def shop_process(environment: dict[str, str], port: int, delay: str) -> ServerProcess:
    return ServerProcess(
        "sale_backend.web.app:create_app_from_environ",
        {**environment, "WAITROOM_SALE_TEST_PAYMENT_DELAY_SECONDS": delay},
        port=port,
        host="127.0.0.2",
    )


class Buyers:
    """Buyers with passes (as the waiting room gives them) checking out in a loop, from
    threads, until stopped; a shop that is restarting just costs them a retry."""

    def __init__(self, shop_url: str, queue_id: str, event_id: str, count: int) -> None:
        self.shop_url = shop_url
        self.queue_id = queue_id
        self.event_id = event_id
        self.count = count
        self.codec = PassCodec(list(SECRET_KEYS), pass_ttl_seconds=900)
        self.stop = threading.Event()
        self.orders = 0
        self.threads = [threading.Thread(target=self._buy, daemon=True) for _ in range(count)]

    def _pass(self) -> str:
        buyer = visitor_hash(list(SECRET_KEYS), secrets.token_urlsafe(16))
        claims = PassClaims(self.queue_id, buyer, secrets.token_hex(12), int(time.time()) + 900)
        return self.codec.issue(claims)

    def _buy(self) -> None:
        with httpx.Client(base_url=self.shop_url, timeout=10) as client:
            while not self.stop.is_set():
                try:
                    answer = client.post(
                        "/api/v1/checkout",
                        json={
                            "event_id": self.event_id,
                            "items": [{"tier_id": "standard", "quantity": 1}],
                            "card_number": CARD_SUCCEEDS,
                            "name": "Autotune Fan",
                            "email": "fan@example.org",
                        },
                        headers={
                            "authorization": f"Bearer {self._pass()}",
                            "idempotency-key": str(uuid.uuid4()),
                        },
                    )
                    if answer.status_code == 201:
                        self.orders += 1
                except httpx.HTTPError:
                    time.sleep(0.1)  # the shop is being replaced

    @contextlib.contextmanager
    def running(self) -> Iterator[Buyers]:
        for thread in self.threads:
            thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            for thread in self.threads:
                thread.join(timeout=15)


def wait_for(condition: Any, timeout_seconds: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout_seconds} s: {what}")


def test_rate_follows_the_shops_health(tmp_path: Any) -> None:
    queue_id = "auto" + secrets.token_hex(3)
    event_id = queue_id + "-show"
    with EmbeddedRedis(port=free_port(), data_dir=tmp_path / "redis") as redis:
        environment = server_environment(
            redis.url, WAITROOM_AUTOTUNE_INTERVAL_SECONDS=str(INTERVAL_SECONDS)
        )
        with (
            ServerProcess("waitroom.web.app:create_app_from_environ", environment) as queue_a,
            ServerProcess("waitroom.web.app:create_app_from_environ", environment) as queue_b,
        ):
            admin = f"{queue_a.base_url}/api/v1/admin/queues/{queue_id}"
            created = httpx.put(admin, json={"rate_per_minute": START_RATE}, headers=ADMIN)
            assert created.status_code == 201
            shop_environment = {
                **environment,
                "WAITROOM_SHOP_QUEUE_ID": queue_id,
                "WAITROOM_SHOP_QUEUE_URL": f"{queue_a.base_url}/q/{queue_id}",
                "WAITROOM_CONNECTOR_URL": queue_b.base_url,  # reports reach the other process
                "WAITROOM_STAFF_TOKEN": STAFF_TOKEN,
                "WAITROOM_SALE_HEALTH_REPORT_SECONDS": "0.5",
                "WAITROOM_SALE_HEALTH_WINDOW_SECONDS": "2",
            }
            port = free_port()
            with shop_process(shop_environment, port, SLOW_PAYMENT_SECONDS) as slow_shop:
                defined = httpx.put(
                    f"{slow_shop.base_url}/api/v1/staff/events/{event_id}",
                    json={
                        "queue_id": queue_id,
                        "name": "Autotune night",
                        "max_tickets_per_buyer": 4,
                        "tiers": [{"tier_id": "standard", "price_minor": 1000, "capacity": 50_000}],
                    },
                    headers={"authorization": f"Bearer {STAFF_TOKEN}"},
                )
                assert defined.status_code in {200, 201}, defined.text
                turned_on = httpx.put(
                    f"{admin}/autotune",
                    json={
                        "enabled": True,
                        "min_rate_per_minute": 10,
                        "max_rate_per_minute": 600,
                        "target_p95_ms": TARGET_P95_MS,
                        "max_error_ratio": 0.05,
                    },
                    headers={**ADMIN, "x-waitroom-actor": "dana"},
                )
                assert turned_on.status_code == 200, turned_on.text
                buyers = Buyers(slow_shop.base_url, queue_id, event_id, count=3)
                with buyers.running():

                    def rate() -> int:
                        return int(httpx.get(admin, headers=ADMIN).json()["rate_per_minute"])

                    # checkouts take 1.5 s: the rate falls within seconds, halving each time
                    fell_after = wait_for(lambda: rate() <= START_RATE // 4, 15, "the rate falls")
                    low = rate()
                    slow_shop.stop()
                    with shop_process(shop_environment, port, "0"):
                        # the fast shop: the rate climbs again, a step at a time
                        rose_after = wait_for(lambda: rate() >= low + 60, 20, "the rate rises")
            assert buyers.orders > 0
            # off: the decisions and the audit log stand still while they are compared
            httpx.put(f"{admin}/autotune", json={"enabled": False}, headers=ADMIN)
            time.sleep(INTERVAL_SECONDS * 2)
            autotune = httpx.get(f"{admin}/autotune", headers=ADMIN).json()
            decisions = sorted(autotune["decisions"], key=lambda decision: decision["at"])
            audit = httpx.get(f"{admin}/audit?limit=500", headers=ADMIN).json()["entries"]
    assert fell_after < 15 and rose_after < 20
    kinds = [decision["kind"] for decision in decisions]
    assert "down" in kinds and "up" in kinds
    down = next(decision for decision in decisions if decision["kind"] == "down")
    assert "checkout p95" in down["reason"] and down["rate_per_minute"] == down["rate_before"] // 2
    # steps up are small: a twentieth of the range, never a jump
    assert all(
        decision["rate_per_minute"] - decision["rate_before"] <= 30
        for decision in decisions
        if decision["kind"] == "up"
    )
    # one decision per interval, whichever of the two processes took the turn
    gaps = [later["at"] - earlier["at"] for earlier, later in itertools.pairwise(decisions)]
    assert min(gaps) >= INTERVAL_SECONDS * 0.9, gaps
    assert len({decision["process"] for decision in decisions}) >= 1
    # every rate change is in the audit log, by autotune, with its reason in words
    changes = [entry for entry in audit if entry["action"] == "autotune"]
    changed = [d for d in decisions if d["rate_per_minute"] != d["rate_before"]]
    assert len([entry for entry in changes if entry["changes"]["kind"] != "hold"]) == len(changed)
    assert all(entry["actor"] == "autotune" for entry in changes)
    assert any(entry["action"] == "autotune_settings" for entry in audit)
