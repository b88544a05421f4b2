"""Short ticket codes that people can read, type and say: 10 characters from an alphabet with no
0/O/1/I (nine random characters, 45 bits, and a Luhn mod 32 check character, from
``python-stdnum``), printed as ``K7M4-PX2Q-9C``. A mistyped character is caught by the check
character before any lookup; the door scanner accepts the code in any case, with or without
separators. Unique within the ticket's event (the scanner is set for one event)."""

from __future__ import annotations

import re
import secrets

from stdnum import luhn

from sale_backend.errors import ShortCodeMistyped

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PAYLOAD_LENGTH = 9
CODE_LENGTH = PAYLOAD_LENGTH + 1
GROUPS = (4, 4, 2)
SEPARATORS = re.compile(r"[\s\-_.·/]+")
LOOKS_SHORT = re.compile(r"^[A-Za-z0-9\s\-_.·/]{1,24}$")
"""Input that is meant as a short code (a signed code has ``~`` and is 70+ characters long)."""


def new_short_code() -> str:
    # 256 is a multiple of 32: each random byte picks a character without bias
    payload = "".join(
        ALPHABET[byte % len(ALPHABET)] for byte in secrets.token_bytes(PAYLOAD_LENGTH)
    )
    return payload + luhn.calc_check_digit(payload, ALPHABET)


def format_short_code(code: str) -> str:
    """``K7M4PX2Q9C`` -> ``K7M4-PX2Q-9C``."""
    parts, start = [], 0
    for size in GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(part for part in parts if part)


def parse_short_code(text: str) -> str | None:
    """The canonical short code (upper case, no separators) of typed ``text``; ``None`` when the
    text is no attempt at a short code (a signed QR code). Raises :class:`ShortCodeMistyped`
    when it is meant as one but a character is wrong, missing or extra."""
    stripped = text.strip()
    if not LOOKS_SHORT.match(stripped):
        return None
    code = SEPARATORS.sub("", stripped).upper()
    wrong = sorted({char for char in code if char not in ALPHABET})
    if wrong:
        raise ShortCodeMistyped(
            f"a ticket code has no {', '.join(wrong)}: check the code",
            reason="mistyped",
            mistake="characters",
            characters=", ".join(wrong),
        )
    if len(code) != CODE_LENGTH:
        raise ShortCodeMistyped(
            f"a ticket code has {CODE_LENGTH} characters, not {len(code)}",
            reason="mistyped",
            mistake="length",
            expected=CODE_LENGTH,
            length=len(code),
        )
    if luhn.checksum(code, ALPHABET) != 0:
        raise ShortCodeMistyped(
            "the code's last character does not match: a character is mistyped",
            reason="mistyped",
            mistake="check",
        )
    return code
