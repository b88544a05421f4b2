"""Checkout: Idempotency-Key, payment intent first, provider call, then the order.

1. An express checkout (``items``/``seats`` in the body) is priced first; a tier the stock
   view knows to be sold out is refused here, before anything is written (unless the key has
   a record already: then its answer stands).
2. One script call (``begin_checkout.lua``) claims the Idempotency-Key for this buyer (same
   key + same body replays the first answer; a different body is 422; a request still running
   is 409), creates an express checkout's hold and records the payment intent, atomically: the
   intent is in Redis before the provider is called, and a refusal (sold out, seat taken,
   buyer limit, hold gone) writes nothing, so the key stays free.
3. The provider charges by payment id; the result becomes an order (fenced by the hold) or a
   settled payment (one more script call). A crash anywhere in between is repaired by
   :mod:`sale_backend.domain.reconcile`.

Answers given once the payment intent is recorded are kept under the key (and replayed).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import HoldData, Payment
from sale_backend.domain.fulfilment import Answer, Fulfilment
from sale_backend.domain.holds import (
    Hold,
    HoldRequest,
    held,
    price_hold,
    selection,
    sold_out_error,
)
from sale_backend.domain.records import stored_hold
from sale_backend.domain.requests import IDEMPOTENCY_KEY, CheckoutBody
from sale_backend.errors import (
    HoldExpired,
    HoldNotFound,
    IdempotencyKeyBusy,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    PaymentInProgress,
    PaymentProviderError,
    PaymentStatusUnknown,
    PaymentTimedOut,
    PaymentTimeout,
)
from sale_backend.storage.keys import EventKeys, event_of, new_id
from sale_backend.storage.stock_view import Shortfall
from service_kit.errors import InvalidInput, ServiceError
from service_kit.languages import DEFAULT_LANGUAGE
from service_kit.models import convert, encode
from service_kit.text_input import clean_text

IDEMPOTENCY_KEY_PATTERN = re.compile(IDEMPOTENCY_KEY)
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
CARD_PATTERN = re.compile(r"^[0-9]{12,19}$")
MAX_NAME_CHARS = 120
MAX_EMAIL_CHARS = 254


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    event_id: str
    hold_id: str | None
    hold_request: HoldRequest | None
    card_number: str
    name: str
    email: str
    language: str = DEFAULT_LANGUAGE
    """The buyer's language (a supported code; the web layer picks it): the tickets e-mail's."""


def checked_idempotency_key(value: str | None) -> str:
    if value is None or value == "":
        raise IdempotencyKeyMissing("send an Idempotency-Key header (any unique string)")
    if not IDEMPOTENCY_KEY_PATTERN.match(value):
        raise InvalidInput("Idempotency-Key must be 1-255 visible ASCII characters")
    return value


def parse_checkout(
    body: CheckoutBody | Mapping[str, Any], language: str = DEFAULT_LANGUAGE
) -> CheckoutRequest:
    """A checkout body (its types checked by the model): the payer's card, typed name and
    e-mail, and a hold (``hold_id``) or an express selection (``event_id``, ``items``,
    ``seats``); ``language``: the buyer's, a supported code. Raises InvalidInput."""
    data = body if isinstance(body, CheckoutBody) else convert(dict(body), CheckoutBody)
    card = data.card_number.replace(" ", "")
    if not CARD_PATTERN.match(card):
        raise InvalidInput("card_number must be 12-19 digits", field="card_number")
    name = clean_text(data.name, "name", MAX_NAME_CHARS)
    email = clean_text(data.email, "email", MAX_EMAIL_CHARS)
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput("email is not a valid address", field="email")
    hold_request = None
    if data.hold_id is not None:
        event_id = event_of(data.hold_id, "hold")
    elif data.event_id is not None:
        hold_request = selection(data.event_id, data.items, data.seats)
        event_id = data.event_id
    else:
        raise InvalidInput("a checkout needs a hold_id or an event_id", field="event_id")
    return CheckoutRequest(event_id, data.hold_id, hold_request, card, name, email, language)


def body_digest(data: Any) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class Attempt:
    """How far one checkout got: once the payment intent is recorded, its Idempotency-Key must
    not be freed by a failure (a retry could charge twice); the reconciler settles it."""

    payment_recorded: bool = False


@dataclass
class CheckoutService:
    fulfilment: Fulfilment
    hold_ttl_seconds: int
    payment_timeout_seconds: float

    async def checkout(
        self, event: Event, buyer: str, idempotency_key: str, request: CheckoutRequest, body: Any
    ) -> Answer:
        redis_key = EventKeys(event.event_id).idempotency(buyer, idempotency_key)
        document = None
        if request.hold_request is not None:
            document = price_hold(event, buyer, request.hold_request, time.time())
            refused = await self.refusal_before_claim(event, document, redis_key)
            if refused is not None:
                return refused
        attempt = Attempt()
        try:
            return await self._pay(event, buyer, request, document, redis_key, body, attempt)
        except (IdempotencyKeyReused, IdempotencyKeyBusy):
            raise  # the key belongs to another request: its record stays as it is
        except PaymentTimedOut as error:
            # the key was forgotten: the same key may retry
            return self.fulfilment.answer_of_error(error)
        except ServiceError as error:
            answer = self.fulfilment.answer_of_error(error)
            if attempt.payment_recorded:
                await self.fulfilment.store.finish_idempotency(
                    redis_key, answer.status, answer.body, self.fulfilment.idempotency_ttl_seconds
                )
            return answer  # else refused before anything was written: the key is still free

    async def sold_out_answer(
        self, event_id: str, shortfall: Shortfall, redis_key: str
    ) -> Answer | None:
        """The sold-out answer for a shortfall the stock view found, or None when the
        Idempotency-Key has a record (a retry of a request that ran: the claim replays its
        answer)."""
        if await self.answered_before(event_id, redis_key):
            return None
        return self.sold_out_of(shortfall)

    async def answered_before(self, event_id: str, redis_key: str) -> bool:
        """Whether the Idempotency-Key has a record (its request ran or runs): as of the stock
        view's last read of the event when that read brought every record name (the read
        that found the tier sold out), else asked of Redis now."""
        store = self.fulfilment.store
        recorded = store.stock_view.recorded(event_id, redis_key)
        if recorded is None:
            recorded = await store.idempotency_record_exists(redis_key)
        return recorded

    def sold_out_of(self, shortfall: Shortfall) -> Answer:
        """The answer to a checkout the stock cannot serve (the same for every buyer)."""
        error = sold_out_error(shortfall.tier_id, shortfall.remaining)
        return self.fulfilment.answer_of_error(error)

    async def refusal_before_claim(
        self, event: Event, document: HoldData, redis_key: str
    ) -> Answer | None:
        """The sold-out answer of a priced express checkout, decided by the stock view without
        a script call, or None."""
        shortfall = await self.fulfilment.store.stock_view.shortfall(
            event.event_id, document.items
        )
        if shortfall is None:
            return None
        return await self.sold_out_answer(event.event_id, shortfall, redis_key)

    async def _pay(
        self,
        event: Event,
        buyer: str,
        request: CheckoutRequest,
        document: HoldData | None,
        redis_key: str,
        body: Any,
        attempt: Attempt,
    ) -> Answer:
        store = self.fulfilment.store
        payment_id = new_id(event.event_id, "p")
        express_hold = None
        if document is not None:  # express: the hold is made in the same script call
            hold_id = new_id(event.event_id, "h")
            hold_data: HoldData | None = document
            express_hold = (
                encode(document), self.hold_ttl_seconds * 1000, event.max_tickets_per_buyer
            )
        else:
            hold_id = str(request.hold_id)
            found = await stored_hold(store, event.event_id, hold_id)
            hold_data = found[0] if found is not None and found[0].buyer == buyer else None
        payment = None
        if hold_data is not None:
            payment = self._payment(payment_id, hold_id, buyer, hold_data, request, redis_key)
        begun = await store.scripts.begin_checkout(
            event.event_id,
            redis_key,
            body_digest(body),
            self.fulfilment.idempotency_ttl_seconds,
            hold_id=hold_id,
            buyer=buyer,
            payment_id=payment_id,
            payment_json=b"" if payment is None else encode(payment),
            express_hold=express_hold,
        )
        outcome = begun[0]
        if outcome == "replay":
            return Answer(int(begun[1]), begun[2].encode(), replayed=True)
        if outcome == "mismatch":
            raise IdempotencyKeyReused("this Idempotency-Key was used with another body")
        if outcome == "busy":
            raise IdempotencyKeyBusy("the first request with this Idempotency-Key is running")
        if payment is None or hold_data is None:  # no hold of this buyer's to pay
            raise HoldNotFound("this hold does not exist or has expired", hold_id=hold_id)
        if outcome == "gone":
            raise HoldExpired("the hold expired; choose your tickets again", hold_id=hold_id)
        if outcome == "paying":
            raise PaymentInProgress("this hold is already being paid", hold_id=hold_id)
        if outcome != "ok":  # the express hold was refused: raises the refusal
            held(event, hold_id, hold_data, begun)
        attempt.payment_recorded = True
        hold = Hold(hold_id, event.event_id, hold_data, int(begun[2]))
        return await self._charge(event, hold, payment, request.card_number, redis_key)

    def _payment(
        self,
        payment_id: str,
        hold_id: str,
        buyer: str,
        hold_data: HoldData,
        request: CheckoutRequest,
        redis_key: str,
    ) -> Payment:
        return Payment(
            payment_id=payment_id,
            hold_id=hold_id,
            buyer=buyer,
            amount_minor=hold_data.amount_minor,
            currency=hold_data.currency,
            name=request.name,
            email=request.email,
            provider=self.fulfilment.provider.name,
            created_at=time.time(),
            express=request.hold_request is not None,
            idempotency_key=redis_key,
            language=request.language,
        )

    async def _charge(
        self,
        event: Event,
        hold: Hold,
        payment: Payment,
        card_number: str,
        redis_key: str,
    ) -> Answer:
        provider = self.fulfilment.provider
        try:
            async with asyncio.timeout(self.payment_timeout_seconds):  # no task of its own
                result = await provider.charge(
                    payment.payment_id,
                    payment.amount_minor,
                    payment.currency,
                    card_number,
                )
        except (PaymentTimeout, TimeoutError, PaymentProviderError, OSError):
            # Did money move? Only the provider knows; if it cannot say now, the intent stays
            # pending and the reconciler settles it.
            try:
                found = await provider.lookup(payment.payment_id)
            except (PaymentTimeout, TimeoutError, PaymentProviderError, OSError):
                raise PaymentStatusUnknown(
                    "the payment provider is not answering; the payment will be settled "
                    "automatically, retry later with the same Idempotency-Key"
                ) from None
            if found is None:
                await self.fulfilment.settle(event, payment, "abandoned", None, redis_key)
                raise PaymentTimedOut(
                    "the payment provider did not answer; nothing was charged, try again"
                ) from None
            result = found
        if not result.succeeded:
            return await self.fulfilment.decline(event, payment, result.reason, redis_key)
        return await self.fulfilment.confirm(event, hold, payment, redis_key)
