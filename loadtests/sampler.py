"""Samples one queue's admission state during a run, through the same ``view`` script the
waiting room uses (so every sample carries the exact Redis time its pointer was settled at)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import asdict, dataclass

from waitroom.admission import AdmissionStore


@dataclass(frozen=True, slots=True)
class QueueSample:
    wall_time: float
    redis_ms: int
    serving: int
    tail: int
    prequeue_length: int
    opened: bool
    state: str
    rate_per_minute: int
    burst: int
    opens_at: float

    @property
    def arrivals(self) -> int:
        return self.tail + self.prequeue_length

    @property
    def queue_length(self) -> int:
        return max(0, self.tail - self.serving) + self.prequeue_length

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def take_sample(store: AdmissionStore, queue_id: str) -> QueueSample:
    snapshot = await store.snapshot(queue_id)
    config = snapshot.config
    return QueueSample(
        wall_time=time.time(),
        redis_ms=snapshot.redis_now_ms,
        serving=snapshot.serving,
        tail=snapshot.tail,
        prequeue_length=snapshot.prequeue_length,
        opened=snapshot.opened,
        state=config.state.value,
        rate_per_minute=config.rate_per_minute,
        burst=config.burst,
        opens_at=config.opens_at,
    )


async def sample_until(
    store: AdmissionStore, queue_id: str, interval_seconds: float, stop: asyncio.Event
) -> list[QueueSample]:
    samples: list[QueueSample] = []
    while not stop.is_set():
        samples.append(await take_sample(store, queue_id))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
    samples.append(await take_sample(store, queue_id))
    return samples
