"""Property-based tests of the token codecs (hypothesis): position tokens and passes, including
secret key rotation."""

from __future__ import annotations

import itertools
import string
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waitroom.connector import ConnectorError, PassClaims, PassCodec, PassExpired, PassInvalid
from waitroom.connector.signing import visitor_hash
from waitroom.errors import TokenError
from waitroom.tokens import PositionClaims, TokenCodec

KEY_OLD = "rotation-key-old-0123456789abcdef"
KEY_NEW = "rotation-key-new-0123456789abcdef"
KEY_NEWER = "rotation-key-newer-0123456789abcd"

identifiers = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)
counts = st.integers(min_value=0, max_value=2**53)


def codec(*keys: str) -> TokenCodec:
    return TokenCodec(list(keys), position_max_age_seconds=3600)


def passes(*keys: str) -> PassCodec:
    return PassCodec(list(keys), pass_ttl_seconds=600)


def pass_of(keys: tuple[str, ...], visitor_id: str, pass_id: str, expires_at: int = 0) -> str:
    """A pass as the waiting room issues it: the visitor as its keyed hash ``vh``."""
    expiry = expires_at or int(time.time()) + 600
    claims = PassClaims("queue", visitor_hash(keys, visitor_id), pass_id, expiry)
    return passes(*keys).issue(claims)


@given(queue_id=identifiers, epoch=counts, position=counts, visitor_id=identifiers)
def test_position_tokens_round_trip(
    queue_id: str, epoch: int, position: int, visitor_id: str
) -> None:
    claims = PositionClaims(queue_id, epoch, position, visitor_id, issued_at=1_700_000_000)
    subject = codec(KEY_NEW)
    token = subject.issue_position(claims)
    assert token.isascii() and len(token) < 1024
    # issued_at is not checked by the codec; max_age applies to the signature time
    assert subject.verify_position(token, queue_id=queue_id) == claims


@settings(max_examples=60)
@given(token=st.text(max_size=1500))
def test_any_text_is_rejected_with_a_token_error_only(token: str) -> None:
    subject = codec(KEY_NEW)
    with pytest.raises(TokenError):
        subject.verify_position(token)
    with pytest.raises(ConnectorError):
        passes(KEY_NEW).verify(token, "queue")


@given(visitor_id=identifiers, index=st.integers(min_value=0), replacement=st.characters())
def test_any_changed_character_breaks_a_pass(visitor_id: str, index: int, replacement: str) -> None:
    token = pass_of((KEY_NEW,), visitor_id, "pass-1")
    position = index % len(token)
    tampered = token[:position] + replacement + token[position + 1 :]
    if tampered == token:
        return
    with pytest.raises(ConnectorError):
        passes(KEY_NEW).verify(tampered, "queue")


@given(owner=identifiers, other=identifiers)
def test_a_pass_names_its_buyer_without_the_visitor_id(owner: str, other: str) -> None:
    token = pass_of((KEY_NEW,), owner, "pass-1")
    claims = passes(KEY_NEW).verify(token, "queue")
    assert claims.visitor_hash == visitor_hash((KEY_NEW,), owner)
    assert len(claims.visitor_hash) == 22
    if other != owner:
        assert claims.visitor_hash != visitor_hash((KEY_NEW,), other)
    with pytest.raises(PassInvalid):
        passes(KEY_NEW).verify(token, "another-queue")


ROTATION_PHASES = [
    (KEY_OLD,),  # before
    (KEY_NEW, KEY_OLD),  # 1. publish: the new key verifies everywhere, the old one signs
    (KEY_OLD, KEY_NEW),  # 2. switch: the new key (last) signs, the old one still verifies
    (KEY_NEW,),  # 3. retire the old key once its tokens have expired
]


@settings(max_examples=25)
@given(visitor_id=identifiers, position=counts)
def test_key_rotation_logs_nobody_out(visitor_id: str, position: int) -> None:
    """During a rolling deploy two neighbouring phases run side by side: each must accept what
    the other signs, so no fan loses a place or a pass while keys rotate."""
    claims = PositionClaims("queue", 1, position, visitor_id, 1)
    for first, second in itertools.pairwise(ROTATION_PHASES):
        for signing, verifying in ((first, second), (second, first)):
            token = codec(*signing).issue_position(claims)
            assert codec(*verifying).verify_position(token) == claims
            pass_token = pass_of(signing, visitor_id, "p")
            assert passes(*verifying).verify(pass_token, "queue").pass_id == "p"
    # a token signed with the old key is refused after the old key is retired
    with pytest.raises(TokenError):
        codec(KEY_NEW).verify_position(codec(KEY_NEW, KEY_OLD).issue_position(claims))


def test_expired_pass_is_refused() -> None:
    expires_at = int(time.time()) + 600
    token = pass_of((KEY_NEW,), "visitor", "p", expires_at)
    with pytest.raises(PassExpired):
        passes(KEY_NEW).verify(token, "queue", now_seconds=expires_at + 5)  # the leeway, 5 s
