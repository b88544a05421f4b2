"""A Russian-speaking fan in a real headless Chromium, in the deployed topology (the queue on
127.0.0.1, the shop with two workers on 127.0.0.2): the queue page in Russian, the shop in
Russian (the language handed on with the pass, then the shop's own cookie), organizer texts in
Russian (event, tier, section names) with English where no Russian was given, a declined card
explained in Russian, then a good card and the order page in Russian."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sale_backend.domain.payments import CARD_DECLINED, CARD_SUCCEEDS
from tests.conftest import ADMIN_TOKEN
from tests.support.accessibility import Audit, prepare
from tests.support.connector_hosts import Hosts, protected_shop
from tests.support.fan_page import go_to_the_shop
from tests.support.shop_fixtures import sample_event
from tests.system.test_connector_browser import LoopDetector, chromium  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser

ENGLISH_SHOP_WORDS = ("Your cart", "Total", "Card number", "Pay ", "Your tickets", "Refund")


@pytest.fixture(scope="module")
def hosts(redis_url: str) -> Iterator[Hosts]:
    """The event is defined once with its texts per language, before any shop process reads
    it (a redefinition reaches the other worker only after its catalog cache, 2 s)."""
    queue_id = "lang" + uuid.uuid4().hex[:6]
    event = sample_event(queue_id)
    event["name"] = {"en": "Test concert", "ru": "Тестовый концерт", "et": "Testkontsert"}
    event["tiers"][0]["name"] = {"en": "Standard", "ru": "Стандарт"}
    event["tiers"][0]["includes"] = {"en": "Entry only"}  # no Russian: English shows
    with protected_shop(redis_url, queue_id, event=event) as started:
        httpx.put(
            f"{started.queue.base_url}/api/v1/admin/queues/{started.queue_id}",
            json={"name": {"en": "Concert queue", "ru": "Очередь на концерт"}},
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        ).raise_for_status()
        yield started


def test_a_russian_fan_goes_from_the_queue_to_the_order_in_russian(
    chromium: Any,  # noqa: F811 - the fixture
    hosts: Hosts,
) -> None:
    from playwright.sync_api import expect

    # the browser prefers Estonian; the fan picks Russian on the queue page
    context = chromium.new_context(locale="et-EE", viewport={"width": 360, "height": 740})
    prepare(context)  # axe-core audits every translated page below (WCAG 2.0-2.2 A and AA)
    audit = Audit()
    page = context.new_page()
    loops = LoopDetector(page)
    page.goto(f"{hosts.queue.base_url}/q/{hosts.queue_id}/code?lang=ru")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Есть код приглашения или приоритетный код?"
    )
    audit.check(page, "invite-code page (ru)")
    page.goto(f"{hosts.queue_url}?lang=ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert "Очередь на концерт" in page.content()
    go = page.get_by_role("link", name="Перейти в магазин")
    go.wait_for(timeout=15000)
    link = str(go.get_attribute("href"))
    assert link.startswith(f"{hosts.shop.base_url}/?waitroom_pass=") and "lang=ru" in link
    go_to_the_shop(page)

    # the shop's own redirect strips the pass and keeps the language; its cookie remembers it
    page.wait_for_url(f"{hosts.shop.base_url}/?lang=ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert any(
        cookie["name"] == "site_lang" and cookie["value"] == "ru"
        for cookie in context.cookies(hosts.shop.base_url)
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("В продаже")
    expect(page.locator(".session-timer")).to_contain_text("Осталось времени на покупки")
    audit.check(page, "shop index (ru)")

    page.get_by_role("link", name="Тестовый концерт").click()
    page.wait_for_url(f"{hosts.shop.base_url}/events/{hosts.queue_id}")  # no ?lang: the cookie
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert "Entry only" in page.content()  # no Russian text given: the default language's
    audit.check(page, "event and seat map (ru)")
    page.get_by_label("Количество: Стандарт").fill("1")
    page.get_by_role("button", name="Забронировать билеты").click()
    page.wait_for_url(re.compile(r".*/holds/.*"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ваша корзина: Тестовый концерт")
    expect(page.locator(".timer")).to_contain_text("Билеты забронированы ещё на")

    # a declined card: explained in Russian, the cart kept for another try
    page.get_by_label("Имя").fill("Мария Иванова")
    page.get_by_label("Эл. почта").fill("maria@example.org")
    page.get_by_label("Номер карты").fill(CARD_DECLINED)
    page.get_by_role("button", name=re.compile(r"^Оплатить ")).click()
    error = page.locator("#checkout-error")
    expect(error).to_contain_text("Платёж отклонён")
    expect(error).to_contain_text("Ваша карта отклонена, деньги не списаны")
    expect(page.locator("#cart-timer")).to_be_visible()  # the cart is kept for another try
    expect(page.get_by_label("Имя")).to_have_value("Мария Иванова")  # what was typed stays
    audit.check(page, "cart with a declined card (ru)")

    page.get_by_label("Номер карты").fill(CARD_SUCCEEDS)
    page.get_by_role("button", name=re.compile(r"^Оплатить ")).click()
    page.wait_for_url(re.compile(r".*/orders/.*\?access=.*"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ваши билеты: Тестовый концерт")
    expect(page.locator(".ticket h2")).to_have_text("Билет 1 из 1, Стандарт")
    expect(page.locator(".ticket .qr [role=img]")).to_have_attribute(
        "aria-label", re.compile(r"^Билет 1 из 1, Стандарт, код ")
    )
    expect(page.get_by_role("link", name="Вернуть весь заказ…")).to_be_visible()
    main_text = page.locator("main").inner_text()
    for english in ENGLISH_SHOP_WORDS:
        assert english not in main_text, english
    audit.check(page, "order (ru)")

    # the refund confirmation, in Russian too
    page.get_by_role("link", name="Вернуть весь заказ…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Вернуть весь заказ?")
    audit.check(page, "refund confirmation (ru)")
    loops.check()
    assert audit.audits == 6 and not audit.found, audit.report()
    context.close()


def test_the_shop_switcher_and_accept_language(hosts: Hosts, chromium: Any) -> None:  # noqa: F811
    """Without a ``?lang=`` the shop follows the browser; its switcher changes the page."""
    from playwright.sync_api import expect

    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(hosts.queue_url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    go_to_the_shop(page)
    page.wait_for_url(re.compile(re.escape(hosts.shop.base_url) + r"/\?lang=zh-Hans$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("正在销售")
    page.get_by_role("link", name="Eesti").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Müügil")
    page.goto(f"{hosts.shop.base_url}/events/{hosts.queue_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Testkontsert")
    context.close()
