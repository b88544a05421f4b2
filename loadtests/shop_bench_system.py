"""The deployed topology of the shop benchmarks, on one machine: the queue's Redis and the sale
Redis (AOF ``appendfsync always``, the durability sale data runs with) as two embedded
instances, the waiting room on 127.0.0.1 and the shop on 127.0.0.2 (another "host"), each under
uvicorn with the benchmark settings of :mod:`loadtests.servers` (``server="uvicorn"``) or under
the production command ``waitroom serve`` (``server="waitroom-serve"``, with ``serve_flags`` such
as ``--shared-socket``). Buyers get real passes (signed with the system's keys, claimed at the
waiting room on first use).

``source`` serves both apps from another checkout (and its ``.venv`` when it has one), so a
before/after comparison runs the very same benchmark against an older commit.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from loadtests.redis_commandstats import commandstats, useful_work
from loadtests.servers import WAITROOM_FACTORY, ServeProcess, UvicornProcess
from waitroom.connector import PassClaims, PassCodec, visitor_hash
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.tokens import new_visitor_id

SHOP_FACTORY = "sale_backend.web.app:create_app_from_environ"
QUEUE_ID = "bench"
SHOP_HOST = "127.0.0.2"
WAITROOM_HOST = "127.0.0.1"
PASS_TTL_SECONDS = 900
SERVERS = ("uvicorn", "waitroom-serve")
"""How the apps are served: bare ``uvicorn --factory`` or the production ``waitroom serve``."""


@dataclass
class Usage:
    """CPU seconds and Redis commands at one moment; subtract two to get a run's share."""

    shop_cpu_seconds: float
    waitroom_cpu_seconds: float
    sale_redis_cpu_seconds: float
    queue_redis_cpu_seconds: float
    sale_commands: Counter[str]
    queue_commands: Counter[str]


def redis_cpu_seconds(url: str) -> float:
    client = redis.Redis.from_url(url)
    try:
        info = client.info("cpu")
    finally:
        client.close()
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


@dataclass
class ShopBenchSystem:
    workers: int = 2
    source: Path | None = None
    """Another checkout to serve the apps from (``None``: this one)."""
    server: str = "uvicorn"
    """One of :data:`SERVERS`."""
    serve_flags: tuple[str, ...] = ()
    """More flags of ``waitroom serve`` (``server="waitroom-serve"`` only)."""
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    staff_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    shop_environment: dict[str, str] = field(default_factory=dict)
    queue_redis: EmbeddedRedis = field(default_factory=EmbeddedRedis)
    sale_redis: EmbeddedRedis = field(
        default_factory=lambda: EmbeddedRedis(appendfsync_always=True)
    )
    waitroom: UvicornProcess | None = None
    shop: UvicornProcess | None = None

    def _python(self) -> str:
        if self.source is not None and (self.source / ".venv/bin/python").exists():
            return str(self.source / ".venv/bin/python")
        return sys.executable

    def _process(
        self, app: str, factory: str, host: str, environment: dict[str, str]
    ) -> UvicornProcess:
        if self.server not in SERVERS:
            raise ValueError(f"server must be one of {SERVERS}, not {self.server!r}")
        if self.server == "waitroom-serve":
            return ServeProcess(
                factory, "/readyz", environment=environment, workers=self.workers, host=host,
                working_directory=self.source, python=self._python(),
                extra_flags=self.serve_flags, app=app,
            )  # fmt: skip
        return UvicornProcess(
            factory, "/readyz", environment=environment, workers=self.workers, host=host,
            working_directory=self.source, python=self._python(),
        )  # fmt: skip

    def start(self) -> ShopBenchSystem:
        self.queue_redis.start()
        self.sale_redis.start()
        common = {
            "WAITROOM_SECRET_KEYS": self.secret_key,
            "WAITROOM_ADMIN_TOKEN": self.admin_token,
            "WAITROOM_STAFF_TOKEN": self.staff_token,
            "WAITROOM_SHOP_QUEUE_ID": QUEUE_ID,
            "WAITROOM_PASS_TTL_SECONDS": str(PASS_TTL_SECONDS),
        }
        self.waitroom = self._process(
            "waitroom", WAITROOM_FACTORY, WAITROOM_HOST,
            {**common, "REDIS_URL": self.queue_redis.url},
        )  # fmt: skip
        self.waitroom.launch()
        self.shop = self._process(
            "shop",
            SHOP_FACTORY,
            SHOP_HOST,
            {
                **common,
                "REDIS_URL": self.sale_redis.url,
                "WAITROOM_SHOP_QUEUE_URL": f"http://{WAITROOM_HOST}:{self.waitroom.port}/q/bench",
                **self.shop_environment,
            },
        )
        self.shop.launch()
        self.waitroom.wait_until_ready()
        self.shop.wait_until_ready()
        response = httpx.put(
            f"{self.waitroom.base_url}/api/v1/admin/queues/{QUEUE_ID}",
            json={"rate_per_minute": 60, "state": "open"},
            headers={"authorization": f"Bearer {self.admin_token}"},
            timeout=10,
        )
        response.raise_for_status()
        return self

    def stop(self) -> None:
        for process in (self.shop, self.waitroom):
            if process is not None:
                process.stop()
        self.sale_redis.stop()
        self.queue_redis.stop()

    def define_event(self, event_id: str, definition: dict[str, Any]) -> None:
        assert self.shop is not None
        response = httpx.put(
            f"{self.shop.base_url}/api/v1/staff/events/{event_id}",
            json={"queue_id": QUEUE_ID, **definition},
            headers={"authorization": f"Bearer {self.staff_token}"},
            timeout=10,
        )
        response.raise_for_status()

    def staff_get(self, path: str) -> Any:
        """A staff API read (a shop still working off a backlog may take a while)."""
        assert self.shop is not None
        response = httpx.get(
            f"{self.shop.base_url}{path}",
            headers={"authorization": f"Bearer {self.staff_token}"},
            timeout=120,
        )
        response.raise_for_status()
        return response.json()

    def passes(self, count: int) -> list[str]:
        """``count`` passes of distinct fans (a new visitor each)."""
        codec = PassCodec([self.secret_key], pass_ttl_seconds=PASS_TTL_SECONDS)
        expires_at = int(time.time()) + PASS_TTL_SECONDS
        return [
            codec.issue(
                PassClaims(
                    QUEUE_ID,
                    visitor_hash([self.secret_key], new_visitor_id()),
                    secrets.token_hex(12),
                    expires_at,
                )
            )
            for _ in range(count)
        ]

    def usage(self) -> Usage:
        assert self.shop is not None and self.waitroom is not None
        return Usage(
            shop_cpu_seconds=self.shop.cpu_seconds(),
            waitroom_cpu_seconds=self.waitroom.cpu_seconds(),
            sale_redis_cpu_seconds=redis_cpu_seconds(self.sale_redis.url),
            queue_redis_cpu_seconds=redis_cpu_seconds(self.queue_redis.url),
            sale_commands=commandstats([self.sale_redis.url]),
            queue_commands=commandstats([self.queue_redis.url]),
        )


def usage_per_request(before: Usage, after: Usage, requests: int) -> dict[str, Any]:
    """What one request cost on average: CPU in µs of each process, Redis commands."""

    def per(value: float) -> float:
        return round(value / max(1, requests) * 1e6, 1)

    sale = useful_work(after.sale_commands - before.sale_commands)
    queue = useful_work(after.queue_commands - before.queue_commands)
    return {
        "shop_cpu_us": per(after.shop_cpu_seconds - before.shop_cpu_seconds),
        "waitroom_cpu_us": per(after.waitroom_cpu_seconds - before.waitroom_cpu_seconds),
        "sale_redis_cpu_us": per(after.sale_redis_cpu_seconds - before.sale_redis_cpu_seconds),
        "queue_redis_cpu_us": per(after.queue_redis_cpu_seconds - before.queue_redis_cpu_seconds),
        "sale_redis_commands": {
            name: round(calls / max(1, requests), 2) for name, calls in sale.most_common()
        },
        "queue_redis_commands": {
            name: round(calls / max(1, requests), 2) for name, calls in queue.most_common()
        },
    }


@contextlib.contextmanager
def running_system(**options: Any) -> Iterator[ShopBenchSystem]:
    system = ShopBenchSystem(**options)
    try:
        yield system.start()
    finally:
        system.stop()
