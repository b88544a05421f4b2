"""The reverse-proxy connector's decisions: who may reach a site that is not Python.

nginx ``auth_request`` (or Caddy ``forward_auth``, Traefik ForwardAuth) asks the waiting room
about every request to the protected site. The waiting room holds the pass records, so it
checks them directly instead of caching like a remote site must; one Redis call per request:

- the site session cookie ``wr_site_<queue>`` (the same cookie and codec as the Python
  connector's): verified locally, then the pass record read once (``HMGET``): still bound to
  this session, not ended, before its deadline. An end through the API or ``/.waitroom/end``
  and an extension by the origin count from the next request on, on every process.
- a bearer pass (API clients): verified locally, then claimed for the session derived from the
  pass (one script call; for a pass already claimed so it only answers the live deadline, or
  that the session ended or ran out).

The record's deadline is the session's deadline; the cookie's own ``dl`` (the deadline at the
handoff) only counts when the record cannot be read (Redis unreachable, record lost): then the
session lives until that signed deadline, as the Python connector fails open for a granted
session. Domain code: raises the connector's errors, knows no HTTP.
"""

from __future__ import annotations

import dataclasses

from waitroom.connector.errors import (
    ConnectorError,
    ConnectorUnavailable,
    PassInvalid,
    PassMissing,
    SessionEnded,
    SessionExpired,
    SessionInvalid,
    SessionNotFound,
)
from waitroom.connector.passes import PassClaims, PassCodec
from waitroom.connector.site_session import (
    SiteSession,
    SiteSessionCodec,
    bearer_session_id,
    new_session_id,
)
from waitroom.errors import QueueNotFound
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.queue.pass_records import Claimed, SessionView, SiteSessions
from waitroom.settings import Settings

UNREACHABLE = "the waiting room cannot reach its store; try again in a moment"
UNREADABLE_RECORD: tuple[type[BaseException], ...] = (SessionNotFound, *REDIS_ERRORS)
"""A record that cannot be read: the signed cookie's deadline holds (fail open)."""


class ProxyGate:
    def __init__(self, settings: Settings, sessions: SiteSessions, passes: PassCodec) -> None:
        self.sessions = sessions
        self.passes = passes
        self.clock_leeway_seconds = settings.clock_leeway_seconds
        self.cookies = SiteSessionCodec(
            settings.secret_keys,
            settings.session_max_seconds + settings.pass_ttl_seconds,
            settings.clock_leeway_seconds,
        )
        self.cookie_max_age_seconds = settings.session_max_seconds + settings.clock_leeway_seconds
        """The cookie lives as long as the longest session (extensions need no new cookie);
        the pass record says when the session really ends."""

    async def session(
        self, queue_id: str, cookie: str | None, bearer: str | None, now_seconds: float
    ) -> SiteSession:
        """The live session a request presents (a bearer pass first, else the cookie).
        Raises PassMissing, PassInvalid, PassExpired, PassInUse, PassEnded, SessionInvalid,
        SessionExpired, SessionEnded or ConnectorUnavailable."""
        if bearer is not None:
            return await self._bearer(queue_id, bearer, now_seconds)
        if cookie is None:
            raise PassMissing("no shopping session: join the waiting room first")
        session = self.decode(queue_id, cookie, now_seconds)
        try:
            view = await self.sessions.view(queue_id, session.pass_id, now_seconds)
        except UNREADABLE_RECORD:
            return self._as_signed(session, now_seconds)
        return _current(session, view)

    def held(self, queue_id: str, cookie: str | None, now_seconds: float) -> SiteSession | None:
        """The session a browser's cookie names, deadline passed or not (None: no cookie, or
        not a genuine one of this queue)."""
        if cookie is None:
            return None
        try:
            return self.decode(queue_id, cookie, now_seconds)
        except ConnectorError:
            return None

    def decode(self, queue_id: str, cookie: str, now_seconds: float) -> SiteSession:
        """A genuine cookie's session even when its own deadline passed (the record decides);
        raises SessionInvalid, or SessionExpired once it is older than any session lasts."""
        try:
            return self.cookies.decode(cookie, queue_id, now_seconds)
        except SessionExpired as error:
            session = error.extra.get("session")
            if isinstance(session, SiteSession):
                return session
            raise

    async def hand_off(
        self, queue_id: str, token: str, held: SiteSession | None, now_seconds: float
    ) -> SiteSession | None:
        """Claim the pass for this browser: its session again when it holds this pass's
        session already, else a new one. None when the pass is refused but the browser holds
        a session (the link was followed again or is stale: it goes on with its session).
        Raises the pass's refusal otherwise."""
        try:
            claims = self.passes.verify(token, queue_id, now_seconds)
        except ConnectorError:
            if held is None:
                raise
            return None
        same_pass = held is not None and held.pass_id == claims.pass_id
        session_id = held.session_id if held is not None and same_pass else new_session_id()
        claimed = await self._claim(claims, session_id, now_seconds)
        return SiteSession(
            queue_id, claims.pass_id, claims.visitor_hash, session_id, claimed.deadline
        )

    async def end(self, queue_id: str, cookie: str, reason: str, now_seconds: float) -> bool:
        """End the session the cookie names (idempotent); True when there was one to end.
        Raises SessionInvalid for a cookie that is not genuine or whose pass another session
        holds, ConnectorUnavailable when Redis cannot be reached."""
        session = self.decode(queue_id, cookie, now_seconds)
        try:
            view = await self.sessions.view(queue_id, session.pass_id, now_seconds)
            if view.session_id != session.session_id:
                raise SessionInvalid("this pass belongs to another session")
            await self.sessions.end(queue_id, session.pass_id, reason, now_seconds)
        except SessionNotFound:
            return False
        except REDIS_ERRORS:
            raise ConnectorUnavailable(UNREACHABLE) from None
        return True

    async def _bearer(self, queue_id: str, token: str, now_seconds: float) -> SiteSession:
        claims = self.passes.verify(token, queue_id, now_seconds)
        session_id = bearer_session_id(claims.pass_id)
        claimed = await self._claim(claims, session_id, now_seconds)
        return SiteSession(
            queue_id, claims.pass_id, claims.visitor_hash, session_id, claimed.deadline
        )

    async def _claim(self, claims: PassClaims, session_id: str, now_seconds: float) -> Claimed:
        try:
            return await self.sessions.claim(claims, session_id, now_seconds)
        except QueueNotFound:
            raise PassInvalid("the queue of this pass does not exist") from None
        except REDIS_ERRORS:
            raise ConnectorUnavailable(UNREACHABLE) from None

    def _as_signed(self, session: SiteSession, now_seconds: float) -> SiteSession:
        if now_seconds >= session.deadline + self.clock_leeway_seconds:
            raise SessionExpired("the shopping time has ended", session=session)
        return session


def _current(session: SiteSession, view: SessionView) -> SiteSession:
    if view.session_id != session.session_id:
        raise SessionInvalid("this pass belongs to another session")
    if view.state == "ended":
        raise SessionEnded(
            "the shopping session has ended", closed_reason=view.reason, session=session
        )
    current = dataclasses.replace(session, deadline=view.deadline)
    if view.state == "expired":
        raise SessionExpired("the shopping time has ended", session=current)
    return current
