"""Start the system under test: an embedded Redis and uvicorn processes with identical settings."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from waitroom.storage.embedded_redis import free_port

WAITROOM_FACTORY = "waitroom.web.app:create_app_from_environ"
BARE_FACTORY = "loadtests.bare_app:create_bare_app"

UVICORN_FLAGS: tuple[str, ...] = (
    "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    "--backlog", "4096",
    # as `waitroom serve` (waitroom/cli.py): workers slow to start on a busy machine are not
    # killed in a loop
    "--timeout-worker-healthcheck", "30",
)
"""The one set of server settings every benchmarked app runs with."""


CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    return raw[raw.rindex(")") + 2 :].split()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def child_pids(parent_pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == parent_pid:
                children.append(int(entry.name))
    return children


def worker_pids(supervisor_pid: int) -> list[int]:
    """The worker processes a uvicorn supervisor runs (not its resource tracker), sorted."""
    return sorted(
        pid for pid in child_pids(supervisor_pid) if b"multiprocessing.spawn" in _cmdline(pid)
    )


def process_cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # fields after the name: state(0) ppid(1) ... utime(11) stime(12)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_SECOND


def waitroom_environment(redis_url: str, admin_token: str, **extra: str) -> dict[str, str]:
    """Environment of a waiting-room process; all workers share the same generated keys."""
    return {
        "REDIS_URL": redis_url,
        "WAITROOM_ADMIN_TOKEN": admin_token,
        "WAITROOM_SECRET_KEYS": secrets.token_urlsafe(32),
        **extra,
    }


@dataclass
class UvicornProcess:
    """One ``uvicorn --factory`` process (with ``workers`` worker processes) on a loopback port."""

    factory: str
    ready_path: str
    environment: Mapping[str, str] = field(default_factory=dict)
    workers: int = 2
    port: int = 0
    extra_flags: Sequence[str] = ()
    working_directory: Path | None = None
    """Where the server runs (``python -m`` imports from there first)."""
    host: str = "127.0.0.1"
    """A loopback address: 127.0.0.2 puts a second app on "another host" of the same machine."""
    python: str = sys.executable
    """The interpreter (another checkout's ``.venv`` to serve an older commit as it was)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        return [
            self.python, "-m", "uvicorn", self.factory, "--factory",
            "--host", self.host, "--port", str(self.port),
            "--workers", str(self.workers), *UVICORN_FLAGS, *self.extra_flags,
        ]

    def start(self, timeout_seconds: float = 30.0) -> UvicornProcess:
        return self.launch().wait_until_ready(timeout_seconds)

    def launch(self) -> UvicornProcess:
        """Start the process without waiting (start several, then wait for each)."""
        if self.port == 0:
            self.port = free_port()
        self.process = subprocess.Popen(
            self.command(), env={**os.environ, **self.environment}, cwd=self.working_directory
        )
        return self

    def wait_until_ready(self, timeout_seconds: float = 30.0) -> UvicornProcess:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout_seconds
        ready_in_a_row = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.factory} exited with {self.process.returncode}")
            try:
                ok = httpx.get(self.base_url + self.ready_path, timeout=0.5).status_code == 200
            except httpx.HTTPError:
                ok = False
            # with several workers, a few answers in a row make it likely all of them are up
            ready_in_a_row = ready_in_a_row + 1 if ok else 0
            if ready_in_a_row >= 3 * self.workers:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.factory} did not become ready on port {self.port}")

    def stop(self) -> None:
        if self.process is None:
            return
        workers = child_pids(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        # a worker still shutting down when its supervisor was killed must not outlive the run
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the server and every process it started (a crash of the whole service, or
        of its host); ``start()`` brings it back on the same port."""
        if self.process is None:
            return
        children = child_pids(self.process.pid)
        self.process.kill()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def worker_pids(self) -> list[int]:
        """The worker processes uvicorn's supervisor runs (not its resource tracker)."""
        if self.process is None:
            return []
        return worker_pids(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes."""
        if self.process is None:
            return 0.0
        pids = [self.process.pid, *child_pids(self.process.pid)]
        return sum(process_cpu_seconds(pid) for pid in pids)

    def __enter__(self) -> UvicornProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass
class ServeProcess(UvicornProcess):
    """``waitroom serve [--app shop] --workers N``: the production command, not bare uvicorn
    (``extra_flags`` are its flags, e.g. ``--shared-socket``)."""

    app: str = "waitroom"

    def command(self) -> list[str]:
        return [
            self.python, "-m", "waitroom.cli", "serve", "--app", self.app,
            "--host", self.host, "--port", str(self.port), "--workers", str(self.workers),
            *self.extra_flags,
        ]  # fmt: skip
