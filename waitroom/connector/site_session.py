"""The site session (contract section 2): a signed cookie of the site's own host.

Cookie ``wr_site_<queue_id>``: a ``URLSafeTimedSerializer`` token (salt
``waitroom.site-session``) with ``q`` (queue id), ``pid`` (pass id), ``vh`` (the buyer: keyed
visitor hash), ``sid`` (session id) and ``dl`` (deadline, unix seconds). Verified locally on
every request; valid while ``now < dl + leeway``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from waitroom.connector.claims import text_claim, whole_number_claim
from waitroom.connector.errors import SessionExpired, SessionInvalid
from waitroom.connector.signing import (
    DEFAULT_CLOCK_LEEWAY_SECONDS,
    SITE_SESSION_SALT,
    loads_with_leeway,
    signed_serializer,
)
from waitroom.connector.token_format import BadToken, ExpiredToken

COOKIE_PREFIX = "wr_site_"
MAX_COOKIE_CHARS = 1024
BEARER_SESSION_PREFIX = "bearer-"


def session_cookie_name(queue_id: str) -> str:
    return COOKIE_PREFIX + queue_id


def new_session_id() -> str:
    """A browser session's id: random, 32 hex characters."""
    return secrets.token_hex(16)


def bearer_session_id(pass_id: str) -> str:
    """The session id of an API client presenting the pass as a bearer token: derived from the
    pass id, so every process (and every re-issued copy of the pass) claims the same session,
    and never equal to a browser's random id."""
    digest = hashlib.sha256(f"waitroom.bearer-session|{pass_id}".encode()).hexdigest()
    return BEARER_SESSION_PREFIX + digest[:24]


@dataclass(frozen=True, slots=True)
class SiteSession:
    """What a request of a live session carries: ``scope["state"]["waitroom_session"]``."""

    queue_id: str
    pass_id: str
    buyer: str
    """The keyed visitor hash (the pass's ``vh``): stable per fan, reveals no visitor id."""
    session_id: str
    deadline: int
    """Unix seconds; the fan's shopping time ends then (extended while a cart is held)."""

    @property
    def is_bearer(self) -> bool:
        return self.session_id.startswith(BEARER_SESSION_PREFIX)

    def seconds_left(self, now_seconds: float | None = None) -> int:
        now = time.time() if now_seconds is None else now_seconds
        return max(0, int(self.deadline - now))


class SiteSessionCodec:
    def __init__(
        self,
        secret_keys: Sequence[str],
        max_age_seconds: int,
        clock_leeway_seconds: int = DEFAULT_CLOCK_LEEWAY_SECONDS,
    ) -> None:
        self._serializer = signed_serializer(secret_keys, SITE_SESSION_SALT)
        self.max_age_seconds = max_age_seconds
        self.clock_leeway_seconds = clock_leeway_seconds

    def encode(self, session: SiteSession) -> str:
        payload = {
            "q": session.queue_id,
            "pid": session.pass_id,
            "vh": session.buyer,
            "sid": session.session_id,
            "dl": session.deadline,
        }
        return str(self._serializer.dumps(payload))

    def decode(self, token: str, queue_id: str, now_seconds: float | None = None) -> SiteSession:
        """The session of a genuine cookie of ``queue_id``. Raises SessionInvalid, or
        SessionExpired (carrying ``session``) once the deadline passed."""
        if not token or len(token) > MAX_COOKIE_CHARS or not token.isascii():
            raise SessionInvalid("the session cookie is missing or malformed")
        now = time.time() if now_seconds is None else now_seconds
        try:
            payload: Any = loads_with_leeway(
                self._serializer, token, self.max_age_seconds, self.clock_leeway_seconds, now
            )
        except ExpiredToken:
            raise SessionExpired("the shopping session has ended") from None
        except (BadToken, ValueError, TypeError, UnicodeError):
            raise SessionInvalid("the session cookie is not genuine") from None
        if not isinstance(payload, dict):
            raise SessionInvalid("the session cookie payload is not an object")
        session = SiteSession(
            queue_id=text_claim(payload, "q", SessionInvalid),
            pass_id=text_claim(payload, "pid", SessionInvalid),
            buyer=text_claim(payload, "vh", SessionInvalid),
            session_id=text_claim(payload, "sid", SessionInvalid),
            deadline=whole_number_claim(payload, "dl", SessionInvalid),
        )
        if session.queue_id != queue_id:
            raise SessionInvalid("the session cookie belongs to another queue")
        if now >= session.deadline + self.clock_leeway_seconds:
            raise SessionExpired("the shopping time has ended", session=session)
        return session
