"""Browser sessions of organizers: a signed, short-lived cookie plus a CSRF token.

The session cookie (``wr_admin``, HttpOnly, SameSite=Strict, Secure over https) carries a signed
payload ``{"sid", "csrf", "who", "fp"}``: ``fp`` is a fingerprint of the admin token, so rotating
``WAITROOM_ADMIN_TOKEN`` ends every session. Unsafe requests made with the session (forms,
the dashboard's fetch calls) must present the CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``), compared in constant time. The login form itself is protected by a
double-submit token in a separate short-lived cookie.

Other token-protected pages (the shop's door scanner) use the same codec with their own
:class:`SessionNames`: different salts and cookies, so one kind of session never opens the other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeTimedSerializer

SESSION_COOKIE = "wr_admin"
LOGIN_COOKIE = "wr_admin_login"
SESSION_SALT = "waitroom.admin-session"
LOGIN_SALT = "waitroom.admin-login"
SESSION_MAX_AGE_SECONDS = 12 * 3600
LOGIN_MAX_AGE_SECONDS = 30 * 60
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
TOKEN_LABEL = "waitroom.admin-token"


@dataclass(frozen=True, slots=True)
class SessionNames:
    """Cookie names and signing salts of one kind of browser session."""

    session_cookie: str = SESSION_COOKIE
    login_cookie: str = LOGIN_COOKIE
    session_salt: str = SESSION_SALT
    login_salt: str = LOGIN_SALT
    token_label: str = TOKEN_LABEL


ADMIN_NAMES = SessionNames()


@dataclass(frozen=True, slots=True)
class AdminSession:
    session_id: str
    csrf_token: str
    who: str


def token_fingerprint(admin_token: str, label: str = TOKEN_LABEL) -> str:
    return hashlib.sha256(f"{label}|".encode() + admin_token.encode()).hexdigest()[:16]


def tokens_equal(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())


class AdminSessionCodec:
    def __init__(
        self, secret_keys: Sequence[str], admin_token: str, names: SessionNames = ADMIN_NAMES
    ) -> None:
        signer = {"digest_method": hashlib.sha256}
        self.names = names
        self._sessions = URLSafeTimedSerializer(
            list(secret_keys), salt=names.session_salt, signer_kwargs=signer
        )
        self._logins = URLSafeTimedSerializer(
            list(secret_keys), salt=names.login_salt, signer_kwargs=signer
        )
        self._fingerprint = token_fingerprint(admin_token, names.token_label)

    def issue(self, who: str) -> tuple[str, AdminSession]:
        session = AdminSession(secrets.token_urlsafe(12), secrets.token_urlsafe(24), who)
        cookie = self._sessions.dumps(
            {
                "sid": session.session_id,
                "csrf": session.csrf_token,
                "who": who,
                "fp": self._fingerprint,
            }
        )
        return str(cookie), session

    def verify(self, cookie: str | None) -> AdminSession | None:
        if not cookie or len(cookie) > 1024:
            return None
        try:
            payload = self._sessions.loads(cookie, max_age=SESSION_MAX_AGE_SECONDS)
        except (BadData, ValueError, TypeError, UnicodeError):
            return None
        if not isinstance(payload, dict) or payload.get("fp") != self._fingerprint:
            return None
        values = (payload.get("sid"), payload.get("csrf"), payload.get("who"))
        if not all(isinstance(value, str) for value in values):
            return None
        return AdminSession(str(values[0]), str(values[1]), str(values[2]))

    def issue_login_token(self) -> tuple[str, str]:
        """(cookie value, form value) of the login form's double-submit token."""
        nonce = secrets.token_urlsafe(24)
        return str(self._logins.dumps(nonce)), nonce

    def verify_login_token(self, cookie: str | None, form_value: str | None) -> bool:
        if not cookie or not form_value or len(cookie) > 512:
            return False
        try:
            nonce = self._logins.loads(cookie, max_age=LOGIN_MAX_AGE_SECONDS)
        except (BadData, ValueError, TypeError, UnicodeError):
            return False
        return isinstance(nonce, str) and tokens_equal(form_value, nonce)
