"""The door scanner in the shop's four languages: every word its script needs is in the page's
JSON block in every language (a new message in the JS without a translation fails here), with
the same placeholders as the English; the pages the server renders (login, events, a scan's
verdict without JavaScript) speak the language chosen as on the fan pages (``?lang=``, then
the ``site_lang`` cookie); the staff API's machine fields stay English."""

from __future__ import annotations

import json
import re

import pytest

from sale_backend.domain.scanner_words import SCANNER_WORDS
from sale_backend.web.staff_pages import SHARED_NOTICES
from service_kit.languages import LANGUAGE_NAMES
from service_kit.session_door import FORM_EXPIRED
from tests.integration.sale.test_staff_scanner import (
    SCAN,
    bought_tickets,
    hidden_fields,
    logged_in,
    scan,
    staff_client,
)
from tests.support.paths import REPOSITORY_ROOT
from tests.support.shop_fixtures import Shop

STATIC = REPOSITORY_ROOT / "sale_backend" / "web" / "static"
SCRIPTS = ["scanner.js", "scanner-camera.js", "scanner-codes.js"]
WORDS_BLOCK = re.compile(r'<script type="application/json" id="scanner-words">(.*?)</script>', re.S)
SAID = re.compile(r'\bsay\(\s*"([a-z_]+)"')
KEY_TABLE = re.compile(r"var (?:REASONS|MISTAKES|HEADLINES) = \{(.*?)\};", re.S)
TABLE_VALUE = re.compile(r':\s*"([a-z_]+)"')
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def keys_the_scripts_use() -> set[str]:
    """The words the scripts ask for: ``say("key", ...)`` and the values of their key tables
    (outcomes, mistakes, headlines to words)."""
    keys: set[str] = set()
    for name in SCRIPTS:
        source = (STATIC / name).read_text()
        keys |= set(SAID.findall(source))
        for table in KEY_TABLE.findall(source):
            keys |= set(TABLE_VALUE.findall(table))
    return keys


def page_words(html: str) -> dict[str, str]:
    match = WORDS_BLOCK.search(html)
    assert match, "the scanner page has no words block"
    words: dict[str, str] = json.loads(match.group(1))
    return words


def test_the_scripts_ask_only_for_words_the_table_has() -> None:
    used = keys_the_scripts_use()
    assert len(used) > 30  # the extraction finds the scripts' words
    assert used <= set(SCANNER_WORDS), sorted(used - set(SCANNER_WORDS))


def test_the_session_doors_notice_is_in_the_shops_catalogs() -> None:
    assert FORM_EXPIRED in SHARED_NOTICES


async def test_every_word_of_the_scanner_is_on_the_page_in_every_language(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    used = keys_the_scripts_use()
    async with staff_client(shop) as client:
        await logged_in(client, unique_id)
        pages = {}
        for language in LANGUAGE_NAMES:
            page = await client.get(SCAN, params={"event": unique_id, "lang": language})
            assert page.status_code == 200
            assert f'<html lang="{"zh-Hans" if language == "zh_Hans" else language}">' in page.text
            pages[language] = page_words(page.text)
    english = pages["en"]
    assert english == dict(SCANNER_WORDS)
    for language, words in pages.items():
        missing = sorted(key for key in used if not words.get(key))
        assert missing == [], f"{language}: no words for {missing}"
        for key, text in words.items():
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(english[key])), (
                f"{language} {key}: {text!r}"
            )
            if language != "en":
                assert text != english[key], f"{language} {key} is not translated: {text!r}"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ru", ["Сканер на входе", "Ключ сотрудника", "Войти"]),
        ("et", ["Uksel skänner", "Töötaja võti", "Logi sisse"]),
        ("zh_Hans", ["入口扫描器", "工作人员令牌", "登录"]),
    ],
)
async def test_the_login_page_speaks_the_chosen_language(
    shop: Shop, language: str, words: list[str]
) -> None:
    async with staff_client(shop) as client:
        page = await client.get(SCAN, params={"lang": language})
        assert page.status_code == 200 and all(word in page.text for word in words)
        assert "Staff token" not in page.text and "Log in" not in page.text
        refused = await client.post(
            "/staff/login", data={"token": "wrong", **hidden_fields(page)}
        )  # the cookie the switcher set keeps the language
        assert refused.status_code == 401
        assert all(word in refused.text for word in words)


async def test_a_steward_in_russian_reads_each_verdict_in_russian_without_javascript(
    shop: Shop, unique_id: str
) -> None:
    order_id, tickets = await bought_tickets(shop, unique_id, 3)
    async with shop.staff() as staff:
        refund = await staff.post(
            f"/api/v1/staff/orders/{order_id}/refund",
            json={"ticket_ids": [tickets[2]["ticket_id"]]},
        )
        assert refund.status_code == 200, refund.text
    async with staff_client(shop) as client:
        client.cookies.set("site_lang", "ru")
        fields = await logged_in(client, unique_id)
        admitted, fields = await scan(client, fields, tickets[0]["code"])
        assert admitted.status_code == 200
        assert "ПРОПУСТИТЬ" in admitted.text and "Проход для 1" in admitted.text
        again, fields = await scan(client, fields, tickets[0]["code"])
        assert again.status_code == 409
        assert "ОТКАЗАНО" in again.text and "уже отсканирован: впервые" in again.text
        assert "North gate" in again.text  # the door's name is the steward's own
        refunded, fields = await scan(client, fields, tickets[2]["code"])
        assert refunded.status_code == 409 and "возвращён" in refunded.text
        mistyped, fields = await scan(client, fields, tickets[1]["short_code"][:-1])
        assert "в коде билета 10 символов, а не 9" in mistyped.text
        history = mistyped.text.split('id="scan-history"')[1]
        assert history.count("ОТКАЗАНО") == 2 and history.count("ПРОПУСТИТЬ") == 1
        shown = WORDS_BLOCK.sub("", mistyped.text)  # the words block's keys are English
        for english in ("ADMIT", "REJECTED", "already scanned", "refunded", "Earlier scans"):
            assert english not in shown
    async with shop.staff() as staff:  # the API's machine fields stay as they are
        answer = await staff.post(
            "/api/v1/staff/scan",
            json={"code": tickets[0]["code"]},
            headers={"accept-language": "ru"},
        )
        assert answer.status_code == 409
        assert answer.json()["reason"] == "already_scanned"
