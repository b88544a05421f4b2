"""An async client for the waiting room's connector API (contract sections 5 to 7).

Every call is site-authenticated (``Authorization: Site <token>``, :class:`SiteAuth`). Problem
bodies come back as the connector's errors (``pass-in-use`` raises :class:`PassInUse`, ...);
a waiting room that cannot be reached, times out or answers 5xx raises
:class:`ConnectorUnavailable`.

Claims and ends go out together (:attr:`ConnectorClient.batches`, group commit on the client
side, :class:`service_kit.group_commit.GroupCommit`): a call leaves at once when none of the
process's is out; those that arrive meanwhile go together in the next ``POST
session-batches``, each with its own answer.

Calls over the network go through aiohttp (one pooled session per process and event loop; a
call costs about 0.1 ms of CPU, against 0.5-1.3 ms with httpx at the concurrency of a
checkout burst); a site in the same process as the waiting room (the demo) passes an httpx
transport (``httpx.ASGITransport``) and its calls go through httpx without a socket.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
import httpx
import orjson

from service_kit.group_commit import GroupCommit
from waitroom.connector.errors import (
    ERRORS_BY_SLUG,
    ConnectorError,
    ConnectorProtocolError,
    ConnectorUnavailable,
)
from waitroom.connector.settings import ConnectorSettings
from waitroom.connector.site_auth import SiteAuth
from waitroom.connector.stock_mark import StockMark

API_PREFIX = "/api/v1/connector/queues"
IN_PROCESS_BASE_URL = "http://waitroom.internal"
"""Base URL of calls that go through an in-process transport (no network)."""


@dataclass(frozen=True, slots=True)
class SessionGrant:
    """The answer to a claim: the session is bound (``created``) or was already this one's."""

    pass_id: str
    session_id: str
    deadline: int
    buyer: str
    created: bool


@dataclass(frozen=True, slots=True)
class SessionState:
    state: str
    """``active``, ``ended`` or ``expired``."""
    deadline: int
    reason: str = ""
    """Why an ended session ended (``purchase_completed``, ``session_ended``)."""


class HttpFailed(Exception):
    """The request got no HTTP answer (connection refused or lost, time-out)."""


class _Http(Protocol):
    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes]: ...

    async def aclose(self) -> None: ...


class _OverNetwork:
    """aiohttp, a session per event loop (made on the first call, inside the loop)."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _current_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"accept": "application/json"},
                cookie_jar=aiohttp.DummyCookieJar(),
                connector=aiohttp.TCPConnector(limit=CONNECTIONS_PER_PROCESS),
            )
            self._loop = loop
        return self._session

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        if body is not None:
            headers = {**headers, "content-type": "application/json"}
        try:
            async with self._current_session().request(
                method, self._base_url + path, data=body, headers=headers
            ) as response:
                return response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise HttpFailed(type(error).__name__) from None

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()


class _InProcess:
    """httpx over a transport that calls the waiting room's app in this process."""

    def __init__(
        self, transport: httpx.AsyncBaseTransport, base_url: str, timeout_seconds: float
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            timeout=timeout_seconds,
            headers={"accept": "application/json"},
        )

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        if body is not None:
            headers = {**headers, "content-type": "application/json"}
        try:
            response = await self._client.request(method, path, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise HttpFailed(type(error).__name__) from None
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self._client.aclose()


CONNECTIONS_PER_PROCESS = 64
"""Open connections to the waiting room per process at most (more calls wait for one)."""
MAX_CALLS_PER_REQUEST = 64
"""Claims and ends per ``POST session-batches`` at most (the waiting room takes 64)."""
CallAnswer = tuple[int, dict[str, Any]]
"""A call's status and JSON body (a problem for 4xx)."""


class ConnectorClient:
    """One per process; ``transport`` lets a site in the same process call the waiting room
    without a socket (``httpx.ASGITransport``)."""

    def __init__(
        self, settings: ConnectorSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        base_url = settings.require_api_url() if transport is None else settings.api_url
        self.queue_id = settings.queue_id
        self._auth = SiteAuth(settings.secret_keys, settings.clock_leeway_seconds)
        self._http: _Http = (
            _InProcess(transport, base_url or IN_PROCESS_BASE_URL, settings.timeout_seconds)
            if transport is not None
            else _OverNetwork(base_url, settings.timeout_seconds)
        )
        self.batches: GroupCommit[dict[str, Any], CallAnswer] = GroupCommit(
            self._send_batch, MAX_CALLS_PER_REQUEST
        )
        self._batches_supported = True

    async def aclose(self) -> None:
        await self._http.aclose()

    async def claim(self, pass_token: str, session_id: str) -> SessionGrant:
        """Bind the pass to ``session_id`` (201), or confirm it is bound to it (200). Sent
        with the process's other claims and ends of the moment (:attr:`batches`)."""
        status, body = _checked_answer(
            *await self.batches.call({"op": "claim", "pass": pass_token, "session_id": session_id})
        )
        return SessionGrant(
            pass_id=_text(body, "pass_id"),
            session_id=_text(body, "session_id"),
            deadline=_whole(body, "deadline"),
            buyer=_text(body, "buyer"),
            created=status == 201,
        )

    async def state(self, pass_id: str) -> SessionState:
        _, body = await self._call("GET", f"sessions/{quote(pass_id, safe='')}")
        state = _text(body, "state")
        if state not in {"active", "ended", "expired"}:
            raise ConnectorProtocolError(f"unknown session state {state[:32]!r}")
        return SessionState(state, _whole(body, "deadline"), str(body.get("reason") or ""))

    async def extend(self, pass_id: str, until: int) -> int:
        """Ask for the session to last until ``until`` (unix s); returns the granted deadline."""
        _, body = await self._call(
            "POST", f"sessions/{quote(pass_id, safe='')}/extend", {"until": int(until)}
        )
        return _whole(body, "deadline")

    async def end(
        self, pass_id: str, reason: str = "purchase_completed", stock: StockMark | None = None
    ) -> None:
        """End the session (idempotent): the active-shopper slot is freed at once. Sent with
        the process's other claims and ends of the moment (:attr:`batches`). ``stock``: where
        a purchase stands in its event's stock reports."""
        call: dict[str, Any] = {"op": "end", "pass_id": pass_id, "reason": reason}
        if stock is not None:
            call["stock"] = stock.body()
        _checked_answer(*await self.batches.call(call))

    async def _send_batch(self, calls: list[dict[str, Any]]) -> list[CallAnswer]:
        """One ``POST session-batches``; a waiting room without that path (an older one)
        gets each call at its own endpoint from then on."""
        if self._batches_supported:
            status, answer = await self._request("POST", "session-batches", {"calls": calls})
            if status in (404, 405) and _slug(answer) == "http-error":  # no such route
                self._batches_supported = False
            else:
                _checked_answer(status, answer)
                return _batch_answers(answer, len(calls))
        return list(await asyncio.gather(*(self._single(call) for call in calls)))

    async def _single(self, call: dict[str, Any]) -> CallAnswer:
        if call["op"] == "claim":
            body = {"pass": call["pass"], "session_id": call["session_id"]}
            return await self._request("POST", "sessions", body)
        path = f"sessions/{quote(call['pass_id'], safe='')}/end"
        body = {name: value for name, value in call.items() if name in ("reason", "stock")}
        return await self._request("POST", path, body)

    async def profile(self, pass_id: str) -> dict[str, Any]:
        """The pre-checkout profile the fan filled in while waiting ({} when none)."""
        _, body = await self._call("GET", f"sessions/{quote(pass_id, safe='')}/profile")
        profile = body.get("profile")
        return dict(profile) if isinstance(profile, dict) else {}

    async def report_stock(self, event_id: str, stock: dict[str, Any]) -> dict[str, Any]:
        """``PUT events/{event_id}/stock`` (section 5): ``remaining``, ``capacity``, ``sold``,
        ``held``, ``tiers`` and ``sold_by_minute`` of one event."""
        _, body = await self._call("PUT", f"events/{quote(event_id, safe='')}/stock", stock)
        return body

    async def report_health(self, health: dict[str, Any]) -> dict[str, Any]:
        """``PUT health`` (section 7): this site process's recent figures per operation
        (``reporter``, ``window_seconds``, ``interval_seconds``, ``operations``)."""
        _, body = await self._call("PUT", "health", health)
        return body

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        return _checked_answer(*await self._request(method, path, body))

    async def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> CallAnswer:
        """The status and JSON object of an answer below 500 (problems included); raises
        ConnectorUnavailable or ConnectorProtocolError."""
        url = f"{API_PREFIX}/{quote(self.queue_id, safe='')}/{path}"
        headers = {"authorization": self._auth.header(self.queue_id)}
        try:
            status, content = await self._http.request(
                method, url, headers, None if body is None else orjson.dumps(body)
            )
        except HttpFailed as error:
            raise ConnectorUnavailable(f"the waiting room cannot be reached ({error})") from None
        if status >= 500:
            raise ConnectorUnavailable(f"the waiting room answered {status}")
        try:
            answer = orjson.loads(content) if content else {}
        except orjson.JSONDecodeError:
            raise ConnectorProtocolError("the waiting room's answer is not JSON") from None
        if not isinstance(answer, dict):
            raise ConnectorProtocolError("the waiting room's answer is not a JSON object")
        return status, answer


def _checked_answer(status: int, answer: dict[str, Any]) -> CallAnswer:
    """The answer itself, or its problem raised as the connector's error."""
    if status >= 400:
        raise _problem(status, answer)
    return status, answer


def _batch_answers(answer: dict[str, Any], count: int) -> list[CallAnswer]:
    answers = answer.get("answers")
    if not isinstance(answers, list) or len(answers) != count:
        raise ConnectorProtocolError("the batch's answer does not answer every call")
    checked: list[CallAnswer] = []
    for item in answers:
        status = item.get("status") if isinstance(item, dict) else None
        body = item.get("body") if isinstance(item, dict) else None
        if not isinstance(status, int) or not isinstance(body, dict):
            raise ConnectorProtocolError("a batch answer has no status and body")
        if status >= 500:
            raise ConnectorUnavailable(f"the waiting room answered {status}")
        checked.append((status, body))
    return checked


def _slug(body: dict[str, Any]) -> str:
    return str(body.get("type", "")).rsplit("/", 1)[-1]


def _problem(status: int, body: dict[str, Any]) -> ConnectorError:
    slug = _slug(body)
    detail = str(body.get("detail") or body.get("title") or f"HTTP {status}")
    extra = {
        key: value
        for key, value in body.items()
        if key not in {"type", "title", "status", "detail"}
    }
    error_class = ERRORS_BY_SLUG.get(slug)
    if error_class is None:
        return ConnectorProtocolError(f"{status} {slug or 'error'}: {detail}", status=status)
    return error_class(detail, **extra)


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ConnectorProtocolError(f"the answer has no text {name!r}")
    return value


def _whole(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConnectorProtocolError(f"the answer has no whole number {name!r}")
    return value
