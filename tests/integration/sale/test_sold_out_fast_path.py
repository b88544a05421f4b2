"""The sold-out fast path answers exactly as the routes do: status, headers (security policy,
problem JSON, cache) and body, byte for byte, for holds and checkouts; it claims no pass; and a
retry of a checkout that bought the last ticket still gets its order from it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from sale_backend.storage.stock_view import MAX_AGE_SECONDS
from tests.support.shop_fixtures import Shop, express_checkout_body, sample_event
from waitroom.connector.errors import SessionNotFound
from waitroom.tokens import new_visitor_id

STOCK = 2



def hold_body(event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "items": [{"tier_id": "standard", "quantity": 1}]}


async def define(shop: Shop, event_id: str, standard_tickets: int) -> None:
    tiers = sample_event(shop.queue_id)["tiers"]
    tiers[0]["capacity"] = standard_tickets
    await shop.define(event_id, tiers=tiers)


async def sell_out(shop: Shop, event_id: str) -> None:
    await define(shop, event_id, STOCK)
    for _ in range(STOCK):
        async with shop.client() as buyer:
            bought = await buyer.post(
                "/api/v1/checkout",
                json=express_checkout_body(event_id),
                headers={"idempotency-key": str(uuid.uuid4())},
            )
            assert bought.status_code == 201, bought.text


async def claimed(shop: Shop, client: httpx.AsyncClient) -> bool:
    """Whether the client's pass was claimed (the full path claims it; the fast path not)."""
    token = client.headers.get("authorization") or ""
    auth = client.auth
    token = getattr(auth, "token", None) or token.removeprefix("Bearer ")
    claims = shop.waitroom.passes.verify(token, shop.queue_id)
    try:
        await shop.waitroom.sessions.view(shop.queue_id, claims.pass_id, time.time())
    except SessionNotFound:
        return False
    return True


async def answer(shop: Shop, path: str, body: dict[str, Any]) -> tuple[httpx.Response, bool]:
    async with shop.client() as buyer:
        response = await buyer.post(path, json=body, headers={"idempotency-key": str(uuid.uuid4())})
        return response, await claimed(shop, buyer)


def exact(response: httpx.Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return response.status_code, list(response.headers.raw), response.content


async def test_fast_and_full_paths_answer_sold_out_byte_for_byte(
    shop: Shop, unique_id: str
) -> None:
    await sell_out(shop, unique_id)
    view = shop.runtime.store.stock_view
    for path, body in (
        ("/api/v1/checkout", express_checkout_body(unique_id)),
        ("/api/v1/holds", hold_body(unique_id)),
    ):
        view.forget(unique_id)  # the next request waits for a read sent after it came
        fast, fast_claimed = await answer(shop, path, body)
        # the view's figures are never young enough to refuse on: the scripts decide
        view.max_age_seconds = 0.0
        full, full_claimed = await answer(shop, path, body)
        view.max_age_seconds = MAX_AGE_SECONDS
        assert (fast_claimed, full_claimed) == (False, True), path
        assert fast.status_code == 409 and fast.json()["type"].endswith("/sold-out"), fast.text
        assert exact(fast) == exact(full), path
        assert fast.headers["content-security-policy"].startswith("default-src 'self'")
        assert fast.headers["content-type"] == "application/problem+json"
        assert fast.headers["cache-control"] == "no-store"


async def test_a_retry_of_the_last_sale_gets_its_order_from_a_sold_out_tier(
    shop: Shop, unique_id: str
) -> None:
    await define(shop, unique_id, 1)
    key = {"idempotency-key": str(uuid.uuid4())}
    visitor = new_visitor_id()
    async with shop.client(visitor) as buyer:
        bought = await buyer.post(
            "/api/v1/checkout", json=express_checkout_body(unique_id), headers=key
        )
        assert bought.status_code == 201, bought.text
        async with shop.client() as other:
            refused = await other.post(
                "/api/v1/checkout", json=express_checkout_body(unique_id), headers=key
            )
            assert refused.status_code == 409, refused.text
        # the buyer's session ended with the purchase; the retry carries a new pass, and the
        # view is read afresh, so the fast path finds the tier certainly sold out
        shop.runtime.store.stock_view.forget(unique_id)
        async with shop.client(visitor) as again:
            replayed = await again.post(
                "/api/v1/checkout", json=express_checkout_body(unique_id), headers=key
            )
    assert replayed.status_code == 201, replayed.text
    assert replayed.content == bought.content
    assert replayed.headers["idempotent-replayed"] == "true"


async def fast_and_full(
    shop: Shop, event_id: str, path: str, body: dict[str, Any]
) -> tuple[httpx.Response, httpx.Response]:
    """The fast path's answer (the view read afresh) and the full path's to the same request."""
    view = shop.runtime.store.stock_view
    view.forget(event_id)
    fast, _ = await answer(shop, path, body)
    view.max_age_seconds = 0.0
    try:
        full, _ = await answer(shop, path, body)
    finally:
        view.max_age_seconds = MAX_AGE_SECONDS
    return fast, full


async def test_prepared_refusals_follow_the_tickets_left_and_bad_input_keeps_its_400(
    shop: Shop, unique_id: str
) -> None:
    """Refusals are prepared once per process per tier and tickets left: a refusal of two
    tickets with one left says one, and after the last sale the same request is refused with
    none left; a bad body for a sold-out tier still gets the route's 400."""
    await define(shop, unique_id, 1)
    two = {**express_checkout_body(unique_id), "items": [{"tier_id": "standard", "quantity": 2}]}
    for path, body in (("/api/v1/checkout", two), ("/api/v1/holds", hold_body(unique_id))):
        body = {**body, "items": [{"tier_id": "standard", "quantity": 2}]}
        fast, full = await fast_and_full(shop, unique_id, path, body)
        assert fast.status_code == 409 and fast.json()["remaining"] == 1, fast.text
        assert exact(fast) == exact(full), path
    async with shop.client() as buyer:
        bought = await buyer.post(
            "/api/v1/checkout",
            json=express_checkout_body(unique_id),
            headers={"idempotency-key": str(uuid.uuid4())},
        )
        assert bought.status_code == 201, bought.text
    fast, full = await fast_and_full(shop, unique_id, "/api/v1/checkout", two)
    assert fast.status_code == 409 and fast.json()["remaining"] == 0, fast.text
    assert exact(fast) == exact(full)
    unknown_tier = [{"tier_id": "nope", "quantity": 1}]
    for bad in ({**two, "email": "not an address"}, {**two, "items": unknown_tier}):
        fast, full = await fast_and_full(shop, unique_id, "/api/v1/checkout", bad)
        assert fast.status_code == 400, fast.text
        assert exact(fast) == exact(full)
