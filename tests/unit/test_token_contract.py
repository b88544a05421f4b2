"""Position tokens keep the contract: plain itsdangerous reads ours, and we read its.

The codec (waitroom/tokens.py) writes and reads the contract's format itself
(waitroom/connector/token_format.py); these tests hold it to a plain
``URLSafeTimedSerializer`` with the contract's parameters, both ways, with key rotation,
compression, ``max_age`` and the leeway, and check that nothing itsdangerous refuses is
accepted. Passes, site-session cookies and site tokens go through the same format (the
connector, waitroom/connector/signing.py).
"""

from __future__ import annotations

import hashlib
import string
import time
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import (
    BadData,
    BadSignature,
    Signer,
    TimestampSigner,
    URLSafeTimedSerializer,
    base64_encode,
)

from tests.support.future_tokens import future_token
from waitroom.errors import (
    TokenError,
    TokenExpired,
    TokenForeign,
    TokenInvalid,
    TokenMalformed,
)
from waitroom.tokens import POSITION_SALT, PositionClaims, TokenCodec

OLD_KEY = "old-secret-key-0123456789abcdef"
NEW_KEY = "new-secret-key-0123456789abcdef"
VISITOR = "visitor-0000000000000000000000"  # repetitive: plain itsdangerous compresses it
SIGNED_AT = 1_800_000_000


def plain(keys: list[str], salt: str = POSITION_SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(keys, salt=salt, signer_kwargs={"digest_method": hashlib.sha256})


class _FixedClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return SIGNED_AT


def plain_at_fixed_time(keys: list[str]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        keys,
        salt=POSITION_SALT,
        signer=_FixedClockSigner,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def claims(position: int = 7, visitor_id: str = "visitor-abcdefghijkl") -> PositionClaims:
    return PositionClaims("q1", 3, position, visitor_id, int(time.time()))


def payload_of(claims: PositionClaims) -> dict[str, Any]:
    return {
        "q": claims.queue_id,
        "e": claims.epoch,
        "p": claims.position,
        "v": claims.visitor_id,
        "iat": claims.issued_at,
    }


identifiers = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)
counts = st.integers(min_value=0, max_value=2**53)


@given(queue_id=identifiers, epoch=counts, position=counts, visitor_id=identifiers)
def test_our_tokens_are_plain_itsdangerous_tokens_and_theirs_are_ours(
    queue_id: str, epoch: int, position: int, visitor_id: str
) -> None:
    place = PositionClaims(queue_id, epoch, position, visitor_id, SIGNED_AT)
    ours = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    token = ours.issue_position(place)
    # itsdangerous reads ours, with the newest key alone or the whole rotation list
    for keys in ([NEW_KEY], [OLD_KEY, NEW_KEY]):
        assert plain(keys).loads(token, max_age=3600) == payload_of(place)
    theirs = plain_at_fixed_time([NEW_KEY]).dumps(payload_of(place))
    if not theirs.startswith("."):
        # where itsdangerous does not compress, the payload part is the very same string
        assert theirs.rpartition(".")[0].rpartition(".")[0] == token.split(".")[0]
    # and we read theirs, compressed or not, signed by either key
    for key in (OLD_KEY, NEW_KEY):
        assert ours.verify_position(plain([key]).dumps(payload_of(place))) == place


@settings(max_examples=300)
@given(
    position=counts,
    index=st.integers(min_value=0),
    replacement=st.sampled_from(string.ascii_letters + string.digits + "-_.=!~ "),
    cut=st.booleans(),
)
def test_nothing_itsdangerous_refuses_is_accepted(
    position: int, index: int, replacement: str, cut: bool
) -> None:
    """Change or cut any character of a genuine token: whenever we still accept it,
    itsdangerous accepts it too, with the same claims."""
    codec = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    token = codec.issue_position(claims(position))
    where = index % len(token)
    changed = token[:where] if cut else token[:where] + replacement + token[where + 1 :]
    try:
        ours: PositionClaims | None = codec.verify_position(changed)
    except TokenError:
        ours = None
    try:
        theirs: Any = plain([OLD_KEY, NEW_KEY]).loads(changed, max_age=3600 + 5)
    except BadData:
        theirs = None
    if ours is not None:
        assert theirs == payload_of(ours)


def test_tokens_are_byte_identical_to_plain_itsdangerous() -> None:
    codec = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    place = claims()
    token = codec.issue_position(place)
    for _ in range(3):  # same claims in the same second (retried across a second boundary)
        if plain([NEW_KEY]).dumps(payload_of(place)) == codec.issue_position(place):
            break
    else:
        pytest.fail("a plain URLSafeTimedSerializer signs the same claims differently")
    assert plain([NEW_KEY]).loads(token, max_age=3600) == payload_of(place)


def test_issued_tokens_skip_compression_and_compressed_ones_are_read() -> None:
    codec = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    place = claims(visitor_id=VISITOR)
    token = codec.issue_position(place)
    assert not token.startswith(".")  # no zlib step, although zlib would be shorter here
    assert plain([NEW_KEY]).dumps(payload_of(place)).startswith(".")
    assert plain([NEW_KEY]).loads(token, max_age=3600) == payload_of(place)
    with pytest.raises(BadSignature):
        plain([OLD_KEY]).loads(token, max_age=3600)
    for key in (OLD_KEY, NEW_KEY):
        compressed = plain([key]).dumps(payload_of(place))
        assert compressed.startswith(".")
        assert codec.verify_position(compressed, queue_id="q1") == place


def test_rotation_salts_and_foreign_keys() -> None:
    codec = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    payload = payload_of(claims(9))
    for key in (OLD_KEY, NEW_KEY):
        assert codec.verify_position(plain([key]).dumps(payload)).position == 9
    with pytest.raises(TokenInvalid):
        codec.verify_position(plain([NEW_KEY], "waitroom.pass").dumps(payload))
    with pytest.raises(TokenInvalid):
        codec.verify_position(plain(["another-key-0123456789abcdef"]).dumps(payload))
    with pytest.raises(TokenForeign):
        codec.verify_position(plain([NEW_KEY]).dumps(payload), queue_id="q2")
    with pytest.raises(TokenInvalid):  # a retired key no longer verifies
        TokenCodec([NEW_KEY], 3600).verify_position(plain([OLD_KEY]).dumps(payload))


def test_tampering_and_odd_payloads_get_itsdangerous_answers() -> None:
    codec = TokenCodec([NEW_KEY], 3600)
    token = plain([NEW_KEY]).dumps(payload_of(claims(visitor_id=VISITOR)))
    body, _, signature = token.rpartition(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(TokenInvalid):
        codec.verify_position(f"{body}.{flipped}")
    with pytest.raises(TokenInvalid):
        codec.verify_position("no-separator-at-all")
    with pytest.raises(TokenInvalid):
        codec.verify_position(token.replace(".", "", 1) if token.startswith(".") else "a" + token)
    signer = plain([NEW_KEY]).make_signer()
    # a signed payload that is not JSON: itsdangerous calls it bad data
    with pytest.raises(TokenInvalid):
        codec.verify_position(signer.sign(base64_encode(b"not json")).decode())
    # a signed payload that claims compression but is not zlib
    with pytest.raises(TokenInvalid):
        codec.verify_position(signer.sign(b"." + base64_encode(b"plain bytes")).decode())
    # genuine signatures over a value without a timestamp, or with one too long to be one
    untimed = Signer(NEW_KEY, salt=POSITION_SALT, digest_method=hashlib.sha256)
    payload = base64_encode(b'{"q":"q1"}')
    for value in (payload, payload + b"." + base64_encode(b"\x01" * 9)):
        with pytest.raises(TokenInvalid):
            codec.verify_position(untimed.sign(value).decode())
        with pytest.raises(BadData):
            plain([NEW_KEY]).loads(untimed.sign(value).decode(), max_age=3600)
    # valid zlib of a JSON list: read, then refused as not an object
    a_list = signer.sign(b"." + base64_encode(zlib.compress(b"[1,2]"))).decode()
    with pytest.raises(TokenMalformed):
        codec.verify_position(a_list)


def test_age_limits_and_the_clock_leeway(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = TokenCodec([NEW_KEY], 60, clock_leeway_seconds=0)
    issued_at = time.time()
    token = plain([NEW_KEY]).dumps(payload_of(claims(5)))
    monkeypatch.setattr(time, "time", lambda: issued_at + 60)
    assert codec.verify_position(token).position == 5  # age == max_age still passes
    monkeypatch.setattr(time, "time", lambda: issued_at + 62)
    with pytest.raises(TokenExpired):
        codec.verify_position(token)
    monkeypatch.setattr(time, "time", lambda: issued_at - 5)  # signed "in the future"
    with pytest.raises(TokenExpired):
        codec.verify_position(token)
    monkeypatch.undo()
    # with a leeway: a signing clock up to the leeway ahead, and the leeway past max_age
    lenient = TokenCodec([NEW_KEY], 60, clock_leeway_seconds=5)
    ahead = future_token([NEW_KEY], POSITION_SALT, payload_of(claims(6)), 4)
    assert lenient.verify_position(ahead).position == 6
    with pytest.raises(TokenExpired):
        lenient.verify_position(future_token([NEW_KEY], POSITION_SALT, payload_of(claims()), 30))
    monkeypatch.setattr(time, "time", lambda: issued_at + 64)
    assert lenient.verify_position(token).position == 5
