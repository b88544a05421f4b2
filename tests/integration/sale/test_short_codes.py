"""Short ticket codes: 10 characters without 0/O/1/I, typed in any case and with any
separators; the check character (Luhn mod 32) catches every single mistyped character and
every swap of neighbours but one pair; codes are unique within an event, even when a drawn code
is taken already."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from sale_backend.domain import orders
from sale_backend.domain.short_codes import (
    ALPHABET,
    CODE_LENGTH,
    format_short_code,
    new_short_code,
    parse_short_code,
)
from sale_backend.errors import ShortCodeMistyped, TicketRejected
from service_kit.problems import error_status
from tests.integration.sale.test_staff_scanner import bought_tickets
from tests.support.shop_fixtures import Shop

codes = st.text(alphabet=ALPHABET, min_size=9, max_size=9).map(
    lambda payload: payload + luhn.calc_check_digit(payload, ALPHABET)
)


def test_the_alphabet_has_no_look_alikes() -> None:
    assert len(ALPHABET) == 32 and not set("01OI") & set(ALPHABET)
    drawn = {new_short_code() for _ in range(1000)}
    assert len(drawn) == 1000 and all(parse_short_code(code) == code for code in drawn)


@given(codes)
def test_new_codes_read_back_in_any_case_and_spacing(code: str) -> None:
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    printed = format_short_code(code)
    assert re.fullmatch(r"\w{4}-\w{4}-\w{2}", printed)
    for typed in (printed, printed.lower(), f"  {code[:3]} {code[3:7]} {code[7:]} ", code):
        assert parse_short_code(typed) == code


@given(codes, st.integers(0, CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_every_single_mistyped_character_is_caught(code: str, at: int, char: str) -> None:
    typo = code[:at] + char + code[at + 1 :]
    if typo == code:
        return
    with pytest.raises(ShortCodeMistyped, match="mistyped"):
        parse_short_code(typo)


@given(codes, st.integers(0, CODE_LENGTH - 2))
def test_swapped_neighbours_are_caught_but_for_one_pair(code: str, at: int) -> None:
    swapped = code[:at] + code[at + 1] + code[at] + code[at + 2 :]
    if swapped == code or {code[at], code[at + 1]} == {ALPHABET[0], ALPHABET[-1]}:
        return  # Luhn mod N cannot see the swap of its first and last symbol (as 09/90)
    with pytest.raises(ShortCodeMistyped):
        parse_short_code(swapped)


def test_what_is_not_a_short_code() -> None:
    signed = "event-1~t0123456789abcdef.Zm9vYmFy-signature_part"
    assert parse_short_code(signed) is None
    for typed, words in [
        ("K7M4-PX2Q", "10 characters, not 8"),
        ("K7M4-PX2Q-9C7", "10 characters, not 11"),
        ("K7M0-PX2Q-9C", "has no 0"),
        ("O7MI-PX2Q-9C", "has no I, O"),
    ]:
        with pytest.raises(ShortCodeMistyped, match=words) as raised:
            parse_short_code(typed)
        assert error_status(raised.value) == 422 and isinstance(raised.value, TicketRejected)


async def test_a_taken_short_code_is_drawn_again(
    shop: Shop, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, first = await bought_tickets(shop, unique_id, 1)
    taken = first[0]["short_code"].replace("-", "")
    fresh = new_short_code()
    drawn = iter([taken, fresh])
    monkeypatch.setattr(orders, "new_short_code", lambda: next(drawn, fresh))
    _, second = await bought_tickets(shop, unique_id, 1)
    assert second[0]["short_code"] == format_short_code(fresh)
    owner = await shop.runtime.store.ticket_of_short_code(unique_id, taken)
    assert owner == first[0]["ticket_id"]  # the first ticket keeps its code
