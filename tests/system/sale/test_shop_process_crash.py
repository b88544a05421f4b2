"""A real shop process killed (SIGKILL) in the middle of a payment; the next start reconciles."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid

import httpx
import pytest
import redis

from sale_backend.domain.payments import CARD_SLOW
from sale_backend.storage.keys import EventKeys
from tests.conftest import server_environment
from tests.support.connector_support import mint_pass, open_queue
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import STAFF_TOKEN, sample_event
from waitroom.settings import Settings
from waitroom.storage.embedded_redis import EmbeddedRedis


@pytest.mark.slow
def test_shop_killed_during_payment_is_reconciled_on_start(
    settings: Settings, unique_id: str
) -> None:
    with EmbeddedRedis(appendfsync_always=True) as redis_server:
        environment = server_environment(
            redis_server.url,
            WAITROOM_SHOP_QUEUE_ID=unique_id,
            WAITROOM_STAFF_TOKEN=STAFF_TOKEN,
            WAITROOM_SALE_RECONCILE_AFTER_SECONDS="0.2",
        )
        factory = "sale_backend.web.app:create_app_from_environ"
        waitroom = ServerProcess(
            "waitroom.web.app:create_app_from_environ", server_environment(redis_server.url)
        ).start()
        open_queue(waitroom.base_url, unique_id)
        environment = {**environment, "WAITROOM_CONNECTOR_URL": waitroom.base_url}
        token = mint_pass(unique_id)
        headers = {"authorization": f"Bearer {token}", "idempotency-key": str(uuid.uuid4())}
        browser_cookies: dict[str, str] = {}
        body = {
            "event_id": unique_id,
            "items": [{"tier_id": "standard", "quantity": 2}],
            "card_number": CARD_SLOW,
            "name": "Fan",
            "email": "fan@example.org",
        }
        keys = EventKeys(unique_id)
        store = redis.Redis.from_url(redis_server.url)
        first = ServerProcess(factory, environment).start()
        try:
            defined = httpx.put(
                f"{first.base_url}/api/v1/staff/events/{unique_id}",
                json=sample_event(unique_id),
                headers={"authorization": f"Bearer {STAFF_TOKEN}"},
            )
            assert defined.status_code == 200

            def checkout() -> None:
                with contextlib.suppress(httpx.HTTPError):  # the process dies under it
                    httpx.post(
                        f"{first.base_url}/api/v1/checkout",
                        json=body,
                        headers=headers,
                        cookies=browser_cookies,
                        timeout=10,
                    )

            request = threading.Thread(target=checkout)
            request.start()
            deadline = time.monotonic() + 5
            while store.zcard(keys.payments_pending) == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert store.zcard(keys.payments_pending) == 1  # intent recorded, bank still busy
            assert first.process is not None
            first.process.kill()
            first.process.wait(timeout=10)
            first.process = None
            request.join(timeout=10)
        finally:
            first.stop()
        assert int(store.hget(keys.stock, "held_total") or 0) == 2
        time.sleep(0.3)

        second = ServerProcess(factory, environment).start()
        try:
            assert store.zcard(keys.payments_pending) == 0
            assert store.hvals(keys.payment_status) == [b"abandoned"]
            assert int(store.hget(keys.stock, "held_total") or 0) == 0
            retry = httpx.post(
                f"{second.base_url}/api/v1/checkout",
                json=body,
                headers=headers,
                cookies=browser_cookies,
                timeout=10,
            )
            assert retry.status_code == 201, retry.text  # same key: nothing was charged before
            assert int(store.hget(keys.stock, "sold_total") or 0) == 2
        finally:
            second.stop()
            waitroom.stop()
            store.close()
