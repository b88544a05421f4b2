"""``WaitroomConnector``: what a protected Python site holds, one per process.

It verifies passes and site session cookies locally, claims passes and re-checks sessions at
the waiting room (:class:`ConnectorClient`), and offers the site's steps: ``extend`` (a held
cart), ``end`` (purchase completed), ``profile``, ``report_stock`` and ``report_health``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import httpx
from starlette.types import ASGIApp, Scope

from waitroom.connector.asgi import IncomingRequest
from waitroom.connector.client import ConnectorClient
from waitroom.connector.errors import (
    ConnectorError,
    ConnectorUnavailable,
    SessionEnded,
    SessionExpired,
    SessionNotFound,
)
from waitroom.connector.passes import PassCodec
from waitroom.connector.session_cache import KnownSession, SessionCache
from waitroom.connector.settings import ConnectorSettings
from waitroom.connector.site_session import SiteSession, SiteSessionCodec, session_cookie_name
from waitroom.connector.stock_mark import StockMark


class WaitroomConnector:
    def __init__(
        self, settings: ConnectorSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.client = ConnectorClient(settings, transport)
        leeway = settings.clock_leeway_seconds
        self.passes = PassCodec(settings.secret_keys, settings.pass_ttl_seconds, leeway)
        self.cookies = SiteSessionCodec(
            settings.secret_keys, settings.session_max_seconds + settings.pass_ttl_seconds, leeway
        )
        self.cache = SessionCache(settings.session_check_seconds)

    def middleware(
        self,
        app: ASGIApp,
        exempt_path_prefixes: Sequence[str] = (),
        api_path_prefixes: Sequence[str] = ("/api/",),
    ) -> ASGIApp:
        from waitroom.connector.middleware import ConnectorMiddleware

        return ConnectorMiddleware(app, self, exempt_path_prefixes, api_path_prefixes)

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- the site's steps ------------------------------------------------------------------
    async def extend(self, session: SiteSession, until: int) -> SiteSession:
        """Ask for the session to last until ``until`` (unix s, e.g. a hold's expiry); the
        middleware re-issues the cookie with the granted deadline on this response."""
        deadline = await self.client.extend(session.pass_id, until)
        self._remember(session.pass_id, session.session_id, "active", deadline, "")
        return dataclasses.replace(session, deadline=deadline)

    async def end(
        self,
        session: SiteSession,
        reason: str = "purchase_completed",
        stock: StockMark | None = None,
    ) -> None:
        """End the session at once (idempotent); the middleware clears the cookie on this
        response, and this process refuses the session from now on. With a purchase, give
        ``stock`` when the site reports versioned stock: a returned ticket offered to the
        waiting list is then held exactly until a stock report counted the sale."""
        await self.client.end(session.pass_id, reason, stock)
        self._remember(session.pass_id, session.session_id, "ended", session.deadline, reason)

    async def profile(self, session: SiteSession) -> dict[str, Any]:
        return await self.client.profile(session.pass_id)

    async def report_stock(self, event_id: str, stock: dict[str, Any]) -> dict[str, Any]:
        return await self.client.report_stock(event_id, stock)

    async def report_health(self, health: dict[str, Any]) -> dict[str, Any]:
        """Send this process's latency and errors (:class:`HealthWindow` measures them)."""
        return await self.client.report_health(health)

    def buyer_without_claim(self, scope: Scope) -> str | None:
        """The buyer of a request whose pass (bearer) or site session cookie verifies here,
        found without a call to the waiting room and without claiming the pass: for answers a
        site would give any buyer whatever the pass's state there (sold out). None when the
        request has neither, they do not verify, it is a handoff, or this process knows the
        session ended or ran out; the middleware decides those requests as always."""
        request = IncomingRequest.of(scope)
        if request.query_pass() is not None:
            return None
        queue_id = self.settings.queue_id
        token = request.bearer()
        try:
            if token is not None:
                claims = self.passes.verify(token, queue_id)
                pass_id, buyer, deadline = claims.pass_id, claims.visitor_hash, None
            else:
                cookie = request.cookies.get(session_cookie_name(queue_id))
                if cookie is None:
                    return None
                session = self.cookies.decode(cookie, queue_id)
                pass_id, buyer, deadline = session.pass_id, session.buyer, session.deadline
        except ConnectorError:
            return None
        known = self.cache.get(pass_id)
        if known is not None:
            if known.state != "active":
                return None
            deadline = known.deadline
        if deadline is not None and time.time() >= deadline + self.settings.clock_leeway_seconds:
            return None
        return buyer

    # -- used by the middleware --------------------------------------------------------------
    def _remember(
        self, pass_id: str, session_id: str, state: str, deadline: int, reason: str
    ) -> KnownSession:
        known = KnownSession(session_id, state, deadline, reason, time.monotonic())
        self.cache.put(pass_id, known)
        return known

    async def current(self, session: SiteSession) -> SiteSession:
        """``session`` as the waiting room last said (re-checked when due). Raises
        SessionEnded or SessionExpired; a waiting room that cannot be reached leaves the
        session as its signed cookie or the last answer says (it keeps its deadline)."""
        known = self.cache.get(session.pass_id)
        if known is None or known.session_id != session.session_id:
            known = KnownSession(session.session_id, "active", session.deadline, "", 0.0)
        if known.state == "active" and self.cache.is_due(known):
            known = await self._recheck(session, known)
        if known.state == "ended":
            raise SessionEnded(
                "the shopping session has ended", closed_reason=known.reason, session=session
            )
        current = dataclasses.replace(session, deadline=known.deadline)
        if known.state == "expired" or time.time() >= (
            known.deadline + self.settings.clock_leeway_seconds
        ):
            raise SessionExpired("the shopping time has ended", session=current)
        return current

    async def _recheck(self, session: SiteSession, known: KnownSession) -> KnownSession:
        try:
            state = await self.client.state(session.pass_id)
        except (ConnectorUnavailable, SessionNotFound):
            # fail open for a session that was granted: its signed deadline still holds
            return self._remember(session.pass_id, session.session_id, "active", known.deadline, "")
        return self._remember(
            session.pass_id, session.session_id, state.state, state.deadline, state.reason
        )
