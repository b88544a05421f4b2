"""cookie_value gives exactly what Starlette's cookie_parser gives for one name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import cookie_parser

from waitroom.fan.cookie_lookup import cookie_value

NAME = "wr_pos_demo"
PIECES = st.sampled_from(
    [NAME, "wr_pos_demox", "xwr_pos_demo", "wr_v", "=", ";", " ", "\t", '"', "\\", "abc",
     "eyJx.awRQ.M28O", "=x", "; ", '"v"', '"a\\"b"', "\\054", "", ","]
)  # fmt: skip


@given(st.lists(PIECES, max_size=14).map("".join))
def test_same_answer_as_cookie_parser(header: str) -> None:
    assert cookie_value(header, NAME) == cookie_parser(header).get(NAME)


COOKIE_NAMES = st.sampled_from([NAME, "wr_v", "wr_js", "_ga", NAME + "2"])


@given(
    st.lists(st.tuples(COOKIE_NAMES, st.text(max_size=12)), max_size=6).map(
        lambda pairs: "; ".join(f"{key}={value}" for key, value in pairs)
    )
)
def test_same_answer_for_browser_like_headers(header: str) -> None:
    assert cookie_value(header, NAME) == cookie_parser(header).get(NAME)


def test_typical_headers() -> None:
    token = "eyJxIjoiZGVtbyJ9.awRQrw.M28Oq7bUf7jkTCIPJ9WwnRNw5szk7ujsBkjZJQFOwmM"
    header = f"wr_v=AbCdEfGhIjKlMnOp; {NAME}={token}; wr_js=1; _ga=GA1.1.1"
    assert cookie_value(header, NAME) == token
    assert cookie_value(f"{NAME}={token}", NAME) == token
    assert cookie_value("wr_v=1; wr_js=1", NAME) is None
    assert cookie_value(f"{NAME}=old; {NAME}=new", NAME) == "new"  # as cookie_parser: last wins
    assert cookie_value(f'{NAME}="quoted"', NAME) == "quoted"
