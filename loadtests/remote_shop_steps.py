"""Shop steps against the shop on its own host, as it is deployed (``waitroom serve --app
shop`` on another address than the waiting room).

The fan presents its pass as ``Authorization: Bearer <pass>`` (the API-client form of
docs/connector.md: bound to one session on first use; nothing of the queue's host is needed on
the shop's host). Each fan buys 1-2 tickets of the small tier, or of the large one once the
small tier is sold out. A request that fails because a store or process is down (no answer,
5xx, 429) is sent again after its ``Retry-After``, the checkout always with the same
``Idempotency-Key``, so a fan's order is made at most once; every 201 checkout is an
acknowledged order, logged with its id for the chaos suite's checks.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any
from urllib.parse import urlsplit

import gevent

from loadtests.chaos_event import CHAOS_EVENT_ID, LIMITED_TIER, STANDING_TIER
from loadtests.events import EventLog
from loadtests.shop_protocol import TEST_CARD, FanClient, problem_type, shop_answer

ATTEMPTS = 8
RETRY_AFTER_CAP_SECONDS = 3.0
RETRY_STATUSES = frozenset({0, 429, 500, 502, 503, 504})
BUSY_REFUSALS = ("idempotency-key-busy",)


def retry_after_seconds(response: Any) -> float:
    """The answer's ``Retry-After`` (seconds form), 1 s when absent, capped for a test run."""
    headers = getattr(response, "headers", None) or {}
    try:
        seconds = float(headers.get("retry-after", "1"))
    except (TypeError, ValueError):
        seconds = 1.0
    return min(max(seconds, 0.2), RETRY_AFTER_CAP_SECONDS)


class RemoteSaleShopSteps:
    name = "remote-sale"
    _fans = itertools.count()

    def after_admission(self, client: FanClient, admitted: dict[str, Any], log: EventLog) -> None:
        address = urlsplit(admitted["redirect_url"])
        shop = f"{address.scheme}://{address.netloc}"
        headers = {"Authorization": f"Bearer {admitted['pass']}"}
        quantity = 1 + next(self._fans) % 2
        for tier in (LIMITED_TIER, STANDING_TIER):
            if self._buy(client, shop, headers, tier, quantity, log) != "sold-out":
                return

    def _buy(
        self,
        client: FanClient,
        shop: str,
        headers: dict[str, str],
        tier: str,
        quantity: int,
        log: EventLog,
    ) -> str:
        """'bought', 'sold-out' or 'failed'."""
        body = {"event_id": CHAOS_EVENT_ID, "items": [{"tier_id": tier, "quantity": quantity}]}
        hold, refusal = send(client, "POST", f"{shop}/api/v1/holds", "hold", body, headers)
        if hold is None:
            log.record("hold_refused", tier=tier, quantity=quantity, refusal=refusal)
            return "sold-out" if refusal.endswith("sold-out") else "failed"
        key = uuid.uuid4().hex
        checkout = {
            "hold_id": hold["hold_id"], "card_number": TEST_CARD, "name": "Chaos Fan",
            "email": "fan@example.com",
        }
        order, refusal = send(
            client, "POST", f"{shop}/api/v1/checkout", "checkout", checkout,
            {**headers, "Idempotency-Key": key},
        )
        if order is None:
            log.record("checkout_refused", tier=tier, quantity=quantity, key=key, refusal=refusal)
            return "failed"
        log.record(
            "bought", tier=tier, quantity=quantity, key=key, order_id=order["order_id"],
            tickets=len(order.get("tickets", [])),
        )
        return "bought"


def send(
    client: FanClient,
    method: str,
    url: str,
    name: str,
    body: dict[str, Any],
    headers: dict[str, str],
) -> tuple[dict[str, Any] | None, str]:
    """(JSON body of a 201, '') or (None, why): sent again while the answer says "later"."""
    refusal = "gave up"
    for _ in range(ATTEMPTS):
        with client.request(
            method, url, json=body, headers=headers, name=name, catch_response=True
        ) as response:
            status = response.status_code or 0
            refusal = problem_type(response) or f"HTTP {status}"
            busy = status == 409 and refusal.endswith(BUSY_REFUSALS)
            if busy:
                response.success()  # the first attempt is still being settled: ask again
            else:
                answer = shop_answer(response, (201,))
                if answer is not None or status not in RETRY_STATUSES:
                    return answer, "" if answer is not None else refusal
            delay = retry_after_seconds(response)
        gevent.sleep(delay)
    return None, refusal
