"""Tokens signed by a host whose clock runs ahead: itsdangerous' own serializer, stamped
``offset_seconds`` in the future (clock-leeway tests)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer


def future_token(
    secret_keys: Sequence[str], salt: str, payload: dict[str, Any], offset_seconds: int
) -> str:
    class AheadSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) + offset_seconds

    serializer = URLSafeTimedSerializer(
        list(secret_keys),
        salt=salt,
        signer=AheadSigner,
        signer_kwargs={"digest_method": hashlib.sha256},
    )
    return str(serializer.dumps(payload))
