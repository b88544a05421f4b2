"""Typed text in the shop goes through the one rule (service_kit/text_input.py): checkout name and
e-mail (JSON API and the cart page's form) and the organizer's event texts (staff API). NUL and
bidi override characters are refused with a 4xx naming the field and are never stored; accepted
text is stored in NFC."""

from __future__ import annotations

import uuid

import httpx

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.integration.test_text_input import (
    COMPOSED,
    DECOMPOSED,
    NUL,
    RIGHT_TO_LEFT_OVERRIDE,
    assert_refused,
)
from tests.support.shop_fixtures import Shop, express_checkout_body, form_token, sample_event
from waitroom.tokens import new_visitor_id


async def express_checkout(
    buyer: httpx.AsyncClient, event_id: str, **details: str
) -> httpx.Response:
    return await buyer.post(
        "/api/v1/checkout",
        json=express_checkout_body(event_id, **details),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


async def test_checkout_names_and_emails_are_checked_and_normalized(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    async with shop.client(new_visitor_id()) as buyer:
        assert_refused(
            await express_checkout(buyer, unique_id, name=f"Ada{NUL}"), "name", "control_character"
        )
        assert_refused(
            await express_checkout(buyer, unique_id, name=f"Ada{RIGHT_TO_LEFT_OVERRIDE}nimda"),
            "name",
            "bidi_control",
        )
        assert_refused(
            await express_checkout(buyer, unique_id, email=f"ada{NUL}@example.org"),
            "email",
            "control_character",
        )
        stock = await shop.runtime.store.stock(unique_id)
        assert stock["sold_total"] == 0 and stock["held_total"] == 0  # nothing taken or stored
        paid = await express_checkout(buyer, unique_id, name=f"  {DECOMPOSED} ")
        assert paid.status_code == 201, paid.text
        bought = paid.json()  # the order is read by its order link (the purchase ended the session)
        order = (
            await buyer.get(
                f"/api/v1/orders/{bought['order_id']}", params={"access": bought["access_key"]}
            )
        ).json()
        assert order["name"] == COMPOSED


async def test_the_cart_page_refuses_a_name_with_controls_with_a_friendly_page(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        event_page = await buyer.get(f"/events/{unique_id}")
        hold = await buyer.post(
            f"/events/{unique_id}/hold",
            data={"qty_standard": "1", "csrf_token": form_token(event_page)},
        )
        assert hold.status_code == 303
        cart = await buyer.get(hold.headers["location"])
        refused = await buyer.post(
            f"{cart.url.path}/checkout",
            data={
                "csrf_token": form_token(cart),
                "idempotency_key": str(uuid.uuid4()),
                "name": f"Grace{RIGHT_TO_LEFT_OVERRIDE}",
                "email": "grace@example.org",
                "card_number": CARD_SUCCEEDS,
            },
        )
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("text/html")
        assert "name contains a text direction control (U+202E)" in refused.text
        assert 'id="cart-timer"' in refused.text  # the cart is still there to try again


async def test_event_texts_from_the_staff_api_are_checked_and_normalized(
    shop: Shop, unique_id: str
) -> None:
    url = f"/api/v1/staff/events/{unique_id}"
    async with shop.staff() as staff:
        spoofed = sample_event(unique_id, name=f"Concert{RIGHT_TO_LEFT_OVERRIDE}")
        assert_refused(await staff.put(url, json=spoofed), "name", "bidi_control")
        venue = sample_event(unique_id, venue=f"Hall{NUL}")
        assert_refused(await staff.put(url, json=venue), "venue", "control_character")
        tiers = sample_event(unique_id)
        tiers["tiers"][0]["name"] = f"Standard{NUL}"
        assert_refused(await staff.put(url, json=tiers), "tiers[0].name", "control_character")
        good = await staff.put(url, json=sample_event(unique_id, name=f" {DECOMPOSED} "))
        assert good.status_code == 200, good.text
        assert (await staff.get(url)).json()["name"] == COMPOSED
