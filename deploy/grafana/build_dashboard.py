"""Generates waitroom-dashboard.json (Grafana 10+).

Run: python deploy/grafana/build_dashboard.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
QUEUE = 'queue=~"$queue"'
panel_id = 0
layout_y = 0


def _next_id() -> int:
    global panel_id
    panel_id += 1
    return panel_id


def row(title: str) -> dict[str, Any]:
    global layout_y
    layout_y += 1
    return {
        "type": "row",
        "id": _next_id(),
        "title": title,
        "collapsed": False,
        "gridPos": {"h": 1, "w": 24, "x": 0, "y": layout_y - 1},
        "panels": [],
    }


def timeseries(
    title: str,
    targets: list[tuple[str, str]],
    unit: str,
    x: int,
    width: int = 8,
    description: str = "",
) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "id": _next_id(),
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": width, "x": x, "y": layout_y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {
                "refId": chr(65 + index),
                "expr": expr,
                "legendFormat": legend,
                "datasource": DATASOURCE,
            }
            for index, (expr, legend) in enumerate(targets)
        ],
    }


def advance(height: int = 8) -> None:
    global layout_y
    layout_y += height


def build() -> dict[str, Any]:
    global panel_id, layout_y
    panel_id, layout_y = 0, 0
    panels: list[dict[str, Any]] = []
    panels.append(row("Room"))
    panels += [
        timeseries(
            "Queue length",
            [
                (f"waitroom_queue_length{{{QUEUE}}}", "{{queue}}"),
                (f"waitroom_priority_lane_waiting{{{QUEUE}}}", "{{queue}} priority lane"),
            ],
            "short",
            0,
        ),
        timeseries(
            "Admissions per minute: set vs measured",
            [
                (f"waitroom_admission_rate_per_minute{{{QUEUE}}}", "{{queue}} set"),
                (f"waitroom_measured_outflow_per_minute{{{QUEUE}}}", "{{queue}} measured"),
            ],
            "short",
            8,
        ),
        timeseries(
            "Joins and passes per minute",
            [
                (
                    f"sum by (queue) (rate(waitroom_joins_total{{{QUEUE}}}[1m])) * 60",
                    "{{queue}} joins",
                ),
                (
                    f"sum by (queue) (rate(waitroom_passes_issued_total{{{QUEUE}}}[1m])) * 60",
                    "{{queue}} pass answers",
                ),
            ],
            "short",
            16,
        ),
    ]
    advance()
    panels += [
        timeseries(
            "Active shoppers vs cap",
            [
                (f"waitroom_active_shoppers{{{QUEUE}}}", "{{queue}} active"),
                (f"waitroom_active_shopper_cap{{{QUEUE}}} > 0", "{{queue}} cap"),
            ],
            "short",
            0,
            12,
        ),
        timeseries(
            "Abandoned fans (new per minute)",
            [
                (f"deriv(waitroom_abandoned_fans{{{QUEUE}}}[5m]) * 60", "{{queue}}"),
            ],
            "short",
            12,
            12,
        ),
    ]
    advance()
    panels.append(row("RED per route"))
    duration = "waitroom_http_request_duration_seconds"
    panels += [
        timeseries(
            "Rate (requests/s)",
            [
                (f"sum by (route) (rate({duration}_count[1m]))", "{{route}}"),
            ],
            "reqps",
            0,
        ),
        timeseries(
            "Errors (5xx share)",
            [
                (
                    f'sum by (route) (rate({duration}_count{{status=~"5.."}}[5m])) / '
                    f"sum by (route) (rate({duration}_count[5m]))",
                    "{{route}}",
                ),
            ],
            "percentunit",
            8,
        ),
        timeseries(
            "Duration p50 / p95 / p99",
            [
                (
                    f"histogram_quantile(0.5, sum by (le, route) (rate({duration}_bucket[5m])))",
                    "p50 {{route}}",
                ),
                (
                    f"histogram_quantile(0.95, sum by (le, route) (rate({duration}_bucket[5m])))",
                    "p95 {{route}}",
                ),
                (
                    f"histogram_quantile(0.99, sum by (le, route) (rate({duration}_bucket[5m])))",
                    "p99 {{route}}",
                ),
            ],
            "s",
            16,
        ),
    ]
    advance()
    panels.append(row("Tickets and abuse"))
    panels += [
        timeseries(
            "Tickets remaining",
            [
                (f"waitroom_tickets_remaining{{{QUEUE}}}", "{{queue}} {{event}} {{tier}}"),
            ],
            "short",
            0,
        ),
        timeseries(
            "Token rejections per minute",
            [
                ("sum by (reason) (rate(waitroom_token_rejections_total[5m])) * 60", "{{reason}}"),
            ],
            "short",
            8,
        ),
        timeseries(
            "Code redemptions and organizer changes",
            [
                (
                    f"sum by (outcome) (increase(waitroom_code_redemptions_total{{{QUEUE}}}[5m]))",
                    "code {{outcome}}",
                ),
                (
                    f"sum by (action) (increase(waitroom_admin_changes_total{{{QUEUE}}}[5m]))",
                    "change {{action}}",
                ),
            ],
            "short",
            16,
        ),
    ]
    advance()
    panels.append(row("USE (saturation of processes and Redis)"))
    panels += [
        timeseries(
            "CPU (cores)",
            [
                ("sum by (instance) (rate(process_cpu_seconds_total[1m]))", "{{instance}}"),
            ],
            "short",
            0,
            description="Single-worker processes export process_*; with several "
            "workers use node_exporter.",
        ),
        timeseries(
            "Memory",
            [
                ("process_resident_memory_bytes", "{{instance}} RSS"),
                ("redis_memory_used_bytes", "redis {{instance}}"),
            ],
            "bytes",
            8,
        ),
        timeseries(
            "Redis saturation",
            [
                ("redis_connected_clients", "clients {{instance}}"),
                ("rate(redis_commands_processed_total[1m])", "commands/s {{instance}}"),
                ("process_open_fds / process_max_fds", "fd use {{instance}}"),
            ],
            "short",
            16,
            description="redis_* series come from redis_exporter.",
        ),
    ]
    return {
        "title": "waitroom",
        "uid": "waitroom-overview",
        "tags": ["waitroom"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Data source",
                },
                {
                    "name": "queue",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "label": "Queue",
                    "query": {
                        "query": "label_values(waitroom_queue_length, queue)",
                        "refId": "queues",
                    },
                    "definition": "label_values(waitroom_queue_length, queue)",
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".*",
                    "refresh": 2,
                },
            ]
        },
        "panels": panels,
    }


if __name__ == "__main__":
    target = Path(__file__).with_name("waitroom-dashboard.json")
    target.write_text(json.dumps(build(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
