"""The fans' languages, shared by the waiting room, the connector and the shop.

Babel gettext catalogs (one per app, English is the source language: the msgids), the choice of a
page's language (``?lang=``, then the app's own cookie, then ``Accept-Language``, then English)
and the mapping from BCP 47 tags to the supported codes.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.support import Translations

DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "et": "Eesti",
    "ru": "Русский",
    "zh_Hans": "简体中文",
}
"""Supported languages, each named in itself (for the switcher)."""

HTML_LANGUAGE_TAGS = {"en": "en", "et": "et", "ru": "ru", "zh_Hans": "zh-Hans"}
LANGUAGE_PARAMETER = "lang"
"""The query parameter that picks a language (and carries it from the queue to the site)."""
LANGUAGE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 3600
DOMAIN = "messages"


def language_tag(language: str) -> str:
    """The BCP 47 tag of a supported language code (``zh_Hans`` -> ``zh-Hans``), for HTML's
    ``lang`` and ``Content-Language``; English for a code that is not supported."""
    return HTML_LANGUAGE_TAGS.get(language, DEFAULT_LANGUAGE)


def language_from_tag(tag: str) -> str | None:
    """Map a BCP 47 tag (``zh-CN``, ``et-EE``, ``ru``, ``zh_Hans``) to a supported code."""
    parts = tag.strip().replace("_", "-").lower().split("-")
    primary = parts[0]
    if primary == "zh":
        rest = set(parts[1:])
        if rest & {"hant", "tw", "hk", "mo"}:
            return None  # traditional Chinese is not offered; try the next preference
        return "zh_Hans"
    if primary in LANGUAGE_NAMES:
        return primary
    return None


def parse_accept_language(header: str) -> list[str]:
    """Language tags of an Accept-Language header, most preferred first (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:32]):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def explicit_language(value: str | None) -> str | None:
    """A supported code given as ``?lang=`` or in a cookie (a code or a tag such as ``zh-Hans``)."""
    if not value or len(value) > 35:
        return None
    if value in LANGUAGE_NAMES:
        return value
    return language_from_tag(value)


def choose_language(query_value: str | None, cookie_value: str | None, accept_language: str) -> str:
    for explicit in (query_value, cookie_value):
        language = explicit_language(explicit)
        if language is not None:
            return language
    for tag in parse_accept_language(accept_language):
        language = language_from_tag(tag)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


Translate = Callable[..., str]


@dataclass(frozen=True, slots=True)
class Catalogs:
    """Loaded translations per supported language (English passes msgids through)."""

    by_language: Mapping[str, gettext.NullTranslations]

    @classmethod
    def load(cls, directory: Path) -> Catalogs:
        loaded: dict[str, gettext.NullTranslations] = {}
        for language in LANGUAGE_NAMES:
            if language == DEFAULT_LANGUAGE:
                loaded[language] = gettext.NullTranslations()
                continue
            translations = Translations.load(str(directory), [language], DOMAIN)
            if not isinstance(translations, Translations):
                raise FileNotFoundError(f"compiled catalog for {language!r} missing in {directory}")
            loaded[language] = translations
        return cls(loaded)

    def translator(self, language: str) -> Translate:
        catalog = self.by_language.get(language) or self.by_language[DEFAULT_LANGUAGE]

        def translate(message: str, **values: Any) -> str:
            text = catalog.gettext(message)
            return text % values if values else text

        return translate

    def plural_translator(self, language: str) -> Callable[..., str]:
        """``ngettext`` with ``%(count)s`` (and any other named values) filled in."""
        catalog = self.by_language.get(language) or self.by_language[DEFAULT_LANGUAGE]

        def translate(singular: str, plural: str, count: int, **values: Any) -> str:
            return catalog.ngettext(singular, plural, count) % {"count": count, **values}

        return translate


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def with_language(url: str, language: str) -> str:
    """``url`` with ``lang=<code>`` (replacing one it has): how a page hands its language on."""
    base, _, fragment = url.partition("#")
    path, _, query = base.partition("?")
    kept = [
        part for part in query.split("&") if part and part.partition("=")[0] != LANGUAGE_PARAMETER
    ]
    kept.append(f"{LANGUAGE_PARAMETER}={language}")
    return f"{path}?{'&'.join(kept)}" + (f"#{fragment}" if fragment else "")
