"""Payment provider interface and the built-in test provider (works offline).

A provider charges by ``payment_id``: charging the same id twice never charges twice, and
``lookup`` answers what happened to an id after a crash (that is what reconciliation asks).

Test cards of :class:`TestPaymentProvider`:

=====================  =====================================================
4242 4242 4242 4242    succeeds
4000 0000 0000 0002    declined (card_declined)
4000 0000 0000 9995    declined (insufficient_funds)
4000 0000 0000 0259    succeeds after ``slow_seconds`` (a slow bank)
4000 0000 0000 0119    times out: nothing is charged, the call raises PaymentTimeout
=====================  =====================================================

``delay_seconds`` slows every charge down (the shop's ``WAITROOM_SALE_TEST_PAYMENT_DELAY_SECONDS``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from redis.asyncio import Redis

from sale_backend.errors import PaymentTimeout

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"
CARD_SLOW = "4000000000000259"
CARD_TIMEOUT = "4000000000000119"


class PaymentOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class PaymentResult:
    outcome: PaymentOutcome
    reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.outcome is PaymentOutcome.SUCCEEDED


class PaymentProvider(Protocol):
    name: str

    async def charge(
        self, payment_id: str, amount_minor: int, currency: str, card_number: str
    ) -> PaymentResult: ...

    async def lookup(self, payment_id: str) -> PaymentResult | None: ...

    async def refund(self, payment_id: str, refund_id: str, amount_minor: int) -> None: ...


class TestPaymentProvider:
    """A provider with test card numbers, keeping its ledger in Redis (as a real provider keeps
    its own), so ``lookup`` still knows a charge after the shop process died."""

    __test__ = False  # not a pytest test class
    name = "test"

    def __init__(
        self,
        redis: Redis,
        slow_seconds: float = 2.0,
        timeout_seconds: float = 1.0,
        delay_seconds: float = 0.0,
    ) -> None:
        self.redis = redis
        self.slow_seconds = slow_seconds
        self.timeout_seconds = timeout_seconds
        self.delay_seconds = delay_seconds
        """Every charge answers this much later (``WAITROOM_SALE_TEST_PAYMENT_DELAY_SECONDS``:
        a slow bank for the whole shop, to see autotune at work)."""

    @staticmethod
    def _key(payment_id: str) -> str:
        return f"testpay:{{p:{payment_id}}}"

    async def charge(
        self, payment_id: str, amount_minor: int, currency: str, card_number: str
    ) -> PaymentResult:
        if self.delay_seconds > 0:  # a slow bank: every charge, a retried one too
            await asyncio.sleep(self.delay_seconds)
        if card_number == CARD_TIMEOUT:
            existing = await self.lookup(payment_id)
            if existing is not None:
                return existing
            await asyncio.sleep(self.timeout_seconds)
            raise PaymentTimeout("the test provider timed out (test card)")
        if card_number == CARD_SLOW:
            await asyncio.sleep(self.slow_seconds)
        if card_number in {CARD_SUCCEEDS, CARD_SLOW}:
            result = PaymentResult(PaymentOutcome.SUCCEEDED)
        elif card_number == CARD_INSUFFICIENT_FUNDS:
            result = PaymentResult(PaymentOutcome.DECLINED, "insufficient_funds")
        else:
            result = PaymentResult(PaymentOutcome.DECLINED, "card_declined")
        # one round trip: the first charge of an id is kept, a second one answers the first
        key = self._key(payment_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, "outcome", result.outcome.value)
            pipe.hsetnx(key, "reason", result.reason)
            pipe.hsetnx(key, "amount_minor", amount_minor)
            pipe.hsetnx(key, "currency", currency)
            pipe.hmget(key, ["outcome", "reason"])
            *_, stored = await pipe.execute()
        return PaymentResult(PaymentOutcome(_text(stored[0])), _text(stored[1] or b""))

    async def lookup(self, payment_id: str) -> PaymentResult | None:
        raw = await self.redis.hmget(self._key(payment_id), ["outcome", "reason"])
        if raw[0] is None:
            return None
        return PaymentResult(PaymentOutcome(_text(raw[0])), _text(raw[1] or b""))

    async def refund(self, payment_id: str, refund_id: str, amount_minor: int) -> None:
        await self.redis.hsetnx(self._key(payment_id), f"refund:{refund_id}", amount_minor)

    async def refunded_minor(self, payment_id: str) -> int:
        raw = await self.redis.hgetall(self._key(payment_id))
        return sum(int(value) for name, value in raw.items() if _text(name).startswith("refund:"))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
