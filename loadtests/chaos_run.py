"""One chaos scenario from start to end: locust fans (the surge machinery) against the running
system, a baseline, then the faults one after another, each followed by a settle period; a
sampler reads the queue all along and an organizer resumes the queue after a state-loss alert,
as docs/operations.md tells organizers to. Afterwards the stores are read for the checks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from redis.exceptions import RedisError

from loadtests.chaos_event import CHAOS_EVENT_ID
from loadtests.chaos_faults import Fault
from loadtests.chaos_system import ChaosSystem
from loadtests.run_settings import RunSettings
from loadtests.sampler import QueueSample, take_sample
from loadtests.shapes import SHAPES
from loadtests.surge import locust_command
from sale_backend.storage.keys import EventKeys
from sale_backend.storage.scripts import decode
from service_kit.errors import ServiceError
from service_kit.redis_client import redis_from_url
from waitroom.admission import AdmissionStore
from waitroom.storage.keys import QueueKeys

CHAOS_SHAPE = SHAPES["chaos"]
FIRST_REQUEST_TIMEOUT_SECONDS = 60.0
LOCUST_EXIT_TIMEOUT_SECONDS = 60.0
WATCH_INTERVAL_SECONDS = 0.5
STORE_ERRORS = (RedisError, OSError, ServiceError)
API_CLIENT_SHARE = 0.25
"""A quarter of the fans are apps: they join through the API without the queue page."""


@dataclass(frozen=True)
class Timing:
    baseline_seconds: float = 10.0
    """Load without faults before the first one (must see no errors)."""
    down_seconds: float = 10.0
    """How long a killed Redis stays down before it is restarted."""
    settle_seconds: float = 20.0
    """Load after a fault ended, before the next one: errors must stop within it."""


@dataclass(frozen=True)
class Window:
    """The part of the run that belongs to one fault (or the baseline)."""

    name: str
    started: float
    ended: float
    """The fault's end (the baseline: its end)."""
    settled: float
    """The end of the observation window (the next fault starts here)."""
    notes: tuple[str, ...] = ()
    allowed_errors_after: int = 0
    """Errors allowed after the end: one per process of the apps that use the killed store."""
    probes: tuple[int, ...] = ()


@dataclass
class ScenarioRecord:
    """What one scenario measured, for the checks and the report."""

    scenario: str
    settings: dict[str, Any]
    output: Path
    windows: list[Window] = field(default_factory=list)
    samples: list[QueueSample] = field(default_factory=list)
    organizer: list[dict[str, Any]] = field(default_factory=list)
    queue_created: float = 0.0
    locust_exit_code: int = 0
    visitor_positions: list[int] = field(default_factory=list)
    stock: dict[str, int] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)


async def _sample(system: ChaosSystem, stop: asyncio.Event, into: list[QueueSample]) -> None:
    """The queue's pointer and tail on Redis time, every 0.5 s; reads that fail are skipped."""
    redis = redis_from_url(system.queue_url)
    store = AdmissionStore(redis, default_burst=system.settings.burst)
    try:
        while not stop.is_set():
            with contextlib.suppress(*STORE_ERRORS):
                into.append(await take_sample(store, system.queue_id))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WATCH_INTERVAL_SECONDS)
    finally:
        await redis.aclose()


async def _organizer(system: ChaosSystem, stop: asyncio.Event, into: list[dict[str, Any]]) -> None:
    """Resume the queue when it paused itself after a state loss (the organizer's check)."""
    url = f"{system.waitroom.base_url}/api/v1/admin/queues/{system.queue_id}"
    async with httpx.AsyncClient(headers=system.admin_headers, timeout=5) as client:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError, ValueError):
                response = await client.get(url)
                alerts = response.json().get("alerts", []) if response.status_code == 200 else []
                if any(alert.get("kind") == "state_lost" for alert in alerts):
                    seen = time.time()
                    resumed = await client.put(url, json={"state": "open"})
                    into.append({
                        "t": seen, "alerts": alerts, "action": "resume",
                        "status": resumed.status_code,
                    })
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WATCH_INTERVAL_SECONDS)


def _has_content(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


async def _first_request(path: Path, locust: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + FIRST_REQUEST_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if await asyncio.to_thread(_has_content, path):
            return
        if locust.returncode is not None:
            raise RuntimeError(f"locust exited with {locust.returncode} before any request")
        await asyncio.sleep(0.1)
    raise RuntimeError("locust sent no request in time")


async def _read_stores(system: ChaosSystem, record: ScenarioRecord) -> None:
    queue_redis = redis_from_url(system.queue_url)
    sale_redis = redis_from_url(system.sale_redis.url)
    try:
        record.visitor_positions = [
            int(value) for value in await queue_redis.hvals(QueueKeys(system.queue_id).visitors)
        ]
        keys = EventKeys(CHAOS_EVENT_ID)
        stock = await sale_redis.hgetall(keys.stock)
        record.stock = {decode(name): int(value) for name, value in stock.items()}
        record.orders = {
            decode(order_id): _json_object(raw)
            for order_id, raw in (await sale_redis.hgetall(keys.orders)).items()
        }
    finally:
        await queue_redis.aclose()
        await sale_redis.aclose()
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(
            f"{system.shop.base_url}/api/v1/staff/events/{CHAOS_EVENT_ID}",
            headers={"Authorization": f"Bearer {system.staff_token}"},
        )
    response.raise_for_status()
    record.event = response.json()


def _json_object(raw: bytes | str) -> dict[str, Any]:
    value = orjson.loads(raw)
    return value if isinstance(value, dict) else {}


async def run_scenario(
    system: ChaosSystem,
    scenario: str,
    faults: list[Fault],
    timing: Timing,
    output: Path,
    quiet: bool,
) -> ScenarioRecord:
    requests_path, stop_path = output / "requests.jsonl", output / "stop"
    run = RunSettings(
        system.queue_id, system.admin_token, CHAOS_SHAPE, str(output / "events.jsonl"),
        "remote-sale", str(requests_path), str(stop_path), api_client_share=API_CLIENT_SHARE,
    )
    scale = system.settings.fans_per_second / CHAOS_SHAPE.stages[0].arrivals_per_second
    record = ScenarioRecord(scenario, {}, output, queue_created=system.opened_at)
    stop = asyncio.Event()
    sampling = asyncio.create_task(_sample(system, stop, record.samples))
    organizing = asyncio.create_task(_organizer(system, stop, record.organizer))
    locust = await asyncio.create_subprocess_exec(
        *locust_command(system.waitroom.base_url, output, quiet),
        env={**os.environ, **run.environment(scale)},
        stdout=asyncio.subprocess.DEVNULL if quiet else None,
        stderr=asyncio.subprocess.DEVNULL if quiet else sys.stderr,
    )
    try:
        await _first_request(requests_path, locust)
        started = time.time()
        await asyncio.sleep(timing.baseline_seconds)
        record.windows.append(Window("baseline", started, time.time(), time.time()))
        for fault in faults:
            times = await fault.action(system, timing.down_seconds)
            await asyncio.sleep(timing.settle_seconds)
            record.windows.append(Window(
                fault.name, times.injected, times.ended, time.time(), tuple(times.notes),
                system.settings.workers * len(fault.store_users), tuple(times.probes),
            ))
        stop_path.touch()
        record.locust_exit_code = await asyncio.wait_for(
            locust.wait(), LOCUST_EXIT_TIMEOUT_SECONDS
        )
    finally:
        if locust.returncode is None:
            locust.terminate()
            await locust.wait()
        stop.set()
        await asyncio.gather(sampling, organizing)
    await _read_stores(system, record)
    return record
