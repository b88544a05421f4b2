from __future__ import annotations

import base64
import hashlib
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from waitroom.connector import PassClaims, PassCodec, PassExpired, PassInvalid
from waitroom.connector.signing import PASS_SALT
from waitroom.errors import TokenExpired, TokenForeign, TokenInvalid, TokenMalformed, TokenMissing
from waitroom.tokens import POSITION_SALT, PositionClaims, TokenCodec, derive_pass_id

KEYS = ("first-secret-key-0123456789", "second-secret-key-0123456789")


def make_codec(keys: tuple[str, ...] = KEYS) -> TokenCodec:
    return TokenCodec(keys, position_max_age_seconds=3600)


def a_pass(pass_id: str = "p1", expires_in_seconds: int = 600) -> str:
    claims = PassClaims("concert", "h" * 22, pass_id, int(time.time()) + expires_in_seconds)
    return PassCodec(KEYS, 600).issue(claims)


def claims(position: int = 7) -> PositionClaims:
    return PositionClaims("concert", 42, position, "visitor-abcdefghij", int(time.time()))


def test_position_round_trip() -> None:
    codec = make_codec()
    assert codec.verify_position(codec.issue_position(claims()), queue_id="concert") == claims()


def test_token_follows_contract_format() -> None:
    """Any implementation using the documented parameters can read our tokens."""
    codec = make_codec()
    token = codec.issue_position(claims())
    reader = URLSafeTimedSerializer(
        KEYS[-1], salt=POSITION_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )
    payload = reader.loads(token, max_age=60)
    assert payload == {
        "q": "concert",
        "e": 42,
        "p": 7,
        "v": "visitor-abcdefghij",
        "iat": claims().issued_at,
    }


def test_rotation_newest_signs_all_verify() -> None:
    old = make_codec((KEYS[0],))
    rotated = make_codec((KEYS[0], KEYS[1]))
    assert rotated.verify_position(old.issue_position(claims())) == claims()
    only_new = make_codec((KEYS[1],))
    assert only_new.verify_position(rotated.issue_position(claims())) == claims()
    with pytest.raises(TokenInvalid):
        old.verify_position(rotated.issue_position(claims()))


def test_tampered_token_never_gives_a_better_position() -> None:
    codec = make_codec()
    token = codec.issue_position(claims(position=5000))
    _payload, _, rest = token.partition(".")
    forged_payload = (
        base64.urlsafe_b64encode(b'{"q":"concert","e":42,"p":1,"v":"visitor-abcdefghij","iat":1}')
        .rstrip(b"=")
        .decode()
    )
    with pytest.raises(TokenInvalid):
        codec.verify_position(f"{forged_payload}.{rest}")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(TokenInvalid):
        codec.verify_position(flipped)


def test_kinds_do_not_mix() -> None:
    codec = make_codec()
    with pytest.raises(TokenInvalid):
        codec.verify_position(a_pass())
    with pytest.raises(PassInvalid):
        PassCodec(KEYS, 600).verify(codec.issue_position(claims()), "concert")


def test_foreign_queue_and_visitor_rejected() -> None:
    codec = make_codec()
    with pytest.raises(TokenForeign):
        codec.verify_position(codec.issue_position(claims()), queue_id="other")
    with pytest.raises(PassInvalid, match="another queue"):
        PassCodec(KEYS, 600).verify(a_pass(), "other")


def test_expired_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = TokenCodec(KEYS, position_max_age_seconds=60)
    fresh = codec.issue_position(claims())
    real_time = time.time
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() - 3600)
        old = codec.issue_position(claims())
    assert codec.verify_position(fresh) == claims()
    with pytest.raises(TokenExpired):
        codec.verify_position(old)
    with pytest.raises(PassExpired):
        PassCodec(KEYS, 600).verify(a_pass(expires_in_seconds=-6), "concert")


@pytest.mark.parametrize(
    "token",
    ["", "x" * 5000, "not.base64!!.token", "äöü.äöü.äöü", "....", "a.b.c"],
)
def test_malformed_tokens_raise_token_errors(token: str) -> None:
    codec = make_codec()
    with pytest.raises((TokenMissing, TokenMalformed, TokenInvalid)):
        codec.verify_position(token)


def test_payload_of_wrong_shape_is_malformed() -> None:
    codec = make_codec()
    signer = URLSafeTimedSerializer(
        KEYS[-1], salt=POSITION_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )
    weird = signer.dumps(["a", "list"])
    with pytest.raises(TokenMalformed):
        codec.verify_position(weird)
    negative = signer.dumps(
        {"q": "concert", "e": 1, "p": -3, "v": "visitor-abcdefghij", "iat": 1}
    )
    with pytest.raises(TokenMalformed):
        codec.verify_position(negative)


def test_pass_id_is_stable_per_place() -> None:
    assert derive_pass_id("q", 1, 5, "v") == derive_pass_id("q", 1, 5, "v")
    assert derive_pass_id("q", 1, 5, "v") != derive_pass_id("q", 1, 6, "v")
    assert PASS_SALT != POSITION_SALT
