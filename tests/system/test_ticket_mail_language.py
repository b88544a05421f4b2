"""The tickets e-mail in the buyer's language, over real sockets in the deployed topology (the
waiting room on 127.0.0.1, the shop with two workers on 127.0.0.2) with a real SMTP server
(aiosmtpd): a fan who shops in Russian (the language handed on with the pass, then the shop's
cookie) pays through the cart's form and receives the e-mail in Russian, organizer names
included, and its order link opens the order page in Russian on another device; an API client
that sends no Accept-Language receives it in English."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.support.connector_hosts import Hosts, checkout_body, protected_shop
from tests.support.connector_support import mint_pass
from tests.support.mail_support import SmtpServer, first_link, smtp_server, text_part
from tests.support.shop_fixtures import form_token, sample_event


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def hosts(redis_url: str, smtp: SmtpServer) -> Iterator[Hosts]:
    """The event is defined once with its names per language, before a shop worker reads it."""
    queue_id = "mail" + uuid.uuid4().hex[:6]
    event = sample_event(queue_id)
    event["name"] = {"en": "Test concert", "ru": "Тестовый концерт"}
    event["tiers"][0]["name"] = {"en": "Standard", "ru": "Стандарт"}
    with protected_shop(redis_url, queue_id, event=event, **smtp.environment()) as started:
        yield started


def html_part(message: Any) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def russian_fan_buys(hosts: Hosts, address: str) -> None:
    """A browser's path through the shop's pages, with the language the queue page handed on."""
    with httpx.Client(base_url=hosts.shop.base_url) as browser:
        handoff = browser.get(f"/?waitroom_pass={mint_pass(hosts.queue_id)}&lang=ru")
        assert handoff.status_code == 303, handoff.text
        # the shop's own redirect keeps the language; that page's answer sets its cookie
        assert browser.get(handoff.headers["location"]).status_code == 200
        event_page = browser.get(f"/events/{hosts.queue_id}")
        assert event_page.status_code == 200 and '<html lang="ru"' in event_page.text
        held = browser.post(
            f"/events/{hosts.queue_id}/hold",
            data={"qty_standard": "2", "csrf_token": form_token(event_page)},
        )
        assert held.status_code == 303, held.text
        cart = browser.get(held.headers["location"])
        assert cart.status_code == 200, cart.text
        paid = browser.post(
            f"{cart.url.path}/checkout",
            data={
                "csrf_token": form_token(cart),
                "idempotency_key": hashlib.sha256(str(cart.url).encode()).hexdigest()[:24],
                "name": "Ольга",
                "email": address,
                "card_number": CARD_SUCCEEDS,
            },
        )
        assert paid.status_code == 303, paid.text
        assert "/orders/" in paid.headers["location"]


def api_client_buys(hosts: Hosts, address: str) -> dict[str, Any]:
    """An API client with a pass as its bearer token and no Accept-Language."""
    headers = {"authorization": f"Bearer {mint_pass(hosts.queue_id)}"}
    with httpx.Client(base_url=hosts.shop.base_url, headers=headers) as client:
        hold = client.post(
            "/api/v1/holds",
            json={"event_id": hosts.queue_id, "items": [{"tier_id": "standard", "quantity": 1}]},
        )
        assert hold.status_code == 201, hold.text
        order = client.post(
            "/api/v1/checkout",
            json={**checkout_body(hold.json()["hold_id"]), "email": address},
            headers={"idempotency-key": str(uuid.uuid4())},
        )
        assert order.status_code == 201, order.text
        return dict(order.json())


def test_each_buyer_gets_the_tickets_in_the_language_they_bought_in(
    hosts: Hosts, smtp: SmtpServer
) -> None:
    russian = f"ru-{hosts.queue_id}@example.org"
    english = f"en-{hosts.queue_id}@example.org"
    russian_fan_buys(hosts, russian)
    order = api_client_buys(hosts, english)

    [mail] = smtp.inbox.wait_for(lambda message: message["To"] == russian)
    assert mail["Subject"] == "Ваши билеты: Тестовый концерт"
    assert mail["Content-Language"] == "ru"
    text = text_part(mail)
    assert text.splitlines()[0] == "Спасибо за заказ, Ольга."
    assert "Ваши билеты на «Тестовый концерт» (заказ " in text
    assert text.count("Стандарт: код ") == 2
    assert "На входе покажите QR-код (или назовите короткий код)." in text
    html = html_part(mail)
    assert '<html lang="ru">' in html and 'alt="QR-код билета 2"' in html
    images = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2
    assert all(str(image.get_filename()).startswith("билет-") for image in images)
    for english_words in ("Thank you", "Your tickets", "Standard", "code", "QR code of"):
        assert english_words not in text + html, english_words
    # the order link opens the order page in Russian, also in a browser without the cookie
    link = first_link(text, "/orders/")
    assert link.startswith(f"{hosts.shop.base_url}/orders/") and link.endswith("&lang=ru")
    page = httpx.get(link, headers={"accept-language": "en"})
    assert page.status_code == 200 and '<html lang="ru"' in page.text
    assert "Тестовый концерт" in page.text

    [mail] = smtp.inbox.wait_for(lambda message: message["To"] == english)
    assert mail["Subject"] == "Your tickets: Test concert"
    assert mail["Content-Language"] == "en"
    text = text_part(mail)
    assert text.splitlines()[0] == "Thank you for your order, Ada Fan."
    assert f"Standard: code {order['tickets'][0]['short_code']}" in text
    assert first_link(text, "/orders/") == (
        f"{hosts.shop.base_url}/orders/{order['order_id']}?access={order['access_key']}&lang=en"
    )
    assert "Стандарт" not in text and "Тестовый" not in text
