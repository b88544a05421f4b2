"""Fan-page languages: Babel gettext catalogs, chosen by ``?lang=``, a cookie or Accept-Language.

English is the source language (the msgids); Estonian, Russian and simplified Chinese come from
the compiled catalogs in ``waitroom/locale/<code>/LC_MESSAGES/messages.mo`` (see docs/i18n).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
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
LANGUAGE_COOKIE = "wr_lang"
LANGUAGE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 3600
DOMAIN = "messages"


def locale_directory() -> Path:
    return Path(str(resources.files("waitroom") / "locale"))


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


def choose_language(query_value: str | None, cookie_value: str | None, accept_language: str) -> str:
    for explicit in (query_value, cookie_value):
        if explicit and explicit in LANGUAGE_NAMES:
            return explicit
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
    def load(cls, directory: Path | None = None) -> Catalogs:
        base = directory or locale_directory()
        loaded: dict[str, gettext.NullTranslations] = {}
        for language in LANGUAGE_NAMES:
            if language == DEFAULT_LANGUAGE:
                loaded[language] = gettext.NullTranslations()
                continue
            translations = Translations.load(str(base), [language], DOMAIN)
            if not isinstance(translations, Translations):
                raise FileNotFoundError(f"compiled catalog for {language!r} missing in {base}")
            loaded[language] = translations
        return cls(loaded)

    def translator(self, language: str) -> Translate:
        catalog = self.by_language.get(language) or self.by_language[DEFAULT_LANGUAGE]

        def translate(message: str, **values: Any) -> str:
            text = catalog.gettext(message)
            return text % values if values else text

        return translate
