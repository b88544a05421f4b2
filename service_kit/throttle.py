"""Slows down guessing of the admin token: failed attempts per client address are limited
(the ``limits`` library, moving window, kept in process memory). Once over the limit, every
attempt from that address gets 429 for the rest of the window, right token or not.

- login form: ``LOGIN_FAILURES`` (10 per minute);
- bearer token on the admin API (and the shop's staff API): ``BEARER_FAILURES`` (300 per
  minute; scripts retry, and a generated token has 256 bits, so this only matters for weak
  hand-picked tokens).
Limits are per process: N processes allow N times as many guesses.
The shop's staff login uses the same throttle under its own name (:func:`throttle_of`).
"""

from __future__ import annotations

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request

from service_kit.browser_session import tokens_equal
from service_kit.errors import TooManyAttempts

LOGIN_FAILURES = parse("10/minute")
BEARER_FAILURES = parse("300/minute")


class AdminThrottle:
    def __init__(self, who: str = "admin") -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._who = who

    def check(self, limit: RateLimitItem, address: str) -> None:
        if not self._limiter.test(limit, f"{self._who}-failures", address):
            raise TooManyAttempts(self._who)

    def failed(self, limit: RateLimitItem, address: str) -> None:
        self._limiter.hit(limit, f"{self._who}-failures", address)


def bearer_accepted(throttle: AdminThrottle, address: str, presented: str, expected: str) -> bool:
    """Compares a bearer token in constant time, counting failures per address against
    :data:`BEARER_FAILURES`; raises TooManyAttempts once over the limit (right token or not)."""
    throttle.check(BEARER_FAILURES, address)
    if tokens_equal(presented, expected):
        return True
    throttle.failed(BEARER_FAILURES, address)
    return False


def throttle_of(request: Request, who: str) -> AdminThrottle:
    """The app's throttle of failed ``who`` logins (one per app and name, made on first use)."""
    state = request.app.state
    attribute = f"{who}_throttle"
    throttle: AdminThrottle | None = getattr(state, attribute, None)
    if throttle is None:
        throttle = AdminThrottle(who)
        setattr(state, attribute, throttle)
    return throttle


def admin_throttle(request: Request) -> AdminThrottle:
    return throttle_of(request, "admin")


def client_address(request: Request, trusted_proxy_count: int) -> str:
    """The peer address, or the address the ``trusted_proxy_count`` proxies in front of the app
    saw (``WAITROOM_TRUSTED_PROXY_COUNT``)."""
    proxies = trusted_proxy_count
    forwarded = request.headers.get("x-forwarded-for", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies][:64]
    return request.client.host if request.client else "unknown"
