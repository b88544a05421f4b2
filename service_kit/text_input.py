"""Text that people type: one rule for every field a fan or an organizer fills in.

:func:`clean_text` is used at every entry point (checkout name and e-mail, the pre-checkout
profile, survey answers, queue names and pause reasons, survey/upsell/profile-form texts, event
and tier names, code labels and codes). It

1. refuses anything that is not a string;
2. normalizes to Unicode NFC (one byte sequence per visible text, so "é" typed two ways is one
   name; compare and limit after this);
3. turns CRLF and CR into LF in multi-line text;
4. trims white space (ASCII and Unicode space separators) at both ends;
5. refuses control characters (category Cc: NUL, C0, DEL, C1), except LF and TAB in multi-line
   text; the bidirectional embedding, override and isolate controls U+202A-U+202E and
   U+2066-U+2069 (they reorder what is shown around them, e.g. "Trojan Source" spoofing);
   lone surrogates; and line breaks (LF, CR, U+2028, ...) in one-line text;
6. requires a non-empty result unless ``required=False``, and at most ``max_chars`` characters
   (code points, counted after NFC).

Refusals are :class:`InvalidText` (400, an ``invalid-input`` problem) naming the field, the
reason and the first offending code point. Nothing is silently removed: a name is stored as
the person typed it, or refused with a message that says why.
"""

from __future__ import annotations

import unicodedata

from service_kit.errors import InvalidText

BIDI_CONTROLS = frozenset(
    chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
)
LINE_BREAKS = frozenset({"\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029"})
WHITE_SPACE = (
    " \t\n\r\f\v\u00a0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
    + "\u202f\u205f\u3000"
)
"""Trimmed at both ends: ASCII white space and the Unicode space separators (not the other
characters ``str.strip`` removes, such as U+001F or U+2028, which are refused instead)."""
MULTILINE_ALLOWED = frozenset({"\n", "\t"})


def clean_text(
    value: object,
    field: str,
    max_chars: int,
    *,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """The normalized text (see the module docstring); raises :class:`InvalidText`."""
    if not isinstance(value, str):
        raise InvalidText(field, "not_text", "must be text")
    text = unicodedata.normalize("NFC", value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip(WHITE_SPACE)
    if not (text.isascii() and text.isprintable()):  # printable ASCII has nothing to refuse
        for character in text:
            _check_character(character, field, multiline)
    if not text and required:
        raise InvalidText(field, "required", "is required")
    if len(text) > max_chars:
        raise InvalidText(
            field, "too_long", f"is longer than {max_chars} characters", max_chars=max_chars
        )
    return text


def _check_character(character: str, field: str, multiline: bool) -> None:
    if multiline and character in MULTILINE_ALLOWED:
        return
    if character in BIDI_CONTROLS:
        raise InvalidText(
            field,
            "bidi_control",
            f"contains a text direction control ({_code_point(character)}), which is not allowed",
            code_point=_code_point(character),
        )
    if not multiline and character in LINE_BREAKS:
        raise InvalidText(
            field,
            "line_break",
            f"contains a line break ({_code_point(character)}); it must be one line",
            code_point=_code_point(character),
        )
    if unicodedata.category(character) in {"Cc", "Cs"}:
        raise InvalidText(
            field,
            "control_character",
            f"contains a control character ({_code_point(character)}), which is not allowed",
            code_point=_code_point(character),
        )


def _code_point(character: str) -> str:
    return f"U+{ord(character):04X}"
