"""Checkout: Idempotency-Key, payment intent first, provider call, then the order.

1. The Idempotency-Key is claimed for this buyer (same key + same body replays the first
   answer; a different body is 422; a request still running is 409).
2. An express checkout (``items``/``seats`` in the body) creates its hold first; otherwise the
   buyer's ``hold_id`` is used.
3. The payment intent is recorded in Redis before the provider is called.
4. The provider charges by payment id; the result becomes an order (fenced by the hold) or a
   settled payment. A crash anywhere in between is repaired by :mod:`sale_backend.domain.reconcile`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

import orjson

from sale_backend.domain.catalog import Event
from sale_backend.domain.fulfilment import Answer, Fulfilment
from sale_backend.domain.holds import HoldRequest, create_hold, load_hold, parse_hold_request
from sale_backend.errors import (
    HoldExpired,
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
from service_kit.errors import InvalidInput, ServiceError
from service_kit.text_input import clean_text

IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
CARD_PATTERN = re.compile(r"^[0-9]{12,19}$")
IDEMPOTENCY_LEASE_SECONDS = 120
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


def checked_idempotency_key(value: str | None) -> str:
    if value is None or value == "":
        raise IdempotencyKeyMissing("send an Idempotency-Key header (any unique string)")
    if not IDEMPOTENCY_KEY_PATTERN.match(value):
        raise InvalidInput("Idempotency-Key must be 1-255 visible ASCII characters")
    return value


def parse_checkout(data: Any) -> CheckoutRequest:
    """``{"hold_id"} | {"event_id", "items"/"seats"}`` plus ``card_number``, ``name``, ``email``."""
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    card = data.get("card_number")
    if not isinstance(card, str) or not CARD_PATTERN.match(card.replace(" ", "")):
        raise InvalidInput("card_number must be 12-19 digits", field="card_number")
    name = clean_text(data.get("name"), "name", MAX_NAME_CHARS)
    email = clean_text(data.get("email"), "email", MAX_EMAIL_CHARS)
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput("email is not a valid address", field="email")
    hold_id = data.get("hold_id")
    hold_request = None
    if hold_id is None:
        hold_request = parse_hold_request(data)
        event_id = hold_request.event_id
    else:
        event_id = event_of(hold_id, "hold")
    return CheckoutRequest(event_id, hold_id, hold_request, card.replace(" ", ""), name, email)


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
        store = self.fulfilment.store
        redis_key = EventKeys(event.event_id).idempotency(buyer, idempotency_key)
        claim = await store.run(
            "idempotency",
            event.event_id,
            [body_digest(body), IDEMPOTENCY_LEASE_SECONDS],
            redis_key,
        )
        if claim[0] == "replay":
            return Answer(int(claim[1]), claim[2].encode(), replayed=True)
        if claim[0] == "mismatch":
            raise IdempotencyKeyReused("this Idempotency-Key was used with another body")
        if claim[0] == "busy":
            raise IdempotencyKeyBusy("the first request with this Idempotency-Key is running")
        attempt = Attempt()
        try:
            return await self._pay(event, buyer, request, redis_key, attempt)
        except PaymentTimedOut as error:
            # the key was forgotten: the same key may retry
            return self.fulfilment.answer_of_error(error)
        except ServiceError as error:
            answer = self.fulfilment.answer_of_error(error)
            await store.redis.hset(
                redis_key,
                mapping={"state": "done", "status": answer.status, "response": answer.body},
            )
            await store.redis.expire(redis_key, self.fulfilment.idempotency_ttl_seconds)
            return answer
        except BaseException:
            if not attempt.payment_recorded:  # nothing can have been charged: free the key
                await store.redis.delete(redis_key)
            raise  # else the key stays claimed until the reconciler settles the payment

    async def _pay(
        self, event: Event, buyer: str, request: CheckoutRequest, redis_key: str, attempt: Attempt
    ) -> Answer:
        store = self.fulfilment.store
        if request.hold_request is not None:
            hold = await create_hold(
                store, event, buyer, request.hold_request, self.hold_ttl_seconds, time.time()
            )
        else:
            hold = await load_hold(store, request.hold_id, buyer)
        payment = {
            "payment_id": new_id(event.event_id, "p"),
            "hold_id": hold.hold_id,
            "buyer": buyer,
            "amount_minor": hold.data["amount_minor"],
            "currency": hold.data["currency"],
            "name": request.name,
            "email": request.email,
            "express": request.hold_request is not None,
            "idempotency_key": redis_key,
            "provider": self.fulfilment.provider.name,
            "created_at": time.time(),
        }
        begun = await store.run(
            "begin_payment",
            event.event_id,
            [
                hold.hold_id,
                buyer,
                payment["payment_id"],
                orjson.dumps(payment),
                self.fulfilment.idempotency_ttl_seconds,
            ],
            redis_key,
        )
        attempt.payment_recorded = begun[0] == "ok"
        if begun[0] == "gone":
            raise HoldExpired("the hold expired; choose your tickets again", hold_id=hold.hold_id)
        if begun[0] == "busy":
            raise PaymentInProgress("this hold is already being paid", hold_id=hold.hold_id)
        provider = self.fulfilment.provider
        try:
            result = await asyncio.wait_for(
                provider.charge(
                    payment["payment_id"],
                    payment["amount_minor"],
                    payment["currency"],
                    request.card_number,
                ),
                timeout=self.payment_timeout_seconds,
            )
        except (PaymentTimeout, TimeoutError, PaymentProviderError, OSError):
            # Did money move? Only the provider knows; if it cannot say now, the intent stays
            # pending and the reconciler settles it.
            try:
                found = await provider.lookup(payment["payment_id"])
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
