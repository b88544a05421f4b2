"""The language an order's tickets e-mail is written in, recorded at checkout: an API client's
Accept-Language (the shop's page choices, ``?lang=`` and its cookie, do not count for the API),
else English; an order the reconciler writes after a crash keeps the language of its payment.
The shop runs in-process on a real Redis and sends to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sale_backend.domain.checkout import parse_checkout
from sale_backend.domain.payments import CARD_SUCCEEDS, PaymentResult, TestPaymentProvider
from sale_backend.domain.reconcile import reconcile
from sale_backend.domain.records import stored_order
from service_kit.mail import MailSettings
from tests.support.mail_support import SmtpServer, smtp_server
from tests.support.shop_fixtures import Shop, ShopFactory
from waitroom.storage.embedded_redis import EmbeddedRedis


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def mail_settings(smtp: SmtpServer) -> dict[str, object]:
    return {
        "mail": MailSettings(
            host="127.0.0.1", port_setting=smtp.port, tls="none", sender="Tickets <t@example.org>"
        ),
        "public_url": "http://shop.test",
        "mail_poll_seconds": 0.05,
    }


def checkout(event_id: str, email: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "items": [{"tier_id": "standard", "quantity": 1}],
        "card_number": CARD_SUCCEEDS,
        "name": "Fan",
        "email": email,
    }


async def define_named_event(shop: Shop, event_id: str) -> None:
    await shop.define(
        event_id,
        name={"en": "Test concert", "ru": "Тестовый концерт", "et": "Testkontsert"},
    )


async def bought_with(shop: Shop, event_id: str, email: str, **headers: str) -> str:
    async with shop.client(**headers) as buyer:
        answer = await buyer.post(
            "/api/v1/checkout?lang=et",
            json=checkout(event_id, email),
            headers={"idempotency-key": str(uuid.uuid4()), "cookie": "site_lang=et"},
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["order_id"])


async def test_an_api_checkout_is_mailed_in_its_accept_language(
    shop_factory: ShopFactory, unique_id: str, smtp: SmtpServer
) -> None:
    async with shop_factory(**mail_settings(smtp)) as shop:
        await define_named_event(shop, unique_id)
        cases = {
            # the first supported preference; ?lang= and the shop's cookie are page choices
            "ru": {"accept-language": "de-DE, ru;q=0.8, en;q=0.5"},
            "zh_Hans": {"accept-language": "zh-CN"},
            "en": {},
        }
        orders = {}
        for language, headers in cases.items():
            email = f"{language}-{unique_id}@example.org"
            order_id = await bought_with(shop, unique_id, email, **headers)
            order = await stored_order(shop.runtime.store, unique_id, order_id)
            assert order is not None and order.language == language
            orders[language] = email
        subjects = {}
        for language, email in orders.items():
            [mail] = await smtp.inbox.arrived(lambda message, to=email: message["To"] == to)
            subjects[language] = str(mail["Subject"])
    assert subjects == {
        "ru": "Ваши билеты: Тестовый концерт",
        "zh_Hans": "你的门票：Test concert",  # no Chinese name given: English
        "en": "Your tickets: Test concert",
    }


class CrashAfterCharge(TestPaymentProvider):
    """The process dies (an adapter bug) right after the bank charged: the reconciler writes
    the order later."""

    async def charge(
        self, payment_id: str, amount_minor: int, currency: str, card_number: str
    ) -> PaymentResult:
        await super().charge(payment_id, amount_minor, currency, card_number)
        raise RuntimeError("adapter bug after the charge")


async def test_an_order_the_reconciler_writes_is_mailed_in_the_buyers_language(
    shop_factory: ShopFactory, unique_id: str, smtp: SmtpServer
) -> None:
    email = f"et-{unique_id}@example.org"
    with EmbeddedRedis() as server:  # its own Redis: the reconciler sees only this event
        async with shop_factory(
            redis_url=server.url, provider_factory=CrashAfterCharge, **mail_settings(smtp)
        ) as shop:
            await define_named_event(shop, unique_id)
            runtime = shop.runtime
            body = checkout(unique_id, email)
            request = parse_checkout(body, "et")  # an Estonian fan's cart
            with pytest.raises(RuntimeError):
                await runtime.checkout.checkout(
                    await runtime.event(unique_id), "buyer-1", "key-1", request, body
                )
            report = await reconcile(runtime.fulfilment, 0)
            [order_id] = report.orders_written
            order = await stored_order(runtime.store, unique_id, order_id)
            assert order is not None and order.language == "et"
            [mail] = await smtp.inbox.arrived(lambda message: message["To"] == email)
    assert mail["Subject"] == "Sinu piletid: Testkontsert"
    assert mail["Content-Language"] == "et"
