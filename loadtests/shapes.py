"""Surge shapes as data: arrivals over time, organizer actions, and queue settings.

A shape is a list of stages ``(until_seconds, fans, arrivals_per_second)``: until the stage's end
the number of fans who have arrived grows towards ``fans`` at ``arrivals_per_second``. Fans never
leave the run (a fan who finished shopping idles), so the user count is the arrival count.
``scale`` multiplies fans and arrival rates, so one shape serves the smoke test and a real surge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Stage:
    until_seconds: float
    fans: int
    arrivals_per_second: float


@dataclass(frozen=True)
class OrganizerAction:
    at_seconds: float
    fields: dict[str, Any]
    label: str


@dataclass(frozen=True)
class SurgeShape:
    name: str
    description: str
    stages: tuple[Stage, ...]
    rate_per_minute: int
    opens_in_seconds: float = 0.0
    """> 0: the queue opens this long after the start (fans before it are in the pre-queue)."""
    actions: tuple[OrganizerAction, ...] = field(default=())

    @property
    def duration_seconds(self) -> float:
        return self.stages[-1].until_seconds

    def scaled(self, scale: float) -> SurgeShape:
        stages = tuple(
            Stage(stage.until_seconds, max(1, round(stage.fans * scale)),
                  max(0.1, stage.arrivals_per_second * scale))
            for stage in self.stages
        )
        actions = tuple(
            OrganizerAction(
                action.at_seconds,
                {
                    name: (max(1, round(value * scale)) if name == "rate_per_minute" else value)
                    for name, value in action.fields.items()
                },
                action.label,
            )
            for action in self.actions
        )
        return SurgeShape(
            self.name, self.description, stages, max(1, round(self.rate_per_minute * scale)),
            self.opens_in_seconds, actions,
        )

    def target_at(self, run_seconds: float) -> tuple[int, float] | None:
        """(fans that should have arrived by now, arrivals per second), None after the end."""
        for stage in self.stages:
            if run_seconds < stage.until_seconds:
                return stage.fans, stage.arrivals_per_second
        return None


SHAPES: dict[str, SurgeShape] = {
    shape.name: shape
    for shape in (
        SurgeShape(
            name="spike",
            description="on-sale spike: 90% of fans arrive in the first minute, then a trickle",
            stages=(Stage(60, 900, 15.0), Stage(180, 1000, 1.0)),
            rate_per_minute=300,
            actions=(
                OrganizerAction(45, {"rate_per_minute": 600}, "rate x2"),
                OrganizerAction(90, {"state": "paused", "pause_reason": "load test"}, "pause"),
                OrganizerAction(105, {"state": "open"}, "resume"),
            ),
        ),
        SurgeShape(
            name="steady",
            description="a steady stream of arrivals, admitted a little faster than they come",
            stages=(Stage(180, 900, 5.0),),
            rate_per_minute=360,
            actions=(OrganizerAction(90, {"rate_per_minute": 240}, "rate down"),),
        ),
        SurgeShape(
            name="prequeue",
            description="fans gather before the opening, then the pre-queue is shuffled and served",
            stages=(Stage(30, 600, 20.0), Stage(150, 700, 1.0)),
            rate_per_minute=400,
            opens_in_seconds=30,
        ),
        SurgeShape(
            name="chaos",
            description="a steady stream of fans for as long as the chaos suite injects faults "
            "(it ends the run; python -m loadtests.chaos)",
            stages=(Stage(6 * 3600, 6 * 3600 * 4, 4.0),),
            rate_per_minute=180,
        ),
        SurgeShape(
            name="smoke",
            description="seconds-long spike with a pre-queue and every organizer action (tests)",
            stages=(Stage(6, 30, 10.0), Stage(16, 40, 2.0)),
            rate_per_minute=240,
            opens_in_seconds=2,
            actions=(
                OrganizerAction(5, {"rate_per_minute": 360}, "rate up"),
                OrganizerAction(8, {"state": "paused", "pause_reason": "smoke"}, "pause"),
                OrganizerAction(10, {"state": "open"}, "resume"),
            ),
        ),
    )
}
