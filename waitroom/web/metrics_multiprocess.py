"""Prometheus multiprocess mode for ``waitroom serve --workers N``.

prometheus-client picks its value storage when it is imported, from ``PROMETHEUS_MULTIPROC_DIR``;
uvicorn spawns fresh worker interpreters, so setting the variable before they start is enough.
Each worker writes its samples to files in that directory and ``/metrics`` (whichever worker
answers) merges them: counters and histograms are summed, gauges take the most recent value.
The directory must be empty at start, or old counts would be added to the new ones.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

ENVIRONMENT_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_directory(
    workers: int, environ: MutableMapping[str, str] | None = None
) -> Path | None:
    """Create (or empty) the directory and export it; returns None for a single worker
    without a configured directory (plain in-process metrics)."""
    env = os.environ if environ is None else environ
    configured = env.get(ENVIRONMENT_VARIABLE, "")
    if not configured:
        if workers <= 1:
            return None
        configured = tempfile.mkdtemp(prefix="waitroom-prometheus-")
        env[ENVIRONMENT_VARIABLE] = configured
    directory = Path(configured)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return directory
