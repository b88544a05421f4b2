"""The system a chaos run attacks, as it is deployed: real processes only.

- the queue store: one ``redis-server`` (AOF, ``appendfsync everysec`` by default, as
  docs/operations.md recommends) or a local Redis Cluster of three masters with one replica each;
- the sale store: one ``redis-server`` with AOF ``appendfsync always`` (docs/sale_backend.md);
- the waiting room: ``waitroom serve --workers 2`` on 127.0.0.1;
- the shop: ``waitroom serve --app shop --workers 2`` on 127.0.0.2 ("another host").
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from loadtests.chaos_event import CHAOS_EVENT_ID, chaos_event
from loadtests.servers import ServeProcess
from waitroom.storage.embedded_redis import EmbeddedRedis, free_port
from waitroom.storage.local_cluster import LocalRedisCluster

WAITROOM_HOST = "127.0.0.1"
SHOP_HOST = "127.0.0.2"
STARTUP_TIMEOUT_SECONDS = 90.0
"""Four worker processes importing at once on a busy 2-core machine take a while."""


@dataclass(frozen=True)
class ChaosSettings:
    """The knobs of one chaos run (``python -m loadtests.chaos --help`` names them)."""

    fans_per_second: float = 4.0
    rate_per_minute: int = 180
    burst: int = 10
    workers: int = 2
    poll_min_ms: int = 500
    poll_max_ms: int = 1500
    limited_capacity: int = 40
    queue_appendfsync: str = "everysec"
    cluster_node_timeout_ms: int = 1000
    retry_after_seconds: int = 1
    reconcile_after_seconds: float = 5.0
    body_read_timeout_seconds: float = 15.0
    """How long the apps wait for a request body (408 after it; the bad-input catalogue
    shortens it so that incomplete bodies get their answer within its wait)."""


@dataclass
class ChaosSystem:
    settings: ChaosSettings
    queue_url: str
    sale_redis: EmbeddedRedis
    waitroom: ServeProcess
    shop: ServeProcess
    queue_id: str
    admin_token: str
    staff_token: str
    secret_keys: tuple[str, ...]
    queue_redis: EmbeddedRedis | None = None
    cluster: LocalRedisCluster | None = None
    opened_at: float = 0.0
    """Unix seconds just before the queue was created (admissions count from here)."""

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def open_queue_and_sale(self) -> None:
        """The queue (open, the run's rate) and the event it fronts, through the public APIs."""
        fields = {
            "name": "chaos", "state": "open", "rate_per_minute": self.settings.rate_per_minute,
            "burst": self.settings.burst, "redirect_url": f"{self.shop.base_url}/",
            "event_id": CHAOS_EVENT_ID,
            # abandonment off: every place the pointer passes is an admission (exact bound)
            "abandon_after_seconds": 0,
        }
        self.opened_at = time.time()
        response = httpx.put(
            f"{self.waitroom.base_url}/api/v1/admin/queues/{self.queue_id}",
            json=fields, headers=self.admin_headers, timeout=10,
        )
        response.raise_for_status()
        response = httpx.put(
            f"{self.shop.base_url}/api/v1/staff/events/{CHAOS_EVENT_ID}",
            json=chaos_event(self.queue_id, self.settings.limited_capacity),
            headers={"Authorization": f"Bearer {self.staff_token}"}, timeout=10,
        )
        response.raise_for_status()


def _fresh(directory: Path) -> Path:
    """An empty data directory (a reused ``--output`` must not bring back an earlier run)."""
    shutil.rmtree(directory, ignore_errors=True)
    return directory


def _queue_redis(root: Path, appendfsync: str) -> EmbeddedRedis:
    return EmbeddedRedis(
        data_dir=_fresh(root / "queue-redis"),
        extra_args=("--appendonly", "yes", "--appendfsync", appendfsync),
    )


@contextlib.contextmanager
def chaos_system(settings: ChaosSettings, root: Path, cluster: bool) -> Iterator[ChaosSystem]:
    """Start everything (queue store standalone or cluster), open the queue; stop it all after."""
    admin_token = secrets.token_urlsafe(24)
    staff_token = secrets.token_urlsafe(24)
    queue_id = "chaos" + secrets.token_hex(3)
    secret_keys = (secrets.token_urlsafe(32),)
    with contextlib.ExitStack() as stack:
        queue_redis: EmbeddedRedis | None = None
        local_cluster: LocalRedisCluster | None = None
        if cluster:
            local_cluster = stack.enter_context(
                LocalRedisCluster(
                    masters=3, replicas_per_master=1,
                    node_timeout_ms=settings.cluster_node_timeout_ms,
                )
            )
            queue_url = local_cluster.seed_url
        else:
            queue_redis = stack.enter_context(_queue_redis(root, settings.queue_appendfsync))
            queue_url = queue_redis.url
        sale_redis = stack.enter_context(
            EmbeddedRedis(data_dir=_fresh(root / "sale-redis"), appendfsync_always=True)
        )
        environment = {
            "REDIS_URL": queue_url,
            "WAITROOM_ADMIN_TOKEN": admin_token,
            "WAITROOM_METRICS_TOKEN": secrets.token_urlsafe(24),
            "WAITROOM_SECRET_KEYS": ",".join(secret_keys),
            "WAITROOM_POLL_INTERVAL_MIN_MS": str(settings.poll_min_ms),
            "WAITROOM_POLL_INTERVAL_MAX_MS": str(settings.poll_max_ms),
            "WAITROOM_REDIS_RETRY_AFTER_SECONDS": str(settings.retry_after_seconds),
            "WAITROOM_SALE_REDIS_URL": sale_redis.url,
            "WAITROOM_SHOP_QUEUE_ID": queue_id,
            "WAITROOM_STAFF_TOKEN": staff_token,
            "WAITROOM_SALE_RECONCILE_AFTER_SECONDS": str(settings.reconcile_after_seconds),
            "WAITROOM_BODY_READ_TIMEOUT_SECONDS": str(settings.body_read_timeout_seconds),
        }
        waitroom = ServeProcess(
            "waitroom", "/readyz", environment, workers=settings.workers,
            host=WAITROOM_HOST, port=free_port(), app="waitroom",
        )
        shop_environment = {
            **environment,
            "WAITROOM_SHOP_QUEUE_URL": f"{waitroom.base_url}/q/{queue_id}",
        }
        shop = ServeProcess(
            "shop", "/readyz", shop_environment, workers=settings.workers,
            host=SHOP_HOST, port=free_port(), app="shop",
        )
        for server in (waitroom, shop):  # both start at once, then each is waited for
            stack.callback(server.stop)
            server.launch()
        for server in (waitroom, shop):
            server.wait_until_ready(STARTUP_TIMEOUT_SECONDS)
        system = ChaosSystem(
            settings, queue_url, sale_redis, waitroom, shop, queue_id, admin_token, staff_token,
            secret_keys, queue_redis=queue_redis, cluster=local_cluster,
        )
        system.open_queue_and_sale()
        yield system
