"""Every fan-page string is translated in every catalog, and the compiled .mo files are current."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from waitroom.fan.i18n import Catalogs, choose_language, locale_directory, parse_accept_language

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED_LANGUAGES = ("et", "ru", "zh_Hans")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def source_messages() -> set[str]:
    """What the fan pages use today, extracted like ``scripts/i18n`` does."""
    method_map = [
        ("waitroom/**.py", "python"),
        ("waitroom/pages/templates/**.html", "jinja2"),
    ]
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map=method_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str):  # type: ignore[no-untyped-def]
    path = locale_directory() / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def test_source_strings_are_in_the_template() -> None:
    with (locale_directory() / "messages.pot").open("rb") as handle:
        template = {message.id for message in read_po(handle) if message.id}
    assert source_messages() == template, "run scripts/i18n after changing fan-page strings"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_catalog_is_complete(language: str) -> None:
    messages = {message.id: message for message in catalog(language) if message.id}
    expected = source_messages()
    assert set(messages) == expected
    for message_id, message in messages.items():
        assert isinstance(message.string, str) and message.string.strip(), message_id
        assert "fuzzy" not in message.flags, message_id
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
            PLACEHOLDER.findall(message_id)
        ), message_id


def translations(messages: Iterable[Message]) -> dict[object, object]:
    """What a catalog means: each message id (with its context) and its translation."""
    return {(message.context, message.id): message.string for message in messages if message.id}


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    """The committed .mo says what the .po says (compared message by message, so a Babel release
    that writes other header bytes cannot fail it, while a forgotten compile still does)."""
    mo_path = locale_directory() / language / "LC_MESSAGES" / "messages.mo"
    with mo_path.open("rb") as handle:
        compiled = read_mo(handle)
    assert translations(compiled) == translations(catalog(language)), "run scripts/i18n compile"


def test_loaded_catalogs_translate_every_language() -> None:
    catalogs = Catalogs.load()
    texts = {
        language: catalogs.translator(language)("Your number")
        for language in ("en", *TRANSLATED_LANGUAGES)
    }
    assert texts["en"] == "Your number"
    assert len(set(texts.values())) == 4
    russian = catalogs.translator("ru")("About %(count)s tickets left", count=12)
    assert "12" in russian and "%(" not in russian


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, "", "en"),
        (None, None, "et-EE,et;q=0.9,en;q=0.8", "et"),
        (None, None, "de-DE, ru;q=0.7, en;q=0.3", "ru"),
        (None, None, "zh-CN,zh;q=0.9", "zh_Hans"),
        (None, None, "zh-TW, en;q=0.5", "en"),
        (None, None, "en;q=0.1, et;q=0.9", "et"),
        (None, None, "ru;q=0, fr", "en"),
        (None, "ru", "et", "ru"),
        ("zh_Hans", "ru", "et", "zh_Hans"),
        ("xx", None, "et", "et"),
        (None, "bogus", ";;;q=abc,,", "en"),
    ],
)
def test_language_choice(query: str | None, cookie: str | None, header: str, expected: str) -> None:
    assert choose_language(query, cookie, header) == expected


def test_accept_language_order_and_limits() -> None:
    assert parse_accept_language("a;q=0.5, b, c;q=0.9") == ["b", "c", "a"]
    assert len(parse_accept_language(",".join(["en"] * 100))) == 32
