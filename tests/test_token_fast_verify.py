"""The common-case token loader agrees with plain itsdangerous, and hands every odd case back."""

from __future__ import annotations

import hashlib
import hmac
import time
import zlib

import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

from waitroom.errors import TokenExpired, TokenInvalid, TokenMalformed
from waitroom.token_fast_verify import PaddedHmac
from waitroom.tokens import POSITION_SALT, PositionClaims, TokenCodec

OLD_KEY = "old-secret-key-0123456789abcdef"
NEW_KEY = "new-secret-key-0123456789abcdef"
VISITOR = "visitor-0000000000000000000000"  # repetitive: plain itsdangerous compresses it


def plain(keys: list[str]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        keys, salt=POSITION_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def payload(position: int = 5) -> dict[str, object]:
    return {"q": "q1", "e": 2, "p": position, "v": VISITOR, "iat": int(time.time())}


def test_issued_tokens_are_uncompressed_and_plain_itsdangerous_reads_them() -> None:
    codec = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    token = codec.issue_position(PositionClaims("q1", 2, 5, VISITOR, int(time.time())))
    assert not token.startswith(".")  # no zlib step, although zlib would be shorter here
    assert plain([NEW_KEY]).dumps(payload()).startswith(".")
    assert plain([NEW_KEY]).loads(token, max_age=3600) == payload()
    assert plain([OLD_KEY, NEW_KEY]).loads(token, max_age=3600) == payload()
    with pytest.raises(BadSignature):
        plain([OLD_KEY]).loads(token, max_age=3600)


def test_compressed_tokens_of_either_key_are_read() -> None:
    codec = TokenCodec([OLD_KEY, NEW_KEY], 3600)
    for key in (OLD_KEY, NEW_KEY):
        token = plain([key]).dumps(payload(9))
        assert token.startswith(".")
        claims = codec.verify_position(token, queue_id="q1")
        assert (claims.position, claims.visitor_id, claims.epoch) == (9, VISITOR, 2)


def test_tampering_and_odd_encodings_get_itsdangerous_answers() -> None:
    codec = TokenCodec([NEW_KEY], 3600)
    token = plain([NEW_KEY]).dumps(payload())
    body, _, signature = token.rpartition(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(TokenInvalid):
        codec.verify_position(f"{body}.{flipped}")
    with pytest.raises(TokenInvalid):
        codec.verify_position("no-separator-at-all")
    with pytest.raises(TokenInvalid):
        codec.verify_position(token.replace(".", "", 1) if token.startswith(".") else "a" + token)
    # a signed payload that is not JSON: itsdangerous calls it bad data
    signer = plain([NEW_KEY]).make_signer()
    not_json = signer.sign(base64_encode(b"not json")).decode()
    with pytest.raises(TokenInvalid):
        codec.verify_position(not_json)
    # a signed payload that claims compression but is not zlib
    bad_zlib = signer.sign(b"." + base64_encode(b"plain bytes")).decode()
    with pytest.raises(TokenInvalid):
        codec.verify_position(bad_zlib)
    # valid zlib of a JSON list: loads, then rejected as not an object
    a_list = signer.sign(b"." + base64_encode(zlib.compress(b"[1,2]"))).decode()
    with pytest.raises(TokenMalformed):
        codec.verify_position(a_list)


def test_age_limits_match_timestamp_signer(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = TokenCodec([NEW_KEY], 60, clock_leeway_seconds=0)
    issued_at = time.time()
    token = plain([NEW_KEY]).dumps(payload())
    monkeypatch.setattr(time, "time", lambda: issued_at + 60)
    assert codec.verify_position(token).position == 5  # age == max_age still passes
    monkeypatch.setattr(time, "time", lambda: issued_at + 62)
    with pytest.raises(TokenExpired):
        codec.verify_position(token)
    monkeypatch.setattr(time, "time", lambda: issued_at - 5)  # signed "in the future"
    with pytest.raises(TokenExpired):
        codec.verify_position(token)


@pytest.mark.parametrize("key_length", [0, 1, 32, 63, 64, 65, 200])
def test_padded_hmac_is_the_standard_hmac(key_length: int) -> None:
    """Keys shorter than, as long as and longer than the hash block (64 bytes)."""
    key = bytes(index % 251 for index in range(key_length))
    for digest_method, name in ((hashlib.sha256, "sha256"), (hashlib.sha1, "sha1")):
        keyed = PaddedHmac(key, digest_method)
        for message in (b"", b"x", b"eyJxIjoicTEifQ.awRQrw", bytes(range(256)) * 3):
            assert keyed.digest(message) == hmac.digest(key, message, name)
            # the hash states made once are copied, never consumed
            assert keyed.digest(message) == hmac.digest(key, message, name)
