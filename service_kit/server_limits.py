"""Limits on what one client may hold of a serving process, from ``WAITROOM_*`` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from service_kit.environment import env_float, env_int


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Limits on what one client may hold of a serving process (docs/operations.md).

    The request head (request line and headers) and its arrival time are checked by the
    connection protocol (service_kit/http_protocol.py), bodies by the body-limit layer
    (service_kit/body_limit.py), idle keep-alive connections by uvicorn."""

    max_request_head_bytes: int = 32 * 1024
    request_head_timeout_seconds: float = 10.0
    keep_alive_timeout_seconds: int = 5
    body_read_timeout_seconds: float = 15.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ServerLimits:
        env = os.environ if environ is None else environ
        return cls(
            max_request_head_bytes=env_int(
                env, "WAITROOM_MAX_REQUEST_HEAD_BYTES", 32 * 1024, minimum=1024
            ),
            request_head_timeout_seconds=env_float(
                env, "WAITROOM_REQUEST_HEAD_TIMEOUT_SECONDS", 10.0, minimum=0.1
            ),
            keep_alive_timeout_seconds=env_int(
                env, "WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS", 5, minimum=1
            ),
            body_read_timeout_seconds=env_float(
                env, "WAITROOM_BODY_READ_TIMEOUT_SECONDS", 15.0, minimum=0.1
            ),
        )
