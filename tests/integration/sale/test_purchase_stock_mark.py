"""A purchase ends the buyer's session saying where the sale stands in the event's stock
reports (docs/connector.md, section 4): the sale Redis time of the order's step, the clock the
reports are versioned by. A report read before the checkout is below it, one read after above."""

from __future__ import annotations

import httpx

from tests.support.shop_fixtures import Shop, express_checkout_body
from waitroom.storage.keys import QueueKeys
from waitroom.tokens import new_visitor_id


async def test_the_session_end_carries_the_sale_in_stock_versions(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    token = await shop.issue_pass(new_visitor_id())
    pass_id = shop.waitroom.passes.verify(token, shop.queue_id).pass_id
    before = (await shop.runtime.store.stock_snapshot(unique_id)).version_us
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=shop.app),
        base_url="http://shop.test",
        headers={"authorization": f"Bearer {token}", "idempotency-key": unique_id},
    ) as buyer:
        bought = await buyer.post("/api/v1/checkout", json=express_checkout_body(unique_id))
    assert bought.status_code == 201, bought.text
    after = (await shop.runtime.store.stock_snapshot(unique_id)).version_us
    reason, event_id, version = await shop.waitroom.redis.hmget(
        QueueKeys(shop.queue_id).pass_record(pass_id), ["reason", "stock_event", "stock_version"]
    )
    assert (reason, event_id) == (b"purchase_completed", unique_id.encode())
    assert before < int(version) < after
