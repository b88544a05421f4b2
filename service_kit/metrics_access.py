"""Who may read ``/metrics``: Prometheus with the metrics bearer token (``WAITROOM_METRICS_TOKEN``).

The exposition names every queue and event and counts every request, so neither app serves it
to anyone else. The token is compared in constant time and failed attempts are throttled per
client address like the admin token's (:mod:`service_kit.throttle`). It is a token of its own,
not the admin token: the scraper (and the file it reads the token from) can do nothing else.
"""

from __future__ import annotations

from starlette.requests import Request

from service_kit.credentials import bearer_token
from service_kit.errors import MetricsTokenRequired
from service_kit.throttle import bearer_accepted, client_address, throttle_of

METRICS_REALM = 'Bearer realm="metrics"'

def require_metrics_token(request: Request, expected: str, trusted_proxy_count: int) -> None:
    """Raises :class:`MetricsTokenRequired` (or TooManyAttempts) unless the request carries
    ``Authorization: Bearer <expected>``."""
    presented = bearer_token(request)
    if presented is None:
        raise MetricsTokenRequired("send the metrics token as a bearer token")
    address = client_address(request, trusted_proxy_count)
    if not bearer_accepted(throttle_of(request, "metrics"), address, presented, expected):
        raise MetricsTokenRequired("metrics token not accepted")
