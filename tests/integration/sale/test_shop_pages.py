"""The HTML journey: pre-filled forms from the waiting-room profile, cart timer, QR order page;
sale phases and sold-out tiers."""

from __future__ import annotations

import re

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.support.shop_fixtures import Shop, form_token
from waitroom.storage.keys import QueueKeys
from waitroom.tokens import new_visitor_id

CODE_IN_NAME = r", code [2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2}$"


async def test_html_purchase_prefilled_from_the_waiting_room_profile(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    visitor = new_visitor_id()
    profile_key = QueueKeys(unique_id).profile(visitor)
    await shop.waitroom.redis.hset(
        profile_key,
        mapping={
            "name": "Grace <Fan>",
            "email": "grace@example.org",
            "tier_id": "standard",
            "quantity": "3",
        },
    )
    await shop.waitroom.redis.expire(profile_key, 600)
    async with shop.client(visitor, accept="text/html") as buyer:
        event_page = await buyer.get(f"/events/{unique_id}")
        assert event_page.status_code == 200
        assert 'name="qty_standard"' in event_page.text and 'value="3"' in event_page.text
        assert 'value="A-1-1"' in event_page.text  # the seat map

        hold = await buyer.post(
            f"/events/{unique_id}/hold",
            data={
                "qty_standard": "3",
                "seat": ["A-1-2", "A-2-1"],
                "csrf_token": form_token(event_page),
            },
        )
        assert hold.status_code == 303
        cart = await buyer.get(hold.headers["location"])
        assert cart.status_code == 200
        assert 'value="Grace &lt;Fan&gt;"' in cart.text and 'value="grace@example.org"' in cart.text
        assert 'id="cart-timer"' in cart.text
        assert "10:00" in cart.text or "9:5" in cart.text
        key = re.search(r'name="idempotency_key" value="([^"]+)"', cart.text)
        assert key is not None
        hold_id = hold.headers["location"].rsplit("/", 1)[1]

        declined = await buyer.post(
            f"/holds/{hold_id}/checkout",
            data={
                "csrf_token": form_token(cart),
                "idempotency_key": "other",
                "name": "Grace",
                "email": "grace@example.org",
                "card_number": "4000000000000002",
            },
        )
        assert declined.status_code == 402 and "declined" in declined.text
        paid = await buyer.post(
            f"/holds/{hold_id}/checkout",
            data={
                "csrf_token": form_token(declined),
                "idempotency_key": key.group(1),
                "name": "Grace",
                "email": "grace@example.org",
                "card_number": CARD_SUCCEEDS,
            },
        )
        assert paid.status_code == 303
        order_page = await buyer.get(paid.headers["location"])
        assert order_page.status_code == 200
        assert order_page.text.count("<svg") == 5 and "Front, row 2, seat 1" in order_page.text
        names = re.findall(r'role="img" aria-label="([^"]+)"', order_page.text)
        assert len(names) == 5 and all(re.search(CODE_IN_NAME, name) for name in names)
        assert names[0].startswith("Ticket 1 of 5, ")
        assert any(
            name.startswith("Ticket 5 of 5, VIP, Front, row 2, seat 1, code ") for name in names
        )

        # the purchase ended the shopping session: the order page is reached by its link
        ended = await buyer.post(
            f"/events/{unique_id}/hold", data={"seat": "A-1-2", "csrf_token": form_token(cart)}
        )
        assert ended.status_code == 410
        assert ended.json()["closed_reason"] == "purchase_completed"
        async with shop.client(accept="text/html") as other:
            event_page = await other.get(f"/events/{unique_id}")
            taken = await other.post(
                f"/events/{unique_id}/hold",
                data={"seat": "A-1-2", "csrf_token": form_token(event_page)},
            )
            assert taken.status_code == 409 and "no longer free" in taken.text

        order_path, _, query = paid.headers["location"].partition("?")
        access = query[len("access="):]
        # the refund asks first (a page, no script), then refunds with confirm=yes
        token = form_token(await buyer.get(order_path + "/refund", params={"access": access}))
        asked = await buyer.post(
            order_path + "/refund", data={"access": access, "csrf_token": token}
        )
        assert asked.status_code == 200 and "Refund the whole order?" in asked.text
        assert (await buyer.get(paid.headers["location"])).text.count("<svg") == 5
        refund = await buyer.post(
            order_path + "/refund",
            data={"access": access, "csrf_token": form_token(asked), "confirm": "yes"},
        )
        assert refund.status_code == 303
        refunded = await buyer.get(paid.headers["location"])
        assert refunded.text.count("<svg") == 0 and "Refunded" in refunded.text
    stock = await shop.runtime.store.stock(unique_id)
    assert stock["sold_total"] == 0 and stock["remaining_total"] == stock["capacity_total"]


async def test_missing_profile_means_an_empty_form(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with shop.client() as buyer:
        profile = await buyer.get(f"/api/v1/events/{unique_id}/profile")
        assert profile.json() == {"profile": {}}
        event_page = await buyer.get(f"/events/{unique_id}")
        hold = await buyer.post(
            f"/events/{unique_id}/hold",
            data={"qty_standard": "1", "csrf_token": form_token(event_page)},
        )
        cart = await buyer.get(hold.headers["location"])
        assert 'name="name" required maxlength="120" value=""' in cart.text


async def test_phases_set_prices_and_what_is_on_sale(shop: Shop, unique_id: str) -> None:
    await shop.define(
        unique_id,
        phases=[
            {
                "phase_id": "presale",
                "name": "Presale",
                "starts_at": 0,
                "ends_at": 4102444800,
                "tier_ids": ["standard"],
                "prices_minor": {"standard": 3900},
            },
        ],
    )
    async with shop.client() as buyer:
        event = (await buyer.get(f"/api/v1/events/{unique_id}")).json()
        assert event["phase"]["phase_id"] == "presale"
        tiers = {tier["tier_id"]: tier for tier in event["tiers"]}
        assert tiers["standard"]["price_minor"] == 3900 and tiers["group4"]["on_sale"] is False
        cheap = await buyer.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "standard", "quantity": 2}]},
        )
        assert cheap.json()["amount_minor"] == 7800
        closed = await buyer.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "group4", "quantity": 1}]},
        )
        assert closed.status_code == 409 and closed.json()["type"].endswith("sale-not-open")
    await shop.define(
        unique_id,
        phases=[{"phase_id": "clearance", "starts_at": 4102444000, "ends_at": 4102444800}],
    )
    shop.runtime.forget_event(unique_id)
    async with shop.client() as buyer:
        later = await buyer.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "standard", "quantity": 1}]},
        )
        assert later.status_code == 409 and later.json()["type"].endswith("sale-not-open")


async def test_a_sold_out_tier_is_shown_and_refused(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with shop.client() as first, shop.client() as second:
        group = await first.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "group4", "quantity": 5}]},
        )
        assert group.status_code == 201
        refused = await second.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "group4", "quantity": 1}]},
        )
        assert refused.status_code == 409 and refused.json()["remaining"] == 0
        page = await second.get(f"/events/{unique_id}")
        assert "Sold out" in page.text
        released = await first.delete(f"/api/v1/holds/{group.json()['hold_id']}")
        assert released.status_code == 204
        again = await second.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "group4", "quantity": 1}]},
        )
        assert again.status_code == 201


async def test_refunds_ask_for_confirmation_without_javascript(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        event_page = await buyer.get(f"/events/{unique_id}")
        hold = await buyer.post(
            f"/events/{unique_id}/hold",
            data={"qty_standard": "2", "csrf_token": form_token(event_page)},
        )
        cart = await buyer.get(hold.headers["location"])
        key = re.search(r'name="idempotency_key" value="([^"]+)"', cart.text)
        assert key is not None
        paid = await buyer.post(
            hold.headers["location"] + "/checkout",
            data={
                "csrf_token": form_token(cart),
                "idempotency_key": key.group(1),
                "name": "Ada",
                "email": "ada@example.org",
                "card_number": CARD_SUCCEEDS,
            },
        )
        order_url = paid.headers["location"]  # the order link, with its access key
        order_path, _, query = order_url.partition("?")
        access = query.removeprefix("access=")
        order = await buyer.get(order_url)
        links = re.findall(
            r'href="(/orders/[^"]+/refund\?access=[^"]+&amp;ticket_id=[^"]+)"', order.text
        )
        assert len(links) == 2 and "<form" not in order.text  # a link to the second step
        assert f'href="{order_path}/refund?access={access}"' in order.text  # the whole order

        confirm = await buyer.get(links[1].replace("&amp;", "&"))
        assert confirm.status_code == 200 and "Refund this ticket?" in confirm.text
        assert "Ticket 2 of 2, Standard, code " in confirm.text and "45.00 EUR" in confirm.text
        assert 'name="confirm" value="yes"' in confirm.text and "No, keep my ticket" in confirm.text
        ticket_id = re.search(r'name="ticket_id" value="([^"]+)"', confirm.text)
        assert ticket_id is not None
        states = await shop.runtime.store.ticket_states(unique_id, [ticket_id.group(1)])
        assert states == ["valid"]  # asking refunds nothing

        token = form_token(confirm)
        fields = {"ticket_id": ticket_id.group(1), "access": access, "csrf_token": token}
        unconfirmed = await buyer.post(order_path + "/refund", data=fields)
        assert unconfirmed.status_code == 200 and "Refund this ticket?" in unconfirmed.text
        assert await shop.runtime.store.ticket_states(unique_id, [ticket_id.group(1)]) == ["valid"]
        done = await buyer.post(order_path + "/refund", data={**fields, "confirm": "yes"})
        assert done.status_code == 303 and done.headers["location"] == order_url
        assert await shop.runtime.store.ticket_states(unique_id, [ticket_id.group(1)]) == [
            "refunded"
        ]
        asking = {"access": access}
        again = await buyer.get(
            order_path + "/refund", params={**asking, "ticket_id": ticket_id.group(1)}
        )
        assert again.status_code == 409 and "cannot be refunded" in again.text
        bad = await buyer.get(order_path + "/refund", params={**asking, "ticket_id": "nonsense"})
        assert bad.status_code == 400
        whole = await buyer.get(order_path + "/refund", params=asking)
        assert "Refund the whole order?" in whole.text and "Ticket 1 of 2" in whole.text
        assert "Ticket 2 of 2" not in whole.text  # refunded already
        stranger = await buyer.get(order_path + "/refund")  # no access key: not this order's link
        assert stranger.status_code in {403, 404}


async def test_seats_are_named_by_row_and_seat_once(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        event_page = await buyer.get(f"/events/{unique_id}")
        held = await buyer.post(
            f"/events/{unique_id}/hold",
            data={"seat": "A-1-2", "csrf_token": form_token(event_page)},
        )
        assert held.status_code == 303
        page = (await buyer.get(f"/events/{unique_id}")).text
    labels = re.findall(r'<label class="seat (\w+)">(.*?)</label>', page, re.S)
    assert len(labels) == 8
    names = [re.sub(r"<[^>]+>", "", body).strip() for _, body in labels]
    assert names[0] == "Row 1, seat 1" and names[1] == "Row 1, seat 2, taken"
    assert names[4] == "Row 2, seat 1"
    assert 'title="' not in page  # no second, different name for the same seat
    assert '<span class="row-name" aria-hidden="true">Row 1</span>' in page
