"""The tickets e-mail's words in each of the shop's languages, built in-process from an order
and its event: the shop's compiled catalogs, the organizer's names per language (English where
a language was not given, the order's own names once the event is gone)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from sale_backend.domain.catalog import Event
from sale_backend.domain.catalog_parsing import parse_event
from sale_backend.domain.documents import OrderView, TicketView
from sale_backend.domain.ticket_mail_text import TicketsMail, qr_png
from sale_backend.web.language import load_shop_catalogs
from service_kit.languages import LANGUAGE_NAMES, Catalogs
from service_kit.mail import MailSettings
from tests.support.shop_fixtures import sample_event

SETTINGS = MailSettings(host="smtp.example.org", tls="none", sender="Tickets <t@example.org>")
LINK = "https://shop.example.org/orders/o1?access=key&lang=ru"


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return load_shop_catalogs()


@pytest.fixture(scope="module")
def event() -> Event:
    definition = sample_event("mailq")
    definition["name"] = {"en": "Rock night", "ru": "Рок-вечер", "et": "Rokiõhtu"}
    definition["tiers"][0]["name"] = {"en": "Standard", "ru": "Стандарт"}
    definition["sections"][0]["name"] = {"en": "Front", "ru": "Партер"}
    return parse_event("mailq", definition)


def order_view() -> OrderView:
    tickets = [
        TicketView("t1", "standard", "Standard", 1, "", 4500, "CODE-ONE", "K7M4-PX2Q-9C"),
        TicketView("t2", "vip", "VIP", 1, "A-1-3", 12000, "CODE-TWO", "ABCD-EFGH-JK"),
    ]
    return OrderView(
        "mailq-o1", "mailq", "Rock night", "p1", "Ada Fan", "ada@example.org", 16500, "EUR",
        0, tickets, "key",
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def images(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if part.get_content_type() == "image/png"]  # type: ignore[misc]


def test_a_russian_buyer_reads_every_part_in_russian(catalogs: Catalogs, event: Event) -> None:
    message = TicketsMail(order_view(), "ru", event, LINK, catalogs).message(SETTINGS)
    assert message["Subject"] == "Ваши билеты: Рок-вечер"
    assert message["Content-Language"] == "ru"
    text, html = parts(message)
    assert "Спасибо за заказ, Ada Fan." in text
    assert "Ваши билеты на «Рок-вечер» (заказ mailq-o1, 165.00 EUR):" in text
    assert "1. Стандарт: код K7M4-PX2Q-9C" in text
    # a seat in words, its section named in Russian; a tier without Russian shows English
    assert "2. VIP, Партер, ряд 1, место 3: код ABCD-EFGH-JK" in text
    assert f"Ваш заказ, его билеты и возвраты: {LINK}" in text
    assert '<html lang="ru">' in html
    assert 'alt="QR-код билета 1"' in html and 'alt="QR-код билета 2"' in html
    assert f'<a href="{LINK.replace("&", "&amp;")}">Ваш заказ, его билеты и возвраты</a>' in html
    assert "Thank you" not in text + html and "code" not in text
    pictures = images(message)
    assert [picture.get_filename() for picture in pictures] == [
        "билет-1-K7M4PX2Q9C.png",
        "билет-2-ABCDEFGHJK.png",
    ]
    assert pictures[0].get_content() == qr_png("CODE-ONE")
    for picture in pictures:
        assert f"cid:{picture['Content-ID'][1:-1]}" in html


def test_an_english_buyer_reads_english(catalogs: Catalogs, event: Event) -> None:
    message = TicketsMail(order_view(), "en", event, LINK, catalogs).message(SETTINGS)
    assert message["Subject"] == "Your tickets: Rock night"
    text, html = parts(message)
    assert "Thank you for your order, Ada Fan." in text
    assert "2. VIP, Front, row 1, seat 3: code ABCD-EFGH-JK" in text
    assert '<html lang="en">' in html and 'alt="QR code of ticket 2"' in html
    assert images(message)[0].get_filename() == "ticket-1-K7M4PX2Q9C.png"


@pytest.mark.parametrize("language", [code for code in LANGUAGE_NAMES if code != "en"])
def test_every_language_has_its_own_words(
    catalogs: Catalogs, event: Event, language: str
) -> None:
    english = TicketsMail(order_view(), "en", event, LINK, catalogs).message(SETTINGS)
    message = TicketsMail(order_view(), language, event, LINK, catalogs).message(SETTINGS)
    text, html = parts(message)
    english_text, english_html = parts(english)
    assert message["Subject"] != english["Subject"]
    for sentence in (
        "Thank you for your order",
        "Show the QR code",
        "Your order, its tickets and refunds",
        "QR code of ticket",
    ):
        assert sentence in english_text + english_html
        assert sentence not in text + html, (language, sentence)
    assert message["Content-Language"] == {"zh_Hans": "zh-Hans"}.get(language, language)


def test_once_the_event_is_gone_the_order_keeps_its_names(catalogs: Catalogs) -> None:
    message = TicketsMail(order_view(), "ru", None, LINK, catalogs).message(SETTINGS)
    assert message["Subject"] == "Ваши билеты: Rock night"
    text, _ = parts(message)
    assert "1. Standard: код K7M4-PX2Q-9C" in text
    assert "2. VIP, место A-1-3: код ABCD-EFGH-JK" in text
