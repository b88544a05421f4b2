"""What every shop-steps class shares: the parts of a locust session they use, and how a shop
answer is judged (expected refusals are not failures)."""

from __future__ import annotations

from http.cookiejar import CookieJar
from typing import Any, Protocol

from loadtests.events import EventLog

TEST_CARD = "4242424242424242"
EXPECTED_REFUSALS = ("sold-out", "buyer-limit", "hold-expired", "session-ended")
"""``session-ended`` (410): a purchase ends the fan's shop session, so a greedy second attempt
with the same pass is refused before it reaches the buyer limit."""


class FanClient(Protocol):
    """The parts of a locust HTTP session the shop steps use (FastHttpSession fits)."""

    cookiejar: CookieJar

    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


class ShopSteps(Protocol):
    name: str

    def after_admission(self, client: FanClient, admitted: dict[str, Any], log: EventLog) -> None:
        """Run the shop part of one fan's journey, with the status answer that admitted it."""


def problem_type(response: Any) -> str:
    """The last part of a problem JSON body's ``type`` (``sold-out``), '' for other bodies."""
    try:
        type_uri = str(response.json().get("type", ""))
    except (ValueError, AttributeError, TypeError):  # no body, not JSON, not an object
        return ""
    return type_uri.rsplit("/", 1)[-1]


def shop_answer(response: Any, expected: tuple[int, ...]) -> dict[str, Any] | None:
    """The JSON body when expected; shop refusals a surge provokes are not failures."""
    if response.status_code in expected:
        response.success()
        body: dict[str, Any] = response.json()
        return body
    refusal = problem_type(response)
    if response.status_code in {409, 410} and refusal.endswith(EXPECTED_REFUSALS):
        response.success()
        return None
    kind = "server error" if response.status_code >= 500 else "unexpected answer"
    response.failure(f"{kind}: HTTP {response.status_code} {refusal}".rstrip())
    return None
