"""Every fan-facing string (waiting room, connector pages, shop) is translated in every catalog,
and the compiled .mo files are current."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from sale_backend.web.language import shop_locale_directory
from service_kit.languages import (
    Catalogs,
    choose_language,
    parse_accept_language,
    with_language,
)
from tests.support.paths import REPOSITORY_ROOT
from waitroom.fan.i18n import load_catalogs, locale_directory

ROOT = REPOSITORY_ROOT
TRANSLATED_LANGUAGES = ("et", "ru", "zh_Hans")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


APPS = {
    # app: (its catalogs, where extraction starts, Babel's method map), like scripts/i18n
    "waitroom": (
        locale_directory(),
        ROOT,
        [("waitroom/**.py", "python"), ("waitroom/pages/templates/**.html", "jinja2")],
    ),
    "sale_backend": (
        shop_locale_directory(),
        ROOT / "sale_backend",
        [("**.py", "python"), ("web/templates/**.html", "jinja2")],
    ),
}
CATALOGS = [(app, language) for app in APPS for language in TRANSLATED_LANGUAGES]


def message_key(message_id: object) -> object:
    """A message's id: a string, or a (singular, plural) pair."""
    return message_id if isinstance(message_id, str) else tuple(message_id)  # type: ignore[arg-type]


def source_messages(app: str) -> set[object]:
    """What the app's pages use today, extracted like ``scripts/i18n`` does."""
    _, source, method_map = APPS[app]
    found: set[object] = set()
    for _, _, message, _, _ in extract_from_dir(str(source), method_map=method_map):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def catalog(app: str, language: str):  # type: ignore[no-untyped-def]
    path = APPS[app][0] / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("app", APPS)
def test_source_strings_are_in_the_template(app: str) -> None:
    with (APPS[app][0] / "messages.pot").open("rb") as handle:
        template = {message_key(message.id) for message in read_po(handle) if message.id}
    assert source_messages(app) == template, "run scripts/i18n after changing page strings"


@pytest.mark.parametrize(("app", "language"), CATALOGS)
def test_catalog_is_complete(app: str, language: str) -> None:
    messages = {
        message_key(message.id): message for message in catalog(app, language) if message.id
    }
    expected = source_messages(app)
    assert set(messages) == expected
    for key, message in messages.items():
        singular = key if isinstance(key, str) else key[0]
        texts = [message.string] if isinstance(message.string, str) else list(message.string)
        assert texts and all(isinstance(text, str) and text.strip() for text in texts), key
        assert "fuzzy" not in message.flags, key
        for text in texts:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(str(key))), key
        if isinstance(key, str):
            assert sorted(PLACEHOLDER.findall(texts[0])) == sorted(PLACEHOLDER.findall(singular)), (
                key
            )


def translations(messages: Iterable[Message]) -> dict[object, object]:
    """What a catalog means: each message id (with its context) and its translation."""
    return {
        (message.context, message_key(message.id)): message_key(message.string)
        for message in messages
        if message.id
    }


@pytest.mark.parametrize(("app", "language"), CATALOGS)
def test_compiled_catalog_matches_its_source(app: str, language: str) -> None:
    """The committed .mo says what the .po says (compared message by message, so a Babel release
    that writes other header bytes cannot fail it, while a forgotten compile still does)."""
    mo_path = APPS[app][0] / language / "LC_MESSAGES" / "messages.mo"
    with mo_path.open("rb") as handle:
        compiled = read_mo(handle)
    assert translations(compiled) == translations(catalog(app, language)), "scripts/i18n compile"


def test_shop_catalogs_translate_plurals() -> None:
    catalogs = Catalogs.load(shop_locale_directory())
    russian = catalogs.plural_translator("ru")
    one = russian("%(count)s ticket left", "%(count)s tickets left", 1)
    few = russian("%(count)s ticket left", "%(count)s tickets left", 3)
    many = russian("%(count)s ticket left", "%(count)s tickets left", 5)
    assert "1" in one and "3" in few and "5" in many
    assert len({one.replace("1", ""), few.replace("3", ""), many.replace("5", "")}) == 3
    english = catalogs.plural_translator("en")
    assert english("%(count)s ticket left", "%(count)s tickets left", 2) == "2 tickets left"


def test_a_language_is_handed_on_in_a_link() -> None:
    assert with_language("/shop/?waitroom_pass=abc", "ru") == "/shop/?waitroom_pass=abc&lang=ru"
    assert with_language("/q/demo?lang=et#top", "zh_Hans") == "/q/demo?lang=zh_Hans#top"
    assert with_language("https://shop.example/", "et") == "https://shop.example/?lang=et"


def test_loaded_catalogs_translate_every_language() -> None:
    catalogs = load_catalogs()
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
        ("zh-Hans", None, "", "zh_Hans"),
        ("ru-RU", "et", "", "ru"),
    ],
)
def test_language_choice(query: str | None, cookie: str | None, header: str, expected: str) -> None:
    assert choose_language(query, cookie, header) == expected


def test_accept_language_order_and_limits() -> None:
    assert parse_accept_language("a;q=0.5, b, c;q=0.9") == ["b", "c", "a"]
    assert len(parse_accept_language(",".join(["en"] * 100))) == 32
