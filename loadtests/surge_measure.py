"""While locust runs: sample the queue (and the shop's stock); after it: read what to check."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from loadtests.sales import StockSample, sample_stock_until
from loadtests.sampler import QueueSample, sample_until
from service_kit.redis_client import redis_from_url
from waitroom.admission import AdmissionStore
from waitroom.storage.keys import QueueKeys


@dataclass
class Measured:
    locust_exit_code: int
    samples: list[QueueSample]
    positions: list[int]
    stock: list[StockSample] = field(default_factory=list)
    buyer_counters: list[int] = field(default_factory=list)


async def measure(
    redis_url: str,
    command: list[str],
    environment: dict[str, str],
    queue_id: str,
    interval_seconds: float,
    quiet: bool,
    buyers_key: str | None = None,
) -> Measured:
    """Run the locust command to its end, sampling all along; ``buyers_key``: the shop's
    per-buyer counter hash to read afterwards (None without a shop)."""
    redis = redis_from_url(redis_url)
    try:
        stop = asyncio.Event()
        queue_sampling = asyncio.create_task(
            sample_until(AdmissionStore(redis, default_burst=10), queue_id, interval_seconds, stop)
        )
        stock_sampling = (
            asyncio.create_task(sample_stock_until(redis, queue_id, interval_seconds, stop))
            if buyers_key
            else None
        )
        process = await asyncio.create_subprocess_exec(
            *command,
            env=environment,
            stdout=asyncio.subprocess.DEVNULL if quiet else None,
            stderr=asyncio.subprocess.DEVNULL if quiet else None,
        )
        exit_code = await process.wait()
        stop.set()
        measured = Measured(
            exit_code,
            await queue_sampling,
            [int(value) for value in await redis.hvals(QueueKeys(queue_id).visitors)],
        )
        if stock_sampling is not None and buyers_key is not None:
            measured.stock = await stock_sampling
            measured.buyer_counters = [int(value) for value in await redis.hvals(buyers_key)]
    finally:
        await redis.aclose()
    return measured
