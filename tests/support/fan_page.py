"""The fan's queue page in a real browser, for tests: following its link to the shop.

When the turn comes, the page's script handles it in steps: the link's address, then the sound
(tried, or not), then, when no sound got through, the alert banner, into which the link to the
shop is moved. A test that clicks the link as soon as it shows may click while it moves (the
click lands where the link was, and nothing happens). :func:`go_to_the_shop` waits until the
script has finished with the turn (``data-sound`` set on ``#status``), then clicks.
"""

from __future__ import annotations

from typing import Any

TURN_TIMEOUT_MS = 15_000


def go_to_the_shop(page: Any, timeout_ms: int = TURN_TIMEOUT_MS) -> None:
    """Clicks "Go to the shop" on an admitted fan's page, once the page has settled its turn."""
    page.wait_for_selector("#status[data-sound]", state="attached", timeout=timeout_ms)
    page.locator("#go").click()
