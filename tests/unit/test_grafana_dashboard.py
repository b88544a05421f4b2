"""The Grafana dashboard in deploy/grafana is valid, in sync with its builder, and only uses
waitroom metrics the app really exports."""

from __future__ import annotations

import importlib.util
import json
import re

from prometheus_client import CollectorRegistry

from tests.support.paths import REPOSITORY_ROOT
from waitroom.organizer.metrics import OrganizerMetrics
from waitroom.web.metrics import WaitroomMetrics

GRAFANA_DIRECTORY = REPOSITORY_ROOT / "deploy" / "grafana"


def test_dashboard_json_matches_its_builder_and_known_metrics() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_dashboard", GRAFANA_DIRECTORY / "build_dashboard.py"
    )
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    stored = json.loads((GRAFANA_DIRECTORY / "waitroom-dashboard.json").read_text())
    assert stored == json.loads(json.dumps(builder.build()))
    rows = [panel["title"] for panel in stored["panels"] if panel["type"] == "row"]
    assert rows == [
        "Room",
        "RED per route",
        "Tickets and abuse",
        "USE (saturation of processes and Redis)",
    ]
    registry = CollectorRegistry()
    WaitroomMetrics.create(registry)
    OrganizerMetrics.create(registry)
    exported: set[str] = set()
    for family in registry.collect():
        exported |= {family.name + suffix for suffix in ("", "_total", "_count", "_bucket", "_sum")}
    expressions = [
        target["expr"] for panel in stored["panels"] for target in panel.get("targets", [])
    ]
    used = {name for expr in expressions for name in re.findall(r"\bwaitroom_[a-z_]+", expr)}
    assert used and used <= exported, used - exported
