"""``deploy/nginx/waitroom.conf`` in a real nginx for tests: the shipped file rendered with test
addresses (:func:`render`) and an nginx started on it (:func:`running_nginx`: configuration
written, ``nginx -t``, ready on ``/healthz``, stopped afterwards).

The file is used as shipped, except what a test machine cannot have: the upstream addresses
become the test servers, ``listen 443 ssl`` / ``http2`` / certificates become plain listeners
on loopback ports, the port-80 redirect server is dropped, the head/body timeouts are shortened
from 10 s to 1 s so tests stay fast, and the frame micro-cache lives in a directory of the run's
own (so parallel test processes never share one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.paths import REPOSITORY_ROOT
from waitroom.storage.embedded_redis import free_port, stop_process

CONFIG = REPOSITORY_ROOT / "deploy" / "nginx" / "waitroom.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
FRAMES_CACHE = "/var/cache/nginx/waitroom_frames"
"""The frame micro-cache's directory in the shipped file."""
READY_TIMEOUT_SECONDS = 30.0
"""How long nginx may take to answer ``/healthz`` on a busy machine."""


def nginx_installed() -> bool:
    return Path(NGINX).exists()


@dataclass(frozen=True)
class Proxy:
    """The loopback ports nginx listens on: the queue's host and the shop's."""

    queue_port: int
    shop_port: int

    @property
    def queue_url(self) -> str:
        return f"http://127.0.0.1:{self.queue_port}"


def render(
    config: str, upstreams: tuple[int, int], listen: tuple[int, int], frames_dir: str
) -> str:
    """The shipped file with test addresses: upstreams (waitroom, shop), listen (queue, shop),
    and the frame cache in ``frames_dir``."""
    config = config.replace(FRAMES_CACHE, frames_dir)
    (waitroom_port, shop_port), (queue_port, shop_listen) = upstreams, listen
    config = config.split("\nserver {\n    listen 80;")[0]  # the https redirect server
    config = re.sub(r"\n\s*server 10\.0\.1\.\d+:8000[^;]*;", "", config, count=2)
    config = re.sub(r"server 10\.0\.1\.\d+:8000", f"server 127.0.0.1:{waitroom_port}", config)
    config = re.sub(r"\n\s*server 10\.0\.2\.\d+:8000[^;]*;", "", config, count=1)
    config = re.sub(r"server 10\.0\.2\.\d+:8000", f"server 127.0.0.1:{shop_port}", config)
    config = config.replace("listen 443 ssl;", f"listen 127.0.0.1:{queue_port};", 1)
    config = config.replace("listen 443 ssl;", f"listen 127.0.0.1:{shop_listen};", 1)
    config = re.sub(r"\n\s*(http2 on|ssl_certificate(_key)?\s[^;]*);", "", config)
    return config.replace("_timeout 10s;", "_timeout 1s;")


@contextmanager
def running_nginx(
    root: Path,
    upstreams: tuple[int, int],
    *,
    access_log: bool = False,
    client_body_buffer_size: str | None = None,
) -> Iterator[Proxy]:
    """nginx with the shipped file in front of ``upstreams`` (waitroom port, shop port), its
    configuration, pid and logs in ``root``; ready when it yields, stopped afterwards.

    ``access_log`` writes ``root/access.log`` (off otherwise); ``client_body_buffer_size``
    (e.g. ``"512k"``) keeps request bodies up to that size in memory, since nginx's worker user
    may not enter the test's temporary directory to buffer them on disk."""
    proxy = Proxy(free_port(), free_port())
    # the frame cache must be writable by nginx's worker user (not the test's tmp dir)
    frames = tempfile.mkdtemp(prefix="waitroom-frames-")
    os.chmod(frames, 0o777)
    try:
        site = render(CONFIG.read_text(), upstreams, (proxy.queue_port, proxy.shop_port), frames)
        (root / "site.conf").write_text(site)
        log = f"access_log {root}/access.log;" if access_log else "access_log off;"
        body_buffer = (
            f"  client_body_buffer_size {client_body_buffer_size};\n"
            if client_body_buffer_size
            else ""
        )
        (root / "nginx.conf").write_text(
            f"worker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n  {log}\n{body_buffer}"
            f"  client_body_temp_path {root}/body;\n"
            f"  proxy_temp_path {root}/proxy;\n  include {root}/site.conf;\n}}\n"
        )
        command = [NGINX, "-p", str(root), "-c", str(root / "nginx.conf")]
        checked = subprocess.run([*command, "-t"], capture_output=True, check=False)
        assert checked.returncode == 0, checked.stderr.decode()
        process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        try:
            _wait_until_ready(process, f"{proxy.queue_url}/healthz", root)
            yield proxy
        finally:
            stop_process(process)
    finally:
        shutil.rmtree(frames, ignore_errors=True)


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, root: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    error_log = root / "error.log"
    detail = error_log.read_text(errors="replace") if error_log.exists() else ""
    raise RuntimeError(f"nginx did not answer {url} (exit code {process.poll()}): {detail}")
