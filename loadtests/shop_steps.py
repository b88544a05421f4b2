"""What an admitted fan does next. The waiting-room journey ends at admission; shop steps plug in
here (``WAITROOM_LOADTEST_SHOP``), so the same fan user drives any shop behind the gate."""

from __future__ import annotations

from typing import Any, Protocol

from loadtests.events import EventLog


class FanClient(Protocol):
    """The parts of a locust HTTP session the shop steps use (FastHttpSession fits)."""

    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


class ShopSteps(Protocol):
    name: str

    def after_admission(self, client: FanClient, admitted: dict[str, Any], log: EventLog) -> None:
        """Run the shop part of one fan's journey, with the status answer that admitted it."""


class NoShop:
    """Stop at admission (the waiting room alone is under test)."""

    name = "none"

    def after_admission(self, client: FanClient, admitted: dict[str, Any], log: EventLog) -> None:
        return None


SHOP_STEPS: dict[str, type[ShopSteps]] = {NoShop.name: NoShop}


def shop_steps(name: str) -> ShopSteps:
    try:
        return SHOP_STEPS[name]()
    except KeyError:
        raise ValueError(f"unknown shop steps {name!r}; known: {sorted(SHOP_STEPS)}") from None
