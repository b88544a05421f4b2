"""``waitroom serve --workers 2`` comes up when its workers take long to start (a host whose
CPU is saturated): uvicorn's supervisor must not kill them for not answering its ping while
they start, or none ever serves.

The workers are slowed for real: a ``sitecustomize`` module on ``PYTHONPATH`` sleeps 7 s at
interpreter start in every process whose parent is the serve command (its workers), before
they can answer the supervisor (uvicorn's default allows 5 s)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from loadtests.servers import worker_pids
from tests.conftest import server_environment
from tests.support.servers import ServerProcess

WORKER_START_DELAY_SECONDS = 7
SLOW_START = f'''
import os, time
try:
    with open(f"/proc/{{os.getppid()}}/cmdline", "rb") as parent:
        if b"waitroom.cli" in parent.read():
            time.sleep({WORKER_START_DELAY_SECONDS})
except OSError:
    pass
'''


@pytest.mark.slow
def test_workers_that_start_slowly_are_not_killed_in_a_loop(
    tmp_path: Path, redis_url: str
) -> None:
    (tmp_path / "sitecustomize.py").write_text(SLOW_START)
    environment = server_environment(redis_url, PYTHONPATH=str(tmp_path))
    server = ServerProcess("", environment, workers=2, serve_app="waitroom")
    started = time.monotonic()
    server.start(timeout_seconds=60)
    try:
        assert time.monotonic() - started >= WORKER_START_DELAY_SECONDS
        assert server.process is not None
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2
        time.sleep(1.0)
        # the same two workers serve: none was killed and replaced while starting
        assert worker_pids(server.process.pid) == workers
        assert httpx.get(f"{server.base_url}/readyz").status_code == 200
    finally:
        server.stop()
