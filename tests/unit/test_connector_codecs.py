"""The connector's codecs: passes (``vh``, no visitor id in clear, clock leeway), site session
cookies, site authentication."""

from __future__ import annotations

import hashlib
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import SECRET_KEYS
from tests.support.future_tokens import future_token
from tests.support.tampering import tampered
from waitroom.connector import (
    PassClaims,
    PassCodec,
    PassExpired,
    PassInvalid,
    SessionExpired,
    SessionInvalid,
    SiteAuth,
    SiteAuthRejected,
    SiteSession,
    SiteSessionCodec,
    visitor_hash,
)
from waitroom.connector.signing import PASS_SALT, SITE_AUTH_SALT, SITE_SESSION_SALT

CODEC = PassCodec(SECRET_KEYS, pass_ttl_seconds=600, clock_leeway_seconds=5)


def claims(queue_id: str = "q1", expires_in_seconds: int = 300) -> PassClaims:
    return PassClaims(queue_id, visitor_hash(SECRET_KEYS, "visitor-1234567890"), "p" * 24,
                      int(time.time()) + expires_in_seconds)


def test_a_pass_round_trips_and_hides_the_visitor_id() -> None:
    issued = claims()
    token = CODEC.issue(issued)
    assert CODEC.verify(token, "q1") == issued
    assert "visitor-1234567890" not in token
    assert len(issued.visitor_hash) == 22
    assert visitor_hash(SECRET_KEYS, "visitor-1234567890") == issued.visitor_hash
    assert visitor_hash(SECRET_KEYS, "visitor-other-0000") != issued.visitor_hash
    # every key verifies: a pass signed with the old key alone is still accepted
    old = PassCodec(SECRET_KEYS[:1], pass_ttl_seconds=600).issue(issued)
    assert CODEC.verify(old, "q1") == issued


def test_foreign_forged_and_expired_passes_are_refused() -> None:
    token = CODEC.issue(claims())
    with pytest.raises(PassInvalid):
        CODEC.verify(token, "another-queue")
    with pytest.raises(PassInvalid):
        CODEC.verify(tampered(token), "q1")
    with pytest.raises(PassInvalid):
        PassCodec(("some-other-secret-key-0123",), 600).verify(token, "q1")
    with pytest.raises(PassExpired):
        CODEC.verify(CODEC.issue(claims(expires_in_seconds=-6)), "q1")
    # within the leeway after exp: still accepted (a site whose clock runs ahead)
    assert CODEC.verify(CODEC.issue(claims(expires_in_seconds=-3)), "q1").pass_id == "p" * 24


def test_a_pass_with_the_visitor_id_in_clear_is_refused() -> None:
    payload = {"q": "q1", "v": "visitor-1234567890", "pid": "p" * 24,
               "exp": int(time.time()) + 300}
    old_format = future_token(SECRET_KEYS, PASS_SALT, payload, 0)
    with pytest.raises(PassInvalid, match="in clear"):
        CODEC.verify(old_format, "q1")
    no_hash = {key: value for key, value in payload.items() if key != "v"}
    with pytest.raises(PassInvalid, match="'vh'"):
        CODEC.verify(future_token(SECRET_KEYS, PASS_SALT, no_hash, 0), "q1")
    both = future_token(SECRET_KEYS, PASS_SALT, {**payload, "vh": "x" * 22}, 0)
    with pytest.raises(PassInvalid, match="in clear"):
        CODEC.verify(both, "q1")


def test_clock_leeway_for_passes_stamped_in_the_future() -> None:
    issued = claims()
    payload = {"q": "q1", "vh": issued.visitor_hash, "pid": issued.pass_id,
               "exp": issued.expires_at}
    assert CODEC.verify(future_token(SECRET_KEYS, PASS_SALT, payload, 3), "q1") == issued
    with pytest.raises(PassExpired):
        CODEC.verify(future_token(SECRET_KEYS, PASS_SALT, payload, 10), "q1")
    strict = PassCodec(SECRET_KEYS, pass_ttl_seconds=600, clock_leeway_seconds=0)
    with pytest.raises(PassExpired):
        strict.verify(future_token(SECRET_KEYS, PASS_SALT, payload, 3), "q1")


def test_site_session_cookie() -> None:
    codec = SiteSessionCodec(SECRET_KEYS, max_age_seconds=3600, clock_leeway_seconds=5)
    session = SiteSession("q1", "p" * 24, "b" * 22, "s" * 32, int(time.time()) + 60)
    cookie = codec.encode(session)
    assert codec.decode(cookie, "q1") == session
    with pytest.raises(SessionInvalid):
        codec.decode(cookie, "q2")
    with pytest.raises(SessionInvalid):
        codec.decode(tampered(cookie), "q1")
    ended = SiteSession("q1", "p" * 24, "b" * 22, "s" * 32, int(time.time()) - 6)
    with pytest.raises(SessionExpired) as raised:
        codec.decode(codec.encode(ended), "q1")
    assert raised.value.extra["session"] == ended
    payload = {"q": "q1", "pid": "p" * 24, "vh": "b" * 22, "sid": "s" * 32,
               "dl": session.deadline}
    assert codec.decode(future_token(SECRET_KEYS, SITE_SESSION_SALT, payload, 3), "q1")
    with pytest.raises(SessionExpired):
        codec.decode(future_token(SECRET_KEYS, SITE_SESSION_SALT, payload, 10), "q1")


def test_site_auth() -> None:
    auth = SiteAuth(SECRET_KEYS)
    header = auth.header("q1")
    auth.verify(header, "q1")
    assert auth.header("q1") == header  # reused within 30 s
    auth.verify(auth.header("q1", now_seconds=time.time() + 31), "q1")
    for bad in (None, "", "Bearer x", header + "x", "Site " + "a" * 2000):
        with pytest.raises(SiteAuthRejected):
            auth.verify(bad, "q1")
    with pytest.raises(SiteAuthRejected, match="another queue"):
        auth.verify(header, "q2")
    stale = future_token(SECRET_KEYS, SITE_AUTH_SALT, {"q": "q1"}, -70)
    with pytest.raises(SiteAuthRejected, match="expired"):
        auth.verify(f"Site {stale}", "q1")


def test_passes_cookies_and_site_tokens_are_plain_itsdangerous_tokens_both_ways() -> None:
    """The connector writes its tokens itself (waitroom/connector/token_format.py): a site in
    another language reads them with itsdangerous' ``URLSafeTimedSerializer`` and the
    contract's parameters, and what that serializer writes verifies here."""
    plain = {
        salt: URLSafeTimedSerializer(
            list(SECRET_KEYS), salt=salt, signer_kwargs={"digest_method": hashlib.sha256}
        )
        for salt in (PASS_SALT, SITE_SESSION_SALT, SITE_AUTH_SALT)
    }
    issued = claims()
    payload = plain[PASS_SALT].loads(CODEC.issue(issued), max_age=600)
    assert payload == {"q": "q1", "vh": issued.visitor_hash, "pid": "p" * 24,
                       "exp": issued.expires_at}
    assert CODEC.verify(plain[PASS_SALT].dumps(payload), "q1") == issued
    header = SiteAuth(SECRET_KEYS).header("q1")
    assert plain[SITE_AUTH_SALT].loads(header.split(" ", 1)[1], max_age=60) == {"q": "q1"}
    SiteAuth(SECRET_KEYS).verify("Site " + plain[SITE_AUTH_SALT].dumps({"q": "q1"}), "q1")
    with pytest.raises(PassInvalid):  # signed for another salt: not a pass
        CODEC.verify(plain[SITE_SESSION_SALT].dumps(payload), "q1")
