"""Checks of decoded token payloads: a malformed claim is a :class:`PassInvalid`-like error."""

from __future__ import annotations

from typing import Any

from waitroom.connector.errors import ConnectorError

MAX_CLAIM_CHARS = 128


def text_claim(
    payload: dict[str, Any],
    name: str,
    error: type[ConnectorError],
    max_chars: int = MAX_CLAIM_CHARS,
) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > max_chars:
        raise error(f"claim {name!r} is missing or not a short string")
    return value


def whole_number_claim(payload: dict[str, Any], name: str, error: type[ConnectorError]) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise error(f"claim {name!r} is missing or not a non-negative integer")
    return value
