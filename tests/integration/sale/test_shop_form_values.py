"""Bad values in the shop's forms (decoded through their models, sale_backend/web/forms.py):
each answers 400 with the same page again and the fan's words for what is wrong, in the fan's
language, and nothing is held, sold or refunded."""

from __future__ import annotations

import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.integration.sale.test_shop_csrf import bought, held, held_total, split_link
from tests.support.shop_fixtures import Shop, form_token

WORDS = {
    "en": {
        "title": "Please check what you entered",
        "quantities": "Quantities must be whole numbers from 0 to 100.",
        "seats": "Please check the seats you chose.",
        "idempotency_key": "This form is incomplete. Reload the page and try again.",
        "tickets": "Please check the tickets you chose.",
        "again": "Please go back and try again.",
        "card_number": "Please check the card number: 12 to 19 digits.",
        "name": "Please check your name.",
        "email": "Please check the e-mail address.",
    },
    "et": {
        "title": "Palun kontrolli sisestatut",
        "quantities": "Kogused peavad olema täisarvud 0 kuni 100.",
        "seats": "Palun kontrolli valitud kohti.",
        "idempotency_key": "See vorm on puudulik. Laadi leht uuesti ja proovi uuesti.",
        "tickets": "Palun kontrolli valitud pileteid.",
        "again": "Palun mine tagasi ja proovi uuesti.",
        "card_number": "Palun kontrolli kaardi numbrit: 12 kuni 19 numbrit.",
        "name": "Palun kontrolli oma nime.",
        "email": "Palun kontrolli e-posti aadressi.",
    },
}
LANGUAGES = pytest.mark.parametrize("language", sorted(WORDS))


def assert_friendly(page_text: str, language: str, words: str) -> None:
    assert WORDS[language]["title"] in page_text, page_text
    assert WORDS[language][words] in page_text, page_text
    assert "Expected" not in page_text  # the model's own words are for API clients


@LANGUAGES
async def test_bad_hold_values_show_the_event_page_again_and_hold_nothing(
    shop: Shop, unique_id: str, language: str
) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        buyer.headers["accept-language"] = language
        page = await buyer.get(f"/events/{unique_id}")
        token = form_token(page)
        attempts: list[tuple[dict[str, str | list[str]], str]] = [
            ({"qty_standard": "two"}, "quantities"),
            ({"qty_standard": "-1"}, "quantities"),
            ({"qty_standard": "101"}, "quantities"),
            ({"qty_standard": "1.5"}, "quantities"),
            ({"qty_st$ndard": "1"}, "quantities"),  # not a tier id
            ({"seat": "A-1-1" + "9" * 200}, "seats"),
            ({"seat": [f"A-1-{number}" for number in range(60)]}, "seats"),
        ]
        for fields, words in attempts:
            refused = await buyer.post(
                f"/events/{unique_id}/hold", data={**fields, "csrf_token": token}
            )
            assert refused.status_code == 400, (fields, refused.text)
            assert f'action="/events/{unique_id}/hold"' in refused.text  # the event page
            assert_friendly(refused.text, language, words)
            token = form_token(refused)
        assert await held_total(shop, unique_id) == 0
        # an empty box means none, spaces around a number are ignored
        fine = await buyer.post(
            f"/events/{unique_id}/hold",
            data={"qty_standard": " 2 ", "qty_vip": "", "csrf_token": token},
        )
        assert fine.status_code == 303, fine.text
        assert await held_total(shop, unique_id) == 2


@LANGUAGES
async def test_bad_checkout_values_show_the_cart_again_and_sell_nothing(
    shop: Shop, unique_id: str, language: str
) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        buyer.headers["accept-language"] = language
        cart_path = await held(buyer, unique_id, 2)
        cart = await buyer.get(cart_path)
        token = form_token(cart)
        good = {
            "idempotency_key": "k" * 24,
            "name": "Ada Fan",
            "email": "ada@example.org",
            "card_number": CARD_SUCCEEDS,
        }
        attempts: list[tuple[dict[str, str], str]] = [
            ({"idempotency_key": ""}, "idempotency_key"),
            ({"idempotency_key": "has spaces in it"}, "idempotency_key"),
            ({"card_number": "4" * 65}, "card_number"),
            ({"name": "A" * 1001}, "name"),
            ({"email": "e" * 1001 + "@example.org"}, "email"),
        ]
        for changed, words in attempts:
            fields = {**good, **changed, "csrf_token": token}
            refused = await buyer.post(f"{cart_path}/checkout", data=fields)
            assert refused.status_code == 400, (changed, refused.text)
            assert 'id="checkout-error"' in refused.text  # the cart, with what was typed
            assert 'value="ada@example.org"' in refused.text or "email" in changed
            assert_friendly(refused.text, language, words)
            token = form_token(refused)
        missing = {key: value for key, value in good.items() if key != "idempotency_key"}
        refused = await buyer.post(f"{cart_path}/checkout", data={**missing, "csrf_token": token})
        assert refused.status_code == 400
        assert_friendly(refused.text, language, "idempotency_key")
        stock = await shop.runtime.store.stock(unique_id)
        assert stock["sold_total"] == 0 and stock["held_total"] == 2  # the cart is still held
        paid = await buyer.post(
            f"{cart_path}/checkout", data={**good, "csrf_token": form_token(refused)}
        )
        assert paid.status_code == 303, paid.text
        assert (await shop.runtime.store.stock(unique_id))["sold_total"] == 2


@LANGUAGES
async def test_bad_refund_values_show_the_order_again_and_refund_nothing(
    shop: Shop, unique_id: str, language: str
) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        buyer.headers["accept-language"] = language
        order_link = await bought(buyer, unique_id, 2)
        order_path, access = split_link(order_link)
        token = form_token(await buyer.get(f"{order_path}/refund", params={"access": access}))
        well_formed = f"{unique_id}~t0123456789abcdef"
        attempts: list[tuple[dict[str, str | list[str]], str]] = [
            ({"ticket_id": "nonsense", "confirm": "yes"}, "tickets"),
            ({"ticket_id": f"{unique_id}~t0123", "confirm": "yes"}, "tickets"),
            ({"ticket_id": [well_formed] * 101}, "tickets"),
            ({"confirm": "maybe"}, "again"),
        ]
        for fields, words in attempts:
            refused = await buyer.post(
                f"{order_path}/refund", data={**fields, "access": access, "csrf_token": token}
            )
            assert refused.status_code == 400, (fields, refused.text)
            assert refused.text.count("<svg") == 2  # the order page, with its tickets
            assert_friendly(refused.text, language, words)
        asked = await buyer.get(
            f"{order_path}/refund", params={"access": access, "ticket_id": "nonsense"}
        )
        assert asked.status_code == 400 and asked.text.count("<svg") == 2
        assert_friendly(asked.text, language, "tickets")
        stock = await shop.runtime.store.stock(unique_id)
        assert stock["sold_total"] == 2
        # a bad value with a wrong access key shows nothing of the order
        stranger = await buyer.post(
            f"{order_path}/refund",
            data={"confirm": "maybe", "access": "wrong", "csrf_token": token},
        )
        assert stranger.status_code in {403, 404} and "<svg" not in stranger.text
