"""The connector's ASGI middleware (contract sections 2-4): the handoff, bearer passes, the
site session cookie, the deadline, and the answers when a fan may not come in.

- ``?waitroom_pass=`` (a fan arriving from the queue page): verify, claim at the waiting room,
  then the site's own 303 to the same URL without the pass, setting the site's own cookie.
- ``Authorization: Bearer <pass>`` (API clients): verify, claim once (a session id derived
  from the pass), then re-check like any session.
- the ``wr_site_<queue>`` cookie: verified locally; the session's state re-checked every
  ``WAITROOM_SESSION_CHECK_SECONDS``.
- nothing: browsers get a 303 to the queue page, API clients a 401 problem body.

Requests let through carry ``scope["state"]["waitroom_session"]`` (a :class:`SiteSession`).
A refused pass or session gets an explaining page (browsers) or a problem body (API paths,
``Accept: application/json``, bearer clients); the cookie of a session that ended or ran out is
cleared on that answer, and on the answer of the request that ended it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waitroom.connector.asgi import IncomingRequest, answer, cookie_header
from waitroom.connector.connector import WaitroomConnector
from waitroom.connector.errors import ConnectorError, PassMissing
from waitroom.connector.refusal import refusal
from waitroom.connector.site_session import (
    SiteSession,
    bearer_session_id,
    new_session_id,
    session_cookie_name,
)

EXPLAIN_AFTER_DEADLINE_SECONDS = 3600


class ConnectorMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        connector: WaitroomConnector,
        exempt_path_prefixes: Sequence[str] = (),
        api_path_prefixes: Sequence[str] = ("/api/",),
    ) -> None:
        self.app = app
        self.connector = connector
        self.settings = connector.settings
        self.exempt_path_prefixes = tuple(exempt_path_prefixes)
        self.api_path_prefixes = tuple(api_path_prefixes)
        self.cookie_name = session_cookie_name(connector.settings.queue_id)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = IncomingRequest.of(scope)
        if request.relative_path.startswith(self.exempt_path_prefixes):
            await self.app(scope, receive, send)
            return
        try:
            session, fresh_cookie = await self._session(request, send)
        except ConnectorError as error:
            await self._refuse(request, send, error)
            return
        if session is None:
            return  # answered: the handoff's redirect
        scope.setdefault("state", {})["waitroom_session"] = session
        await self.app(scope, receive, self._finishing(send, request, session, fresh_cookie))

    async def _session(
        self, request: IncomingRequest, send: Send
    ) -> tuple[SiteSession | None, bool]:
        """The request's session and whether its cookie must be (re)issued; None when the
        handoff answered already. Raises the connector's errors."""
        query_pass = request.query_pass()
        if query_pass is not None:
            return await self._handoff(request, send, query_pass)
        bearer = request.bearer()
        if bearer is not None:
            return await self._bearer(bearer), False
        cookie = request.cookies.get(self.cookie_name)
        if cookie is None:
            raise PassMissing("no shopping session: join the waiting room first")
        session = self.connector.cookies.decode(cookie, self.settings.queue_id)
        current = await self.connector.current(session)
        return current, current.deadline != session.deadline

    def _cookie_session(self, request: IncomingRequest) -> SiteSession | None:
        cookie = request.cookies.get(self.cookie_name)
        if cookie is None:
            return None
        try:
            return self.connector.cookies.decode(cookie, self.settings.queue_id)
        except ConnectorError:
            return None

    async def _handoff(
        self, request: IncomingRequest, send: Send, token: str
    ) -> tuple[SiteSession | None, bool]:
        held = self._cookie_session(request)
        try:
            claims = self.connector.passes.verify(token, self.settings.queue_id)
        except ConnectorError:
            if held is None:
                raise
            # this browser has its session; the link was followed again (or is stale)
            await self._redirect(send, request.url_without_pass(), [])
            return None, False
        same_pass = held is not None and held.pass_id == claims.pass_id
        session_id = held.session_id if held is not None and same_pass else new_session_id()
        grant = await self.connector.client.claim(token, session_id)
        self.connector._remember(claims.pass_id, session_id, "active", grant.deadline, "")
        session = SiteSession(
            self.settings.queue_id, claims.pass_id, grant.buyer, session_id, grant.deadline
        )
        if request.method in {"GET", "HEAD"}:
            await self._redirect(
                send, request.url_without_pass(), [self._set_cookie(session, request)]
            )
            return None, False
        return session, True

    async def _bearer(self, token: str) -> SiteSession:
        claims = self.connector.passes.verify(token, self.settings.queue_id)
        session_id = bearer_session_id(claims.pass_id)
        known = self.connector.cache.get(claims.pass_id)
        if known is None or known.session_id != session_id:
            grant = await self.connector.client.claim(token, session_id)
            self.connector._remember(claims.pass_id, session_id, "active", grant.deadline, "")
            deadline = grant.deadline
        else:
            deadline = known.deadline
        session = SiteSession(
            self.settings.queue_id, claims.pass_id, claims.visitor_hash, session_id, deadline
        )
        return await self.connector.current(session)

    def _finishing(
        self, send: Send, request: IncomingRequest, session: SiteSession, fresh_cookie: bool
    ) -> Send:
        """At the response's start: clear the cookie when the app ended the session, re-issue
        it when the deadline moved (an extension) or the session is new."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and not session.is_bearer:
                known = self.connector.cache.get(session.pass_id)
                cookie: bytes | None = None
                if known is not None and known.state == "ended":
                    cookie = self._clear_cookie(request)
                elif known is not None and known.deadline != session.deadline:
                    current = SiteSession(
                        session.queue_id,
                        session.pass_id,
                        session.buyer,
                        session.session_id,
                        known.deadline,
                    )
                    cookie = self._set_cookie(current, request)[1]
                elif fresh_cookie:
                    cookie = self._set_cookie(session, request)[1]
                if cookie is not None:
                    headers = [*message.get("headers", []), (b"set-cookie", cookie)]
                    message = {**message, "headers": headers}
            await send(message)

        return wrapped

    def _secure(self, request: IncomingRequest) -> bool:
        secure = self.settings.cookie_secure
        return request.secure if secure is None else secure

    def _set_cookie(self, session: SiteSession, request: IncomingRequest) -> tuple[bytes, bytes]:
        # the browser keeps the cookie past the deadline, so the shop can say the time is up
        # (and clear it) instead of sending the fan to the queue as a stranger
        max_age = session.deadline - int(time.time()) + EXPLAIN_AFTER_DEADLINE_SECONDS
        value = self.connector.cookies.encode(session)
        return b"set-cookie", cookie_header(self.cookie_name, value, max_age, self._secure(request))

    def _clear_cookie(self, request: IncomingRequest) -> bytes:
        return cookie_header(self.cookie_name, "", 0, self._secure(request))

    async def _redirect(
        self, send: Send, location: str, headers: list[tuple[bytes, bytes]]
    ) -> None:
        await answer(send, 303, b"", [(b"location", location.encode("latin-1")), *headers])

    async def _refuse(self, request: IncomingRequest, send: Send, error: ConnectorError) -> None:
        refused = refusal(
            request,
            error,
            queue_url=self.settings.queue_url,
            cookie_name=self.cookie_name,
            cookie_secure=self._secure(request),
            api_path_prefixes=self.api_path_prefixes,
            retry_after_seconds=self.settings.retry_after_seconds,
        )
        await answer(send, refused.status, refused.body, refused.headers)
