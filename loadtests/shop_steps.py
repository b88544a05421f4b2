"""What an admitted fan does next. The waiting-room journey ends at admission; shop steps plug in
here (``WAITROOM_LOADTEST_SHOP``), so the same fan user drives any shop behind the waiting room
(the fan presents the pass as a bearer token, as an app does)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from loadtests.events import EventLog
from loadtests.remote_shop_steps import RemoteSaleShopSteps
from loadtests.shop_protocol import TEST_CARD, FanClient, ShopSteps, shop_answer
from loadtests.shop_system import BUYER_LIMIT, SHOP_PATH, SURGE_EVENT_ID, TIER_ID


class NoShop:
    """Stop at admission (the waiting room alone is under test)."""

    name = "none"

    def after_admission(self, client: FanClient, admitted: dict[str, Any], log: EventLog) -> None:
        return None


class SaleShopSteps:
    """Hold tickets and check out with the test payment provider (``sale_backend``).

    Every fan holds 1..limit tickets and pays; every fifth fan then tries to hold the full limit
    again, which the shop must refuse (410 ``session-ended``: the purchase used the pass up) so
    nobody ends over the limit.
    """

    name = "sale"
    _fans = itertools.count()

    def __init__(self, buyer_limit: int = BUYER_LIMIT) -> None:
        self.buyer_limit = buyer_limit

    def after_admission(self, client: FanClient, admitted: dict[str, Any], log: EventLog) -> None:
        number = next(self._fans)
        quantity = 1 + number % self.buyer_limit
        bearer = {"authorization": f"Bearer {admitted.get('pass', '')}"}
        total = quantity if self._buy(client, bearer, quantity, log) else 0
        if total and number % 5 == 0 and self._buy(
            client, bearer, self.buyer_limit, log, greedy=True
        ):
            total += self.buyer_limit
        log.record("fan_bought", tickets=total)

    def _buy(
        self,
        client: FanClient,
        bearer: dict[str, str],
        quantity: int,
        log: EventLog,
        greedy: bool = False,
    ) -> bool:
        api = f"{SHOP_PATH}/api/v1"
        body = {"event_id": SURGE_EVENT_ID, "items": [{"tier_id": TIER_ID, "quantity": quantity}]}
        with client.request(
            "POST", f"{api}/holds", json=body, headers=bearer, name="hold", catch_response=True
        ) as response:
            hold = shop_answer(response, (201,))
        if hold is None:
            log.record("hold_refused", quantity=quantity, greedy=greedy)
            return False
        log.record("held", quantity=quantity, greedy=greedy)
        checkout = {
            "hold_id": hold["hold_id"], "card_number": TEST_CARD, "name": "Load Fan",
            "email": "fan@example.com",
        }
        headers = {"Idempotency-Key": uuid.uuid4().hex, **bearer}
        with client.request(
            "POST", f"{api}/checkout", json=checkout, headers=headers, name="checkout",
            catch_response=True,
        ) as response:
            order = shop_answer(response, (201,))
        if order is None:
            log.record("checkout_refused", quantity=quantity, greedy=greedy)
            return False
        log.record("bought", quantity=quantity, greedy=greedy, order_id=order["order_id"])
        return True


SHOP_STEPS: dict[str, type[ShopSteps]] = {
    steps.name: steps for steps in (NoShop, SaleShopSteps, RemoteSaleShopSteps)
}


def shop_steps(name: str) -> ShopSteps:
    try:
        return SHOP_STEPS[name]()
    except KeyError:
        raise ValueError(f"unknown shop steps {name!r}; known: {sorted(SHOP_STEPS)}") from None
