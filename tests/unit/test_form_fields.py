"""Forms read through typed models: the "unflatten form names" helper, the decoding of text
fields, and the organizer's forms' errors in words."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from service_kit.errors import InvalidInput
from service_kit.form_fields import decimal_of, decode_form, sentence, unflatten
from waitroom.organizer.content_forms import content_form, content_of
from waitroom.organizer.dashboard_forms import dashboard_form
from waitroom.organizer.form_models import (
    CONTENT_GROUPS,
    AutotuneForm,
    CloseForm,
    SettingsForm,
)
from waitroom.organizer.form_words import field_in_words, message_of

GROUPS = {"s": "surveys", "q": "questions", "u": "upsells"}


def test_unflatten_nests_numbered_names_and_keeps_the_others() -> None:
    nested = unflatten(
        {
            "csrf_token": "t",
            "s0-title": "Warm-up",
            "s0-q1-text": "Second",
            "s0-q0-text": "First",
            "s1-kind": "quiz",
            "u0-link_url": "/shop",
        },
        GROUPS,
    )
    assert nested == {
        "csrf_token": "t",
        "surveys": [
            {"title": "Warm-up", "questions": [{"text": "First"}, {"text": "Second"}]},
            {"kind": "quiz"},
        ],
        "upsells": [{"link_url": "/shop"}],
    }


def test_unflatten_fills_positions_left_out_so_positions_stay_the_forms() -> None:
    assert unflatten({"u2-title": "Third"}, GROUPS) == {"upsells": [{}, {}, {"title": "Third"}]}


@pytest.mark.parametrize(
    "name", ["x0-title", "s0", "s-title", "s0-", "s0q0-text", "s0-x1-text", "title-s0", "s0-Q0-a"]
)
def test_unflatten_keeps_names_of_another_shape_as_they_are(name: str) -> None:
    assert unflatten({name: "v"}, GROUPS) == {name: "v"}


def test_unflatten_refuses_positions_beyond_the_bound() -> None:
    with pytest.raises(InvalidInput) as refused:
        unflatten({"s101-title": "x"}, GROUPS)
    assert refused.value.extra["field"] == "s101-title"
    assert unflatten({"s100-title": "x"}, GROUPS)["surveys"][100] == {"title": "x"}


def test_unflatten_refuses_a_group_name_also_sent_as_a_field() -> None:
    with pytest.raises(InvalidInput):
        unflatten({"surveys": "text", "s0-title": "x"}, GROUPS)


class Sample(msgspec.Struct):
    count: Annotated[int, msgspec.Meta(ge=0, le=10)]
    name: str = "default"


def test_decode_form_reads_numbers_and_treats_empty_fields_as_absent() -> None:
    assert decode_form({"count": " 7 ", "name": ""}, Sample) == Sample(7, "default")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"count": "seven"}, "count", "a whole number"),
        ({"count": "11"}, "count", "a number of at most 10"),
        ({"count": "-1"}, "count", "a number of at least 0"),
        ({"count": ""}, "count", "fill this in"),
        ({}, "count", "fill this in"),
    ],
)
def test_decode_form_names_the_field_and_says_what_is_wrong(
    fields: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_form(fields, Sample)
    assert refused.value.extra["field"] == field
    assert refused.value.detail == f"{field}: {words}"


def test_sentence_keeps_messages_it_does_not_know() -> None:
    assert sentence("Something new") == "Something new"


def test_decimal_text_takes_a_point_or_a_comma() -> None:
    assert decimal_of("12,50") == decimal_of("12.50") == decimal_of("12.5")


def test_the_dashboard_form_is_told_apart_by_its_action() -> None:
    settings = dashboard_form({"csrf_token": "t", "action": "settings", "rate_per_minute": "5"})
    assert settings == SettingsForm(csrf_token="t", rate_per_minute=5)
    assert isinstance(dashboard_form({"csrf_token": "t", "action": "close"}), CloseForm)
    autotune = dashboard_form(
        {
            "csrf_token": "t",
            "action": "autotune",
            "enabled": "on",
            "min_rate_per_minute": "10",
            "max_rate_per_minute": "600",
            "target_p95_ms": "800",
            "max_error_percent": "0,5",
        }
    )
    assert isinstance(autotune, AutotuneForm) and autotune.enabled == "on"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "launch"}, "action: not one of the choices"),
        ({}, "action: fill this in"),
        ({"action": "settings"}, "admission rate: fill this in"),
        ({"action": "settings", "rate_per_minute": "fast"}, "admission rate: a whole number"),
        ({"action": "pause", "pause_reason": "x" * 501}, "pause reason: at most 500 characters"),
        (
            {"action": "schedule", "opens_at_local": "tomorrow"},
            "opening time: a date and time like 2026-05-01T10:00",
        ),
        ({"action": "code_create", "kind": "vip"}, "kind: not one of the choices"),
        ({"action": "code_revoke"}, "code: fill this in"),
    ],
)
def test_dashboard_errors_are_in_words(fields: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        dashboard_form({"csrf_token": "t", **fields})
    assert message_of(refused.value) == message


def test_content_paths_are_named_by_their_place_in_the_form() -> None:
    assert (
        field_in_words("surveys[0].questions[1].max_length")
        == "survey 1, question 2, longest answer"
    )
    assert field_in_words("upsells[2].price_minor") == "card 3, price"


def test_content_errors_name_the_forms_position_even_after_removed_rows() -> None:
    fields = {
        "s0-id": "old",
        "s0-title": "Removed",
        "s0-remove": "on",
        "s0-q0-text": "Gone?",
        "s0-q0-options": "Yes",
        "s1-title": "Kept",
        "s1-q0-text": "",  # blank: left out
        "s1-q1-text": "Colour?",
        "s1-q1-options": "",  # a choice question without answers
    }
    with pytest.raises(InvalidInput) as refused:
        content_of(content_form(fields))
    assert message_of(refused.value).startswith("survey 2, question 2")


def test_content_form_builds_the_api_documents() -> None:
    fields = {
        "s0-title": "Warm-up",
        "s0-kind": "quiz",
        "s0-q0-text": "Year?",
        "s0-q0-options": "* 1999\r\n2003\n",
        "s0-q0-required": "on",
        "s0-q1-text": "Why?",
        "s0-q1-type": "text",
        "s0-q1-max_length": "50",
        "u0-title": "Poster",
        "u0-link_url": "/shop/poster",
        "u0-price": "12,5",
        "u0-currency": "eur",
        "u1-title": "",
    }
    (survey,), (card,) = content_of(content_form(fields))
    assert survey.id == "warm-up" and survey.kind == "quiz"
    assert [(option.id, option.correct) for option in survey.questions[0].options] == [
        ("1999", True),
        ("2003", False),
    ]
    assert survey.questions[0].required and not survey.questions[1].required
    assert survey.questions[1].max_length == 50
    assert (card.id, card.currency, card.price_minor) == ("poster", "EUR", 1250)
    with pytest.raises(InvalidInput) as refused:  # yen have no decimals
        content_of(content_form({**fields, "u0-currency": "JPY"}))
    assert refused.value.extra["field"] == "upsells[0].price_minor"


def test_content_form_positions_are_bounded() -> None:
    with pytest.raises(InvalidInput) as refused:
        content_form({f"s{index}-title": f"Survey {index}" for index in range(11)})
    assert message_of(refused.value) == "surveys: at most 10 of them"
    assert CONTENT_GROUPS["s"] == "surveys"


def test_the_content_apis_own_checks_are_worded_too() -> None:
    fields = {"u0-title": "Poster", "u0-link_url": "/shop", "u0-price": "999999999999"}
    with pytest.raises(InvalidInput) as refused:
        content_of(content_form(fields))
    assert message_of(refused.value) == "card 1, price: a number of at most 1000000000"
    with pytest.raises(InvalidInput) as refused:
        content_of(content_form({"s0-title": "Only a title"}))
    assert message_of(refused.value) == "survey 1, questions: at least 1"
