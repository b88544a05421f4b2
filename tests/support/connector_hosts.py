"""The deployed topology of a protected shop: the waiting room on 127.0.0.1 and the shop
(``sale_backend``, several workers) on 127.0.0.2, two uvicorn services on one Redis, with
short settings so journeys over time take seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.connector_support import open_queue
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import sample_event
from waitroom.storage.embedded_redis import free_port

STAFF_TOKEN = "journey-staff-token-0123456789"
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Hosts:
    queue: ServerProcess
    shop: ServerProcess
    queue_id: str

    @property
    def queue_url(self) -> str:
        return f"{self.queue.base_url}/q/{self.queue_id}"

    def admin(self) -> dict[str, Any]:
        response = httpx.get(
            f"{self.queue.base_url}/api/v1/admin/queues/{self.queue_id}", headers=ADMIN
        )
        response.raise_for_status()
        return dict(response.json())

    def active_sessions(self) -> int:
        return int(self.admin()["active_sessions"])

    def admitted_status(self, fan: httpx.Client, timeout_seconds: float = 10) -> dict[str, Any]:
        """Join (once) and poll until admitted; the status answer with the pass."""
        if not fan.cookies.get(f"wr_pos_{self.queue_id}"):
            fan.post(f"{self.queue.base_url}/api/v1/queues/{self.queue_id}/join").raise_for_status()
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            status = fan.get(f"{self.queue.base_url}/api/v1/queues/{self.queue_id}/status")
            body = dict(status.json())
            if body["state"] == "admitted":
                return body
            time.sleep(0.1)
        raise AssertionError("the fan was not admitted")


@contextmanager
def protected_shop(
    redis_url: str,
    queue_id: str,
    shop_workers: int = 2,
    queue_port: int = 0,
    event: dict[str, Any] | None = None,
    **settings: str,
) -> Iterator[Hosts]:
    """``queue_port``: the waiting room's port, chosen beforehand (for settings that name its
    address, like ``WAITROOM_PUBLIC_BASE_URL``); ``event``: the shop's event (default: the
    sample event)."""
    environment = server_environment(
        redis_url,
        WAITROOM_SESSION_CHECK_SECONDS="0.2",
        WAITROOM_POLL_INTERVAL_MIN_MS="300",
        WAITROOM_POLL_INTERVAL_MAX_MS="1000",
        **settings,
    )
    queue_process = ServerProcess(
        "waitroom.web.app:create_app_from_environ", environment, port=queue_port
    )
    with queue_process as queue:
        shop_port = free_port()
        shop_environment = {
            **environment,
            # the order links in ticket e-mails (sent only when SMTP is configured)
            "WAITROOM_SHOP_PUBLIC_URL": f"http://127.0.0.2:{shop_port}",
            "WAITROOM_SHOP_QUEUE_ID": queue_id,
            "WAITROOM_SHOP_QUEUE_URL": f"{queue.base_url}/q/{queue_id}",
            "WAITROOM_STAFF_TOKEN": STAFF_TOKEN,
        }
        shop = ServerProcess(
            "sale_backend.web.app:create_app_from_environ",
            shop_environment,
            port=shop_port,
            workers=shop_workers,
            host="127.0.0.2",
        )
        with shop:
            open_queue(
                queue.base_url,
                queue_id,
                rate_per_minute=60000,
                redirect_url=f"{shop.base_url}/",
                event_id=queue_id,
            )
            httpx.put(
                f"{shop.base_url}/api/v1/staff/events/{queue_id}",
                json=event or sample_event(queue_id),
                headers={"authorization": f"Bearer {STAFF_TOKEN}"},
            ).raise_for_status()
            yield Hosts(queue, shop, queue_id)


def checkout_body(hold_id: str) -> dict[str, Any]:
    return {
        "hold_id": hold_id,
        "card_number": CARD_SUCCEEDS,
        "name": "Ada Fan",
        "email": "ada@example.org",
    }
