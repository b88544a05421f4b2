"""Test helpers: run an ASGI app factory under a real uvicorn process on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from waitroom.storage.embedded_redis import free_port, stop_process

START_TIMEOUT_SECONDS = 60.0
"""How long a server may take to answer ``/readyz``: on a 2-core machine running two test
workers (each with browsers, servers and Redis) a start-up of a few workers takes a while."""


@dataclass
class ServerProcess:
    """``factory`` under plain uvicorn; with ``serve_app`` ("waitroom" or "shop") the production
    command ``waitroom serve --app <serve_app>`` instead (its protocol and limits)."""

    factory: str
    environment: Mapping[str, str]
    port: int = 0
    workers: int = 1
    host: str = "127.0.0.1"
    """127.0.0.2 is loopback too: a second host for cross-origin journeys."""
    serve_app: str | None = None
    serve_flags: tuple[str, ...] = ()
    """More flags of ``waitroom serve`` (``--shared-socket``)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        if self.serve_app is not None:
            return [
                sys.executable, "-m", "waitroom.cli", "serve", "--app", self.serve_app,
                "--host", self.host, "--port", str(self.port), "--workers", str(self.workers),
                *self.serve_flags,
            ]  # fmt: skip
        return [
            sys.executable,
            "-m",
            "uvicorn",
            self.factory,
            "--factory",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--no-access-log",
            # as `waitroom serve` (waitroom/cli.py): workers slow to start on a busy machine
            "--timeout-worker-healthcheck",
            "30",
        ]

    def start(
        self, timeout_seconds: float = START_TIMEOUT_SECONDS, ready_path: str = "/readyz"
    ) -> ServerProcess:
        if self.port == 0:
            self.port = free_port()
        environment = {**os.environ, **self.environment}
        self.process = subprocess.Popen(self.command(), env=environment)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.factory} exited with {self.process.returncode}")
            try:
                response = httpx.get(f"{self.base_url}{ready_path}", timeout=0.5)
                if response.status_code == 200 or (
                    ready_path != "/readyz" and response.status_code < 500
                ):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.factory} did not become ready on port {self.port}")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
