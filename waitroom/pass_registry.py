"""Server-side pass registry: one shop session per pass, revocation, active-shopper count.

Plug :meth:`PassRegistry.pass_check` into :class:`waitroom.gate.WaitroomGate`. The first request
with a pass binds it to a new session id (cookie ``wr_sess_<queue>``, HttpOnly); later
requests must present that cookie. A copied pass (even with a copied visitor cookie) used from
a second browser has no session cookie and is refused; a pass whose session ended (checkout,
revocation) is refused for good. Live sessions are the sorted set ``active_sessions`` (pass id
-> expiry), which the admission script reads for ``active_shopper_cap``.
"""

from __future__ import annotations

import secrets
import time
from importlib import resources

from redis.asyncio import Redis
from starlette.types import Scope

from waitroom.availability import REDIS_ERRORS
from waitroom.cookies import parse_cookie_header, set_cookie_header
from waitroom.keys import QueueKeys
from waitroom.tokens import PassClaims, TokenError, TokenForeign

SESSION_STATE_KEY = "waitroom_set_cookie"
"""``scope["state"]`` entry the gate appends as ``Set-Cookie`` to the shop's response."""


def session_cookie_name(queue_id: str) -> str:
    return f"wr_sess_{queue_id}"


def pass_key(queue_id: str, pass_id: str) -> str:
    return QueueKeys(queue_id).part(f"pass:{pass_id}")


class PassInUse(TokenForeign):
    reason = "in-use"


class PassEnded(TokenForeign):
    reason = "ended"


class PassCheckUnavailable(TokenError):
    """The registry cannot be reached: fail closed (nobody enters the shop)."""

    reason = "unavailable"


def _script(name: str) -> str:
    return (resources.files("waitroom") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


def _decode(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class PassRegistry:
    def __init__(self, redis: Redis, cookie_secure: bool | None = None) -> None:
        self.redis = redis
        self.cookie_secure = cookie_secure
        self._claim = redis.register_script(_script("pass_session"))
        self._end = redis.register_script(_script("pass_end"))

    async def claim(self, claims: PassClaims, session_id: str) -> str:
        """'ok' or 'claimed'; raises PassInUse, PassEnded or PassCheckUnavailable."""
        keys = [pass_key(claims.queue_id, claims.pass_id), QueueKeys(claims.queue_id).part(
            "active_sessions"
        )]
        try:
            outcome = _decode(
                await self._claim(keys=keys, args=[claims.pass_id, session_id, claims.expires_at])
            )
        except REDIS_ERRORS:
            raise PassCheckUnavailable("the shop cannot check passes right now") from None
        if outcome == "in_use":
            raise PassInUse("this pass is already in use in another browser session")
        if outcome == "ended":
            raise PassEnded("this pass was used up or revoked: join the waiting room again")
        return outcome

    async def pass_check(self, claims: PassClaims, scope: Scope) -> None:
        """The gate's ``pass_check`` hook."""
        cookies = {}
        for raw_name, raw_value in scope.get("headers", []):
            if raw_name.lower() == b"cookie":
                cookies.update(parse_cookie_header(raw_value.decode("latin-1")))
        name = session_cookie_name(claims.queue_id)
        session_id = cookies.get(name) or ""
        if len(session_id) != 32 or not session_id.isalnum():
            session_id = secrets.token_hex(16)
        outcome = await self.claim(claims, session_id)
        if outcome == "claimed":
            secure = (
                self.cookie_secure
                if self.cookie_secure is not None
                else scope.get("scheme") == "https"
            )
            max_age = max(1, claims.expires_at - int(time.time()))
            cookie = set_cookie_header(name, session_id, max_age, secure)
            scope.setdefault("state", {})[SESSION_STATE_KEY] = cookie

    async def revoke(self, queue_id: str, pass_id: str, keep_seconds: int = 24 * 3600) -> bool:
        """Ends the pass's session (after checkout, or to throw someone out).

        Returns True when a live session was ended. The pass stays refused afterwards."""
        keys = [pass_key(queue_id, pass_id), QueueKeys(queue_id).part("active_sessions")]
        removed = await self._end(keys=keys, args=[pass_id, int(time.time()) + keep_seconds])
        return bool(int(removed))

    async def active_sessions(self, queue_id: str) -> int:
        """Live shop sessions (not ended, not expired)."""
        key = QueueKeys(queue_id).part("active_sessions")
        now = int(time.time())
        await self.redis.zremrangebyscore(key, "-inf", now - 1)
        return int(await self.redis.zcount(key, now, "+inf"))
