"""What the locust processes are told by the surge runner, through environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from loadtests.shapes import SHAPES, SurgeShape


@dataclass(frozen=True)
class RunSettings:
    queue_id: str
    admin_token: str
    shape: SurgeShape
    events_path: str
    shop: str
    requests_path: str = ""
    """Where every request is logged, one JSON line each ('' = not logged)."""
    stop_path: str = ""
    """When this file exists, the run ends (the chaos suite's open-ended shape)."""
    api_client_share: float = 0.0
    """Share of fans that are API clients (an app): they join without opening the queue page."""

    def environment(self, scale: float) -> dict[str, str]:
        return {
            "WAITROOM_LOADTEST_QUEUE": self.queue_id,
            "WAITROOM_LOADTEST_ADMIN_TOKEN": self.admin_token,
            "WAITROOM_LOADTEST_SHAPE": self.shape.name,
            "WAITROOM_LOADTEST_SCALE": repr(scale),
            "WAITROOM_LOADTEST_EVENTS": self.events_path,
            "WAITROOM_LOADTEST_SHOP": self.shop,
            "WAITROOM_LOADTEST_REQUESTS": self.requests_path,
            "WAITROOM_LOADTEST_STOP": self.stop_path,
            "WAITROOM_LOADTEST_API_CLIENTS": repr(self.api_client_share),
        }

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> RunSettings:
        env = os.environ if environ is None else environ
        scale = float(env.get("WAITROOM_LOADTEST_SCALE", "1"))
        return cls(
            queue_id=env.get("WAITROOM_LOADTEST_QUEUE", "surge"),
            admin_token=env.get("WAITROOM_LOADTEST_ADMIN_TOKEN", ""),
            shape=SHAPES[env.get("WAITROOM_LOADTEST_SHAPE", "spike")].scaled(scale),
            events_path=env.get("WAITROOM_LOADTEST_EVENTS", ""),
            shop=env.get("WAITROOM_LOADTEST_SHOP", "none"),
            requests_path=env.get("WAITROOM_LOADTEST_REQUESTS", ""),
            stop_path=env.get("WAITROOM_LOADTEST_STOP", ""),
            api_client_share=float(env.get("WAITROOM_LOADTEST_API_CLIENTS", "0")),
        )
