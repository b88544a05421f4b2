"""Every e-mail names its language with a BCP 47 tag (``zh-Hans``), never a catalog code
(``zh_Hans``), in ``Content-Language`` and in the HTML part's ``lang``."""

from __future__ import annotations

import pytest

from service_kit.languages import language_tag
from service_kit.mail import MailSettings, build_message
from waitroom.fan.mail_messages import message_from_text, your_turn_text
from waitroom.settings import Settings


@pytest.mark.parametrize(
    ("code", "tag"), [("en", "en"), ("et", "et"), ("ru", "ru"), ("zh_Hans", "zh-Hans")]
)
def test_the_header_carries_the_tag_of_the_code(code: str, tag: str) -> None:
    settings = MailSettings(host="mail.example", sender="tickets@example.org")
    message = build_message(settings, "fan@example.org", "Hi", "Hello", language=code)
    assert message["Content-Language"] == tag
    assert language_tag(code) == tag


def test_an_unknown_code_is_sent_as_english() -> None:
    assert language_tag("xx") == "en"


def test_the_your_turn_mail_in_chinese_is_tagged_zh_hans() -> None:
    def untranslated(message: str, **values: object) -> str:
        return message % values if values else message

    text = your_turn_text(untranslated, "Spring Gala", "https://queue.example/q/a")
    message = message_from_text(Settings(), "fan@example.org", text, untranslated, "zh_Hans")
    assert message["Content-Language"] == "zh-Hans"
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    assert '<html lang="zh-Hans">' in html_part.get_content()
