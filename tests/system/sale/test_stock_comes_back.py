"""Tickets that come back are sold again within the stock view's refresh interval, on every
worker: a cancelled hold at once, an expired hold as soon as it runs out. Deployed as in
production (``test_sellout_race.py``), with holds of a few seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from sale_backend.storage.stock_view import MAX_AGE_SECONDS
from tests.system.sale.test_sellout_race import (
    ShopBenchSystem,
    assert_sold_out,
    checkout,
    define,
    deployed_system,
    figures,
    hold,
    shop,
)

HOLD_TTL_SECONDS = 3
SOLD_AGAIN_WITHIN_SECONDS = MAX_AGE_SECONDS + 0.75
"""The view's refresh interval, and room for a loaded machine's scheduling."""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def system() -> Iterator[ShopBenchSystem]:
    yield from deployed_system(WAITROOM_SALE_HOLD_TTL_SECONDS=str(HOLD_TTL_SECONDS))


def sold_again(client: httpx.Client, event_id: str, tokens: list[str]) -> float:
    """Seconds until one of ``tokens`` buys (each token tries once), counted to the moment the
    buying request was sent: when the ticket was on sale again. (Its answer, a whole purchase,
    takes its own time, longer on a busy machine, and says nothing about the stock view.)"""
    started = time.monotonic()
    for token in tokens:
        sent = time.monotonic()
        response = checkout(client, event_id, token)
        if response.status_code == 201:
            return sent - started
        assert_sold_out(response)
        time.sleep(0.02)
    raise AssertionError("the ticket that came back was not sold again")


def test_a_cancelled_hold_is_sold_again_within_the_refresh_interval(
    system: ShopBenchSystem,
) -> None:
    event_id = define(system, 1)
    holder, *others = system.passes(80)
    with shop(system) as client:
        held = hold(client, event_id, holder)
        assert held.status_code == 201, held.text
        for token in others[:10]:
            assert_sold_out(checkout(client, event_id, token))
        cancelled = client.delete(
            f"/api/v1/holds/{held.json()['hold_id']}",
            headers={"authorization": f"Bearer {holder}"},
        )
        assert cancelled.status_code == 204
        assert sold_again(client, event_id, others[10:]) < SOLD_AGAIN_WITHIN_SECONDS
    assert figures(system, event_id)["sold_total"] == 1


def test_an_expired_hold_is_sold_again_once_it_expires(system: ShopBenchSystem) -> None:
    event_id = define(system, 1)
    holder, *others = system.passes(200)
    with shop(system) as client:
        held = hold(client, event_id, holder)
        assert held.status_code == 201, held.text
        expires_at = held.json()["expires_at_ms"] / 1000
        for token in others[:10]:
            assert_sold_out(checkout(client, event_id, token))
        time.sleep(max(0.0, expires_at - time.time() - 0.2))
        waited = sold_again(client, event_id, others[10:])
        assert time.time() >= expires_at - 0.05  # not before the hold ran out
        assert waited < 0.2 + SOLD_AGAIN_WITHIN_SECONDS
    assert figures(system, event_id)["sold_total"] == 1
