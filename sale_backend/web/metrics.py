"""Prometheus metrics of one shop app (per-app registry; multiprocess-aware endpoint)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

CHECKOUT_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass(frozen=True)
class ShopMetrics:
    registry: CollectorRegistry
    checkouts: Counter
    tickets_sold: Counter
    tickets_refunded: Counter
    holds_expired: Counter
    scans: Counter
    checkout_duration: Histogram

    @classmethod
    def create(cls) -> ShopMetrics:
        registry = CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            checkouts=Counter(
                "sale_checkouts_total",
                "Checkout answers by outcome (order, sold-out, buyer-limit, payment-declined...)",
                ["outcome"],
                registry=registry,
            ),
            tickets_sold=Counter(
                "sale_tickets_sold_total", "Tickets sold", ["event"], registry=registry
            ),
            tickets_refunded=Counter(
                "sale_tickets_refunded_total", "Tickets refunded", ["event"], registry=registry
            ),
            holds_expired=Counter(
                "sale_holds_expired_total",
                "Holds released by the background sweep after their timer ran out",
                registry=registry,
            ),
            scans=Counter(
                "sale_entry_scans_total", "Entry scans by result", ["result"], registry=registry
            ),
            checkout_duration=Histogram(
                "sale_checkout_duration_seconds",
                "Checkout duration (idempotency claim to answer)",
                buckets=CHECKOUT_BUCKETS_SECONDS,
                registry=registry,
            ),
        )

    def exposition(self) -> tuple[bytes, str]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
