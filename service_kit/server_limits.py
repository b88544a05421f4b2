"""Limits on what one client may hold of a serving process, from ``WAITROOM_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service_kit.settings_tree import INTEGER, NUMBER, Variable, read_settings

MAX_REQUEST_HEAD_BYTES: Variable[int] = Variable(
    "WAITROOM_MAX_REQUEST_HEAD_BYTES",
    INTEGER,
    32 * 1024,
    "Request line and headers of one request; more is answered 431 and the connection closed",
    minimum=1024,
    maximum=1024 * 1024,
)
REQUEST_HEAD_TIMEOUT: Variable[float] = Variable(
    "WAITROOM_REQUEST_HEAD_TIMEOUT_SECONDS",
    NUMBER,
    10.0,
    "Time for a request's line and headers to arrive (slow senders get 408)",
    minimum=0.1,
    maximum=600,
)
KEEP_ALIVE_TIMEOUT: Variable[int] = Variable(
    "WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS",
    INTEGER,
    5,
    "Idle time a kept-alive connection may wait for its next request",
    minimum=1,
    maximum=600,
)
BODY_READ_TIMEOUT: Variable[float] = Variable(
    "WAITROOM_BODY_READ_TIMEOUT_SECONDS",
    NUMBER,
    15.0,
    "Time for a whole request body to arrive (slow senders get 408)",
    minimum=0.1,
    maximum=600,
)


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Limits on what one client may hold of a serving process (docs/operations.md).

    The request head (request line and headers) and its arrival time are checked by the
    connection protocol (service_kit/http_protocol.py), bodies by the body-limit layer
    (service_kit/body_limit.py), idle keep-alive connections by uvicorn."""

    max_request_head_bytes: int = MAX_REQUEST_HEAD_BYTES.field()
    request_head_timeout_seconds: float = REQUEST_HEAD_TIMEOUT.field()
    keep_alive_timeout_seconds: int = KEEP_ALIVE_TIMEOUT.field()
    body_read_timeout_seconds: float = BODY_READ_TIMEOUT.field()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ServerLimits:
        return read_settings(cls, environ)
