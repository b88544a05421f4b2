"""The pass of an admitted place (queue or code lane): issued once, then closed for good.

The first issuance fixes the pass's expiry (:meth:`SiteSessions.issue`); every later poll gets
the same pass id and deadline. Once the pass expired unused, or its site session ended or ran
out, the place gets no pass again: the answer is ``closed`` with the reason, and the fan may
join the queue again (a new place at the back).
"""

from __future__ import annotations

from dataclasses import dataclass

from waitroom.connector.passes import PASS_QUERY_PARAMETER, PassClaims
from waitroom.connector.signing import visitor_hash
from waitroom.tokens import derive_pass_id
from waitroom.web.runtime import Runtime


@dataclass(frozen=True, slots=True)
class PlacePass:
    token: str | None
    expires_at: int | None
    redirect_url: str | None
    closed_reason: str | None = None
    """Set (and no token) when the place is done: ``purchase_completed``, ``pass_expired`` or
    ``session_ended``."""
    session_deadline: int | None = None
    """While the pass is in use at the site: the session's deadline (unix s)."""
    not_admitted: bool = False
    """The serving pointer in Redis is below the place (a view read before a pause): no pass."""
    skipped: bool = False
    """The pointer passed the place while its fan was away: no pass (``waitroom/queue/away.py``
    tells whether the place is kept)."""


async def place_pass(
    runtime: Runtime,
    queue_id: str,
    epoch: int,
    position: int,
    visitor_id: str,
    redirect_url: str,
    now_seconds: float,
) -> PlacePass:
    pass_id = derive_pass_id(queue_id, epoch, position, visitor_id)
    record = await runtime.sessions.issue(queue_id, pass_id, position, visitor_id, now_seconds)
    if record.state == "not_admitted":
        return PlacePass(None, None, None, not_admitted=True)
    if record.state == "skipped":
        return PlacePass(None, None, None, skipped=True)
    reason = record.closed_reason(now_seconds)
    if reason is not None:
        return PlacePass(None, None, None, reason)
    buyer = visitor_hash(runtime.settings.secret_keys, visitor_id)
    token = runtime.passes.issue(PassClaims(queue_id, buyer, pass_id, record.expires_at))
    runtime.metrics.passes_issued.labels(queue_id).inc()
    in_use = record.deadline if record.state == "active" else None
    redirect = redirect_with_pass(redirect_url, token)
    return PlacePass(token, record.expires_at, redirect, None, in_use)


def redirect_with_pass(redirect_url: str, pass_token: str) -> str:
    """The site's URL with the pass once in the query string (contract section 2): the site
    claims it, sets its own session cookie and redirects to the URL without it. The same for
    a site on another origin and for one mounted beside the queue (the demo's ``/shop/``)."""
    separator = "&" if "?" in redirect_url else "?"
    return f"{redirect_url}{separator}{PASS_QUERY_PARAMETER}={pass_token}"
