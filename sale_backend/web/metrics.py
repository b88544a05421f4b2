"""Prometheus metrics of one shop app (per-app registry) and ``/metrics`` (multiprocess-aware,
with the metrics bearer token only: :mod:`service_kit.metrics_access`)."""

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
from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import ServiceError
from service_kit.metrics_access import METRICS_REALM, require_metrics_token
from service_kit.problem_responses import error_response

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


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the shop's Prometheus text for the metrics token."""
    runtime = request.app.state.shop
    settings = runtime.settings
    try:
        require_metrics_token(request, settings.metrics_token, settings.trusted_proxy_count)
    except ServiceError as error:
        return error_response(error, {"WWW-Authenticate": METRICS_REALM})
    metrics: ShopMetrics = runtime.metrics
    payload, content_type = metrics.exposition()
    return Response(payload, media_type=content_type, headers={"cache-control": "no-store"})
