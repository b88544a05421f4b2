"""A fan in a real headless Chromium, admitted by the waiting room (127.0.0.1) into the shop
(a real uvicorn on 127.0.0.2), shops in Russian and sends values the forms' models refuse: a
quantity over 100 (the browser's own check switched off, as an old or altered page would) and
a card number far too long. Each time the same page comes back with a 400 and the Russian words
for what is wrong; nothing is held or sold, and the fan then buys with good values."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.support.connector_hosts import Hosts, protected_shop
from tests.system.sale.test_shop_csrf_browser import _admitted_fan, _define_event, _order_status

pytestmark = pytest.mark.browser

CHECK_WHAT_YOU_ENTERED = "Проверьте введённые данные"
QUANTITIES = "Количество должно быть целым числом от 0 до 100."
CARD_NUMBER = "Проверьте номер карты: от 12 до 19 цифр."


@pytest.fixture(scope="module")
def hosts(redis_url: str) -> Iterator[Hosts]:
    """The deployed topology: the queue on 127.0.0.1, the shop on 127.0.0.2."""
    with protected_shop(redis_url, "forms" + secrets.token_hex(4)) as started:
        yield started


def test_refused_values_come_back_in_the_fans_language(hosts: Hosts) -> None:
    base_url, queue_id = hosts.shop.base_url, hosts.queue_id
    event_id = f"{queue_id}-forms"
    _define_event(base_url, queue_id, event_id)
    with _admitted_fan(hosts) as watched:
        page = watched.page
        page.goto(f"{base_url}/events/{event_id}?lang=ru")
        assert page.locator("html").get_attribute("lang") == "ru"

        page.locator("form").first.evaluate("form => form.setAttribute('novalidate', '')")
        page.get_by_label("Количество: Standard").fill("500")
        with page.expect_response(re.compile(r"/hold$")) as refused_hold:
            page.get_by_role("button", name="Забронировать билеты").click()
        assert refused_hold.value.status == 400
        alert = page.get_by_role("alert")
        assert CHECK_WHAT_YOU_ENTERED in alert.inner_text()
        assert QUANTITIES in alert.inner_text()
        assert page.locator("tr.tier td").nth(2).inner_text() == "100"  # nothing held
        watched.assert_clean()

        page.get_by_label("Количество: Standard").fill("2")
        page.get_by_role("button", name="Забронировать билеты").click()
        page.wait_for_url("**/holds/*")
        cart_url = page.url
        page.locator("input[name=name]").fill("Ада")
        page.locator("input[name=email]").fill("ada@example.org")
        page.locator("input[name=card_number]").fill("4" * 80)
        with page.expect_response(re.compile(r"/checkout$")) as refused_checkout:
            page.locator("form button[type=submit]").first.click()
        assert refused_checkout.value.status == 400
        assert CARD_NUMBER in page.get_by_role("alert").inner_text()
        assert page.locator("input[name=name]").input_value() == "Ада"  # as typed

        page.locator("input[name=card_number]").fill(CARD_SUCCEEDS)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url("**/orders/*")
        order_id = page.url.partition("?")[0].rsplit("/", 1)[1]
        assert page.locator(".qr svg").count() == 2
        assert _order_status(base_url, order_id) == "paid"
        assert cart_url.rsplit("/", 1)[1] != order_id
        watched.assert_clean()
