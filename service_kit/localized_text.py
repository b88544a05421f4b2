"""Organizer text in one language or several: ``"Rock night"`` or
``{"en": "Rock night", "et": "Rokiõhtu", "ru": "Рок-вечер"}``.

A value keyed by language may name any of the supported languages
(:data:`service_kit.languages.LANGUAGE_NAMES`); a fan sees the text of their language, else the
default language's (English), else the first one given. Every text is checked like any typed
text (:func:`service_kit.text_input.clean_text`). The organizer's value is kept as given
(:meth:`LocalizedText.document`), so the admin API answers what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import orjson

from service_kit.errors import InvalidText
from service_kit.languages import DEFAULT_LANGUAGE, LANGUAGE_NAMES
from service_kit.text_input import clean_text

LocalizedInput = Annotated[
    str | dict[str, str],
    msgspec.Meta(
        description="one string, or an object of language codes (en, et, ru, zh_Hans) to "
        "strings; fans see their language, else English, else the first given"
    ),
]
"""The model type of an organizer text (a request model's field); :func:`parse_localized_text`
checks it further (languages, length, characters)."""


@dataclass(frozen=True, slots=True)
class LocalizedText:
    texts: tuple[tuple[str, str], ...]
    """``(language, text)`` pairs; one pair with language "" for a plain string."""

    @classmethod
    def plain(cls, text: str) -> LocalizedText:
        return cls((("", text),))

    @property
    def default(self) -> str:
        """The default language's text (else the first given): what ``str()`` shows."""
        return self.text(DEFAULT_LANGUAGE)

    def text(self, language: str) -> str:
        by_language = dict(self.texts)
        for choice in (language, DEFAULT_LANGUAGE):
            if choice in by_language:
                return by_language[choice]
        return self.texts[0][1] if self.texts else ""

    def edited(self, edit: LocalizedText) -> LocalizedText:
        """This text after a form that shows one language (the default's) was saved: a plain
        ``edit`` replaces that one text and the other languages stay; an edit with languages of
        its own replaces everything."""
        if edit.document() != edit.default or self.document() == self.default:
            return edit
        languages = dict(self.texts)
        shown = DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in languages else self.texts[0][0]
        return LocalizedText(
            tuple((key, edit.default if key == shown else text) for key, text in languages.items())
        )

    def in_language(self, language: str) -> LocalizedText:
        """The text a fan of ``language`` sees, as a plain value."""
        return LocalizedText.plain(self.text(language))

    def document(self) -> str | dict[str, str]:
        if len(self.texts) == 1 and self.texts[0][0] == "":
            return self.texts[0][1]
        return dict(self.texts)

    def __str__(self) -> str:
        return self.default

    def __bool__(self) -> bool:
        return any(text for _, text in self.texts)


def parse_localized_text(
    value: Any, field: str, max_chars: int, *, required: bool = True, multiline: bool = False
) -> LocalizedText:
    """A string, or an object of 1..4 supported language codes to strings; raises
    :class:`~service_kit.text_input.InvalidText` (400) naming the field."""
    if isinstance(value, dict):
        if not value:
            raise InvalidText(field, "required", "must name at least one language")
        texts: list[tuple[str, str]] = []
        for language, text in value.items():
            if language not in LANGUAGE_NAMES:
                named = f"{str(language)[:16]!r}; use {', '.join(LANGUAGE_NAMES)}"
                raise InvalidText(field, "unknown_language", f"has language {named}")
            cleaned = clean_text(
                text, f"{field}.{language}", max_chars, required=required, multiline=multiline
            )
            texts.append((language, cleaned))
        return LocalizedText(tuple(texts))
    return LocalizedText.plain(
        clean_text(value, field, max_chars, required=required, multiline=multiline)
    )


def localized_from_stored(value: Any) -> LocalizedText:
    """A value already checked and stored (a string or an object of strings)."""
    if isinstance(value, dict):
        return LocalizedText(tuple((str(key), str(text)) for key, text in value.items()))
    return LocalizedText.plain("" if value is None else str(value))


def stored_string(value: LocalizedText) -> str:
    """One string for a store of strings (a Redis hash field): a plain text as itself, texts per
    language as a JSON object (read back by :func:`localized_from_string`)."""
    document = value.document()
    return document if isinstance(document, str) else orjson.dumps(document).decode()


def localized_from_string(raw: str) -> LocalizedText:
    """The inverse of :func:`stored_string`. A plain text that merely looks like JSON stays
    plain: only an object of supported language codes to strings is read as per-language."""
    if raw.startswith("{"):
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return LocalizedText.plain(raw)
        if (
            isinstance(document, dict)
            and document
            and all(
                key in LANGUAGE_NAMES and isinstance(text, str) for key, text in document.items()
            )
        ):
            return localized_from_stored(document)
    return LocalizedText.plain(raw)
