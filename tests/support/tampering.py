"""Forged copies of signed values (tokens, cookies, ticket codes, access keys) for tests.

Replacing a signature's last characters with fixed ones ("...xx", "...AAA") is not always a
forgery: the random signature may already end that way, and the last base64 character carries
unused bits, so "AA" over a byte that was 0 decodes to the same bytes (1 run in 256). A test
refusing such a "forgery" then fails by chance. :func:`tampered` changes one character that
carries six bits of the signature to another one: always a different value.
"""

from __future__ import annotations

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def tampered(signed: str, position: int = -5) -> str:
    """``signed`` with its character at ``position`` (by default inside the signature at the
    end, clear of its last, partly unused character) replaced by another base64url one."""
    index = position % len(signed)
    original = signed[index]
    assert original in BASE64URL, f"{original!r} at {index} is not a base64url character"
    replacement = "B" if original == "A" else "A"
    return signed[:index] + replacement + signed[index + 1 :]
