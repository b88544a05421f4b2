"""Site authentication for the connector API (contract section 6).

``Authorization: Site <token>``: a ``URLSafeTimedSerializer`` token, salt ``waitroom.site``,
payload ``{"q": queue_id}``, accepted for :data:`SITE_TOKEN_MAX_AGE_SECONDS` plus the clock
leeway. A site signs with the same secret keys that verify its passes; no other secret.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from waitroom.connector.errors import SiteAuthRejected
from waitroom.connector.signing import (
    DEFAULT_CLOCK_LEEWAY_SECONDS,
    SITE_AUTH_SALT,
    loads_with_leeway,
    signed_serializer,
)
from waitroom.connector.token_format import BadToken, ExpiredToken

SITE_AUTH_SCHEME = "Site"
SITE_TOKEN_MAX_AGE_SECONDS = 60
SITE_TOKEN_RENEW_SECONDS = 30
"""The client signs a fresh token when its current one is this old (well inside the 60 s)."""


class SiteAuth:
    def __init__(
        self,
        secret_keys: Sequence[str],
        clock_leeway_seconds: int = DEFAULT_CLOCK_LEEWAY_SECONDS,
    ) -> None:
        self._serializer = signed_serializer(secret_keys, SITE_AUTH_SALT)
        self.clock_leeway_seconds = clock_leeway_seconds
        self._current: dict[str, tuple[float, str]] = {}

    def header(self, queue_id: str, now_seconds: float | None = None) -> str:
        """The ``Authorization`` value for calls about ``queue_id`` (re-signed every 30 s)."""
        now = time.time() if now_seconds is None else now_seconds
        current = self._current.get(queue_id)
        if current is None or now - current[0] >= SITE_TOKEN_RENEW_SECONDS:
            current = (now, str(self._serializer.dumps({"q": queue_id})))
            self._current[queue_id] = current
        return f"{SITE_AUTH_SCHEME} {current[1]}"

    def verify(self, authorization: str | None, queue_id: str) -> None:
        """Raises SiteAuthRejected unless ``authorization`` is a valid site token for
        ``queue_id``."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != SITE_AUTH_SCHEME.lower() or not token:
            raise SiteAuthRejected("send Authorization: Site <token> (see docs/connector.md)")
        if len(token) > 1024 or not token.isascii():
            raise SiteAuthRejected("the site token is malformed")
        try:
            payload: Any = loads_with_leeway(
                self._serializer, token, SITE_TOKEN_MAX_AGE_SECONDS, self.clock_leeway_seconds
            )
        except ExpiredToken:
            raise SiteAuthRejected("the site token has expired: sign a fresh one") from None
        except (BadToken, ValueError, TypeError, UnicodeError):
            raise SiteAuthRejected("the site token is not genuine") from None
        if not isinstance(payload, dict) or payload.get("q") != queue_id:
            raise SiteAuthRejected("the site token is for another queue")
