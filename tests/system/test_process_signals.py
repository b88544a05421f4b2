"""Stopping the commands that start child processes, as an init system (SIGTERM) or a terminal's
Ctrl+C (SIGINT to the whole foreground process group) does: every child stops, the command
exits 0 and prints no traceback.

Each command runs as a real process in its own process group; its descendants (the embedded
redis-server, uvicorn workers, cluster nodes, the wrapped command) are read from /proc before
the signal and must all be gone after.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import server_environment
from waitroom.storage.embedded_redis import free_port

STOP_TIMEOUT_SECONDS = 30


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    tree = children_of()
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in tree.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start(command: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def wait_until(predicate: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early: {process.communicate()}")
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("not ready in time")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def stop_and_check(process: subprocess.Popen[bytes], how: str, expected_children: int) -> None:
    children = descendants(process.pid)
    assert len(children) >= expected_children, [command_name(pid) for pid in children]
    if how == "SIGTERM":
        process.send_signal(signal.SIGTERM)
    else:  # Ctrl+C in a terminal: the whole process group
        os.killpg(process.pid, signal.SIGINT)
    try:
        stdout, stderr = process.communicate(timeout=STOP_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(running(pid) for pid in children):
        time.sleep(0.05)
    survivors = [command_name(pid) for pid in children if running(pid)]
    for pid in children:
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    output = (stdout + stderr).decode(errors="replace")
    assert survivors == [], survivors
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "Error" not in output, output


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_demo_stops_its_embedded_redis(how: str) -> None:
    port = free_port()
    environment = {"REDIS_URL": "", "WAITROOM_REDIS_URL": ""}
    process = start(
        [sys.executable, "-m", "waitroom.cli", "demo", "--port", str(port)], environment
    )
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/readyz"), process)
    assert any("redis-server" in command_name(pid) for pid in descendants(process.pid))
    stop_and_check(process, how, expected_children=1)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_serve_with_workers_stops_every_worker(how: str, redis_url: str) -> None:
    port = free_port()
    environment = server_environment(redis_url)
    command = [
        sys.executable, "-m", "waitroom.cli", "serve",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
    ]  # fmt: skip
    process = start(command, environment)
    wait_until(
        lambda: answers(f"http://127.0.0.1:{port}/readyz") and len(descendants(process.pid)) >= 2,
        process,
    )
    stop_and_check(process, how, expected_children=2)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_local_cluster_command_stops_the_command_and_the_nodes(
    how: str, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    wrapped = tmp_path / "wrapped.py"  # a command that stops quietly on Ctrl+C, as pytest does
    wrapped.write_text(
        "import pathlib, sys, time\n"
        "pathlib.Path(sys.argv[1]).write_text('up')\n"
        "try:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    pass\n"
    )
    cluster = [sys.executable, "-m", "waitroom.storage.local_cluster"]
    process = start([*cluster, sys.executable, str(wrapped), str(marker)], {})
    wait_until(marker.exists, process)
    names = [command_name(pid) for pid in descendants(process.pid)]
    assert sum("redis-server" in name for name in names) == 3, names
    stop_and_check(process, how, expected_children=4)
