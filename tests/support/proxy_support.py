"""The deployed topology of the reverse-proxy connector, for tests: a real ``waitroom serve``
(several workers) on 127.0.0.1, nginx with ``deploy/nginx/protect-any-site.conf`` (or Caddy
with ``deploy/caddy/Caddyfile``) on 127.0.0.2 (TLS) in front of an unmodified static site, one
Redis; and fans that join the queue and follow redirects by hand, counting them."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

from loadtests.protected_site import ProtectedSite
from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.servers import START_TIMEOUT_SECONDS
from waitroom.storage.embedded_redis import free_port, stop_process

ORIGIN_FILES = {
    "index.html": (
        "<!doctype html><title>Tour shop</title><h1>The tour shop</h1>"
        '<p><a id="done" href="/.waitroom/end">I am done shopping</a></p>'
    ),
    "tickets.html": "<!doctype html><title>Tickets</title><h1>Tickets</h1>",
    "api/tickets.json": '{"tickets": [{"tier": "ga", "remaining": 120}]}',
}
MAX_REDIRECTS = 5


@dataclass
class WaitroomServe:
    """``waitroom serve --proxy-headers`` on a loopback port (the CLI, as deployed)."""

    environment: Mapping[str, str]
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_seconds: float = START_TIMEOUT_SECONDS) -> WaitroomServe:
        command = [
            sys.executable,
            "-m",
            "waitroom.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--proxy-headers",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ]
        self.process = subprocess.Popen(
            command, env={**os.environ, **self.environment}, stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"waitroom serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("waitroom serve did not become ready")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@dataclass
class Topology:
    waitroom: WaitroomServe
    site: ProtectedSite
    queue_id: str
    clients: list[httpx.Client] = field(default_factory=list)
    """Every client made for a test, closed with the topology."""

    @property
    def queue_url(self) -> str:
        return f"{self.waitroom.base_url}/q/{self.queue_id}"

    def site_client(self, **options: object) -> httpx.Client:
        """A browser-like client of the site (TLS verified against the test certificate)."""
        verify = ssl.create_default_context(cafile=str(self.site.certificate))
        client = httpx.Client(verify=verify, timeout=10, **options)  # type: ignore[arg-type]
        self.clients.append(client)
        return client

    def log_mark(self) -> int:
        """How many requests nginx has logged so far (for :meth:`handed_since`)."""
        return len(self._log_lines())

    def handed_since(self, mark: int, path: str, timeout_seconds: float = 2.0) -> list[str]:
        """What nginx handed the origin for the first request of ``path`` logged after
        ``mark``: uri, status, pass id, buyer, deadline (``-`` when none). nginx logs a
        request just after answering it, so this waits a moment for the line."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            for line in self._log_lines()[mark:]:
                fields = line.split(" ")
                if fields[0] == path:
                    return fields
            if time.monotonic() > deadline:
                raise AssertionError(f"nginx logged no request of {path} after line {mark}")
            time.sleep(0.02)

    def _log_lines(self) -> list[str]:
        log = self.site.access_log
        return log.read_text().splitlines() if log.exists() else []


@contextmanager
def topology(
    directory: Path, redis_url: str, queue_id: str, proxy: str = "nginx", **environment: str
) -> Iterator[Topology]:
    port = free_port()
    settings = server_environment(
        redis_url, WAITROOM_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", **environment
    )
    waitroom = WaitroomServe(settings, port=port).start()
    site = ProtectedSite(directory, f"127.0.0.1:{port}", queue_id, proxy=proxy)
    try:
        for name, text in ORIGIN_FILES.items():
            path = site.site_root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        site.start()
        response = httpx.put(
            f"{waitroom.base_url}/api/v1/admin/queues/{queue_id}",
            json={"state": "open", "rate_per_minute": 6000, "redirect_url": f"{site.base_url}/"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )
        assert response.status_code in {200, 201}, response.text
        world = Topology(waitroom, site, queue_id)
        try:
            yield world
        finally:
            for client in world.clients:
                client.close()
    finally:
        site.stop()
        waitroom.stop()


@dataclass
class AdmittedFan:
    queue: httpx.Client
    """The fan's client of the queue's host (its position cookie)."""
    pass_token: str
    redirect_url: str


def admitted_fan(world: Topology, timeout_seconds: float = 10.0) -> AdmittedFan:
    """A fan who joined on the queue's host and polled until admitted."""
    queue = httpx.Client(base_url=world.waitroom.base_url, timeout=10)
    world.clients.append(queue)
    joined = queue.post(f"/api/v1/queues/{world.queue_id}/join")
    assert joined.status_code == 201, joined.text
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        status = queue.get(f"/api/v1/queues/{world.queue_id}/status").json()
        if status["state"] == "admitted":
            return AdmittedFan(queue, status["pass"], status["redirect_url"])
        time.sleep(0.1)
    raise AssertionError(f"not admitted: {status}")


def follow(client: httpx.Client, url: str, **options: object) -> list[httpx.Response]:
    """GET ``url`` and follow redirects by hand: every answer in order. Fails on a URL seen
    twice (a loop) or more than MAX_REDIRECTS redirects."""
    answers: list[httpx.Response] = []
    seen: set[str] = set()
    while True:
        assert url not in seen, f"redirect loop through {url}"
        seen.add(url)
        response = client.get(url, **options)  # type: ignore[arg-type]
        answers.append(response)
        if not response.is_redirect:
            return answers
        assert len(answers) <= MAX_REDIRECTS, [answer.url for answer in answers]
        url = urljoin(str(response.url), response.headers["location"])
