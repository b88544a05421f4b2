"""Cached signer state keeps the token contract: plain itsdangerous reads ours, and back."""

from __future__ import annotations

import hashlib
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from waitroom.errors import TokenExpired, TokenForeign, TokenInvalid
from waitroom.tokens import POSITION_SALT, PositionClaims, TokenCodec

OLD_KEY = "old-secret-key-0123456789abcdef"
NEW_KEY = "new-secret-key-0123456789abcdef"


def plain(keys: list[str], salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(keys, salt=salt, signer_kwargs={"digest_method": hashlib.sha256})


def claims(position: int = 7) -> PositionClaims:
    return PositionClaims("q1", 3, position, "visitor-abcdefghijkl", int(time.time()))


def test_tokens_are_byte_identical_to_plain_itsdangerous() -> None:
    codec = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    token = codec.issue_position(claims())
    payload = plain([NEW_KEY], POSITION_SALT).loads(token, max_age=3600)
    expected = {"q": "q1", "e": 3, "p": 7, "v": "visitor-abcdefghijkl", "iat": claims().issued_at}
    assert payload == expected
    # same payload, same second: the plain serializer produces the very same string
    assert plain([NEW_KEY], POSITION_SALT).dumps(payload) == codec.issue_position(claims())


def test_rotation_many_calls_and_both_salts() -> None:
    codec = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    payload = {"q": "q1", "e": 3, "p": 9, "v": "visitor-abcdefghijkl", "iat": int(time.time())}
    from_old_key = plain([OLD_KEY], POSITION_SALT).dumps(payload)
    from_new_key = plain([NEW_KEY], POSITION_SALT).dumps(payload)
    for _ in range(3):  # cached signer state is reused across calls
        assert codec.verify_position(from_old_key).position == 9
        assert codec.verify_position(from_new_key).position == 9
    with pytest.raises(TokenInvalid):
        codec.verify_position(plain([NEW_KEY], "waitroom.pass").dumps(payload))
    with pytest.raises(TokenInvalid):
        codec.verify_position(plain(["another-key-0123456789abcdef"], POSITION_SALT).dumps(payload))
    with pytest.raises(TokenForeign):
        codec.verify_position(from_new_key, queue_id="q2")


def test_max_age_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = TokenCodec([NEW_KEY], 60, clock_leeway_seconds=0)
    signer = plain([NEW_KEY], POSITION_SALT)
    token = signer.dumps({"q": "q1", "e": 0, "p": 1, "v": "visitor-abcdefghijkl", "iat": 0})
    assert codec.verify_position(token).position == 1
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(TokenExpired):
        codec.verify_position(token)
