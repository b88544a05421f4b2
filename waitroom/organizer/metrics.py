"""Prometheus metrics of the organizer features (one set per registry, created on first use).

Gauges mirror figures kept in Redis, so every process reports the same value; in multiprocess
mode they use ``mostrecent`` so the freshest write wins and a dead worker's old value never
outlives it. Counters are summed across processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge
from redis.exceptions import RedisError

from waitroom.queue.stock import stock_document
from waitroom.queue.view import QueueView
from waitroom.storage.keys import QueueKeys
from waitroom.web.runtime import Runtime

_BY_REGISTRY: dict[int, OrganizerMetrics] = {}


@dataclass(frozen=True)
class OrganizerMetrics:
    admin_changes: Counter
    code_redemptions: Counter
    active_shoppers: Gauge
    active_shopper_cap: Gauge
    abandoned_fans: Gauge
    priority_lane_waiting: Gauge
    tickets_remaining: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> OrganizerMetrics:
        def gauge(name: str, documentation: str, labels: list[str]) -> Gauge:
            return Gauge(
                name, documentation, labels, registry=registry, multiprocess_mode="mostrecent"
            )

        return cls(
            admin_changes=Counter(
                "waitroom_admin_changes_total",
                "Organizer changes recorded in the audit log, by action",
                ["queue", "action"],
                registry=registry,
            ),
            code_redemptions=Counter(
                "waitroom_code_redemptions_total",
                "Priority/invite code redemptions by kind and outcome",
                ["queue", "outcome"],
                registry=registry,
            ),
            active_shoppers=gauge(
                "waitroom_active_shoppers", "Passes in use (active sessions)", ["queue"]
            ),
            active_shopper_cap=gauge(
                "waitroom_active_shopper_cap",
                "Configured cap on active shoppers (0 = none)",
                ["queue"],
            ),
            abandoned_fans=gauge(
                "waitroom_abandoned_fans", "Fans whose page stopped polling (so far)", ["queue"]
            ),
            priority_lane_waiting=gauge(
                "waitroom_priority_lane_waiting", "Fans waiting in the priority lane", ["queue"]
            ),
            tickets_remaining=gauge(
                "waitroom_tickets_remaining",
                "Unsold tickets reported by the site, per event and tier ('all' = the total)",
                ["queue", "event", "tier"],
            ),
        )


def organizer_metrics(runtime: Runtime) -> OrganizerMetrics:
    registry = runtime.metrics.registry
    metrics = _BY_REGISTRY.get(id(registry))
    if metrics is None:
        metrics = OrganizerMetrics.create(registry)
        _BY_REGISTRY[id(registry)] = metrics
    return metrics


async def refresh_organizer_gauges(runtime: Runtime, view: QueueView) -> None:
    """Called by ``/metrics`` for each queue: a handful of Redis reads per scrape."""
    queue_id = view.snapshot.queue_id
    keys = QueueKeys(queue_id)
    pipe = runtime.redis.pipeline(transaction=False)
    pipe.zcount(keys.active_sessions, f"({time.time()}", "+inf")
    pipe.get(keys.abandoned_total)
    pipe.hmget(keys.counters, "priority_tail", "priority_serving")
    pipe.hgetall(keys.stock)
    pipe.hgetall(keys.stock_events)
    pipe.smembers(keys.stock_removed)
    try:
        active, abandoned, lane, totals_raw, events_raw, removed_raw = await pipe.execute()
    except (RedisError, OSError):
        return
    metrics = organizer_metrics(runtime)
    metrics.active_shoppers.labels(queue_id).set(int(active))
    cap = view.snapshot.config.active_shopper_cap
    metrics.active_shopper_cap.labels(queue_id).set(cap)
    metrics.abandoned_fans.labels(queue_id).set(int(abandoned or 0))
    metrics.priority_lane_waiting.labels(queue_id).set(
        max(0, int(lane[0] or 0) - int(lane[1] or 0))
    )
    stock = stock_document(totals_raw, events_raw, removed_raw)
    if stock is None:
        return
    remaining = metrics.tickets_remaining
    for event in stock["events"]:
        event_id = str(event.get("event_id", ""))
        for tier in event.get("tiers", []):
            if isinstance(tier, dict) and isinstance(tier.get("remaining"), int):
                remaining.labels(queue_id, event_id, str(tier.get("tier_id"))).set(
                    tier["remaining"]
                )
        if isinstance(event.get("remaining"), int):
            remaining.labels(queue_id, event_id, "all").set(event["remaining"])
    if stock["remaining_total"] is not None:
        remaining.labels(queue_id, "all", "all").set(stock["remaining_total"])
