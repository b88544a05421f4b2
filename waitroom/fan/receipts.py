"""Signed position receipts: what the waiting room promised a fan, in a form it cannot deny.

A receipt names the queue, the fan's published pre-queue hash (never the raw visitor id), the
place (0 while in the pre-queue), whether the place came from the pre-queue shuffle, the seed
commitment and the time. It is signed like the other tokens (itsdangerous, HMAC-SHA256, salt
``waitroom.receipt``, rotating keys). ``POST /api/v1/queues/{queue_id}/receipts/verify`` checks
one; the fan can also match their hash against the public pre-queue publication.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

from waitroom.admission import QueueSnapshot
from waitroom.errors import ReceiptInvalid
from waitroom.queue.shuffle_verify import hashed_visitor_id
from waitroom.tokens import PositionClaims

RECEIPT_SALT = "waitroom.receipt"
RECEIPT_MAX_AGE_SECONDS = 90 * 24 * 3600
MAX_RECEIPT_LENGTH = 2048


def receipt_claims(
    claims: PositionClaims, snapshot: QueueSnapshot, from_prequeue: bool
) -> dict[str, Any]:
    return {
        "queue_id": claims.queue_id,
        "epoch": claims.epoch,
        "hashed_visitor_id": hashed_visitor_id(claims.queue_id, claims.visitor_id),
        "position": claims.position,
        "prequeue": from_prequeue,
        "shuffle_seed_sha256": snapshot.config.shuffle_seed_sha256,
        "issued_at": int(time.time()),
    }


class ReceiptCodec:
    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._serializer = URLSafeTimedSerializer(
            list(secret_keys), salt=RECEIPT_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )

    def sign(self, receipt: dict[str, Any]) -> str:
        return str(self._serializer.dumps(receipt))

    def verify(self, signed: object) -> dict[str, Any]:
        if not isinstance(signed, str) or not signed or len(signed) > MAX_RECEIPT_LENGTH:
            raise ReceiptInvalid("a signed receipt string is required")
        try:
            payload = self._serializer.loads(signed, max_age=RECEIPT_MAX_AGE_SECONDS)
        except (BadData, ValueError, TypeError, UnicodeError):
            raise ReceiptInvalid("the receipt signature is not valid") from None
        if not isinstance(payload, dict):
            raise ReceiptInvalid("the receipt is not an object")
        return payload
