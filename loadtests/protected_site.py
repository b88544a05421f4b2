"""A site protected by the reverse-proxy connector, for tests and benchmarks, all on loopback.

- the origin: an unmodified static site (``python -m http.server`` in a directory);
- the proxy: Debian's nginx with ``deploy/nginx/protect-any-site.conf``, or Debian's Caddy
  with ``deploy/caddy/Caddyfile``, the files themselves with this machine's addresses, ports,
  queue id and certificate (loadtests/proxy_configs.py), on their own address (``127.0.0.2``)
  with TLS (a self-signed certificate for that address, made by ``openssl``);
- the waiting room: whatever the caller started (``waitroom serve``), named by its address.

nginx's access log records, per request, what it handed the origin (``X-Waitroom-Pass-Id``,
``-Buyer``, ``-Deadline``), so tests can read it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from loadtests.proxy_configs import (
    SiteValues,
    caddyfile,
    nginx_main_config,
    nginx_site_config,
)
from waitroom.storage.embedded_redis import stop_process

NGINX_BINARY = "/usr/sbin/nginx"
CADDY_BINARY = "/usr/bin/caddy"
SITE_HOST = "127.0.0.2"


def nginx_binary() -> str:
    found = NGINX_BINARY if os.access(NGINX_BINARY, os.X_OK) else shutil.which("nginx")
    if found is None:
        raise FileNotFoundError("nginx is not installed: apt-get install -y nginx")
    return found


def free_port_on(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    host: str, port: int, timeout_seconds: float, process: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout_seconds} s")


def self_signed_certificate(directory: Path, host: str) -> tuple[Path, Path]:
    certificate, key = directory / "site.crt", directory / "site.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
            "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


PROXIES = ("nginx", "caddy")


@dataclass
class ProtectedSite:
    """A proxy (``nginx`` or ``caddy``) in front of an origin; ``start()`` / ``stop()`` or a
    ``with`` block."""

    directory: Path
    """Holds the origin's files (``site/``), the proxy's files and the certificate."""
    waitroom_address: str
    queue_id: str
    proxy: str = "nginx"
    nginx_workers: int = 1
    origin_address: str = ""
    """An origin that runs already (``host:port``); empty: a static site in ``site/``."""
    https_port: int = 0
    http_port: int = 0
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False)

    @property
    def base_url(self) -> str:
        return f"https://{SITE_HOST}:{self.https_port}"

    @property
    def site_root(self) -> Path:
        return self.directory / "site"

    @property
    def certificate(self) -> Path:
        return self.directory / "site.crt"

    @property
    def access_log(self) -> Path:
        """nginx's log of what it handed the origin (see loadtests/proxy_configs.py)."""
        return self.directory / "nginx" / "access.log"

    def start(self) -> ProtectedSite:
        if self.proxy not in PROXIES:
            raise ValueError(f"proxy must be one of {PROXIES}")
        self.site_root.mkdir(parents=True, exist_ok=True)
        try:
            self._start_origin()
            certificate, key = self_signed_certificate(self.directory, SITE_HOST)
            self.https_port = self.https_port or free_port_on(SITE_HOST)
            self.http_port = self.http_port or free_port_on(SITE_HOST)
            values = SiteValues(
                SITE_HOST,
                self.https_port,
                self.http_port,
                self.waitroom_address,
                self.origin_address,
                self.queue_id,
                certificate,
                key,
            )
            if self.proxy == "nginx":
                self._start_nginx(values)
            else:
                self._start_caddy(values)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        while self._processes:
            stop_process(self._processes.pop())

    def __enter__(self) -> ProtectedSite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start_origin(self) -> None:
        if self.origin_address:
            return
        port = free_port_on("127.0.0.1")
        command = [
            sys.executable, "-m", "http.server", str(port),
            "--bind", "127.0.0.1", "--directory", str(self.site_root),
        ]
        origin = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._processes.append(origin)
        wait_for_port("127.0.0.1", port, 10.0, origin)
        self.origin_address = f"127.0.0.1:{port}"

    def _start_nginx(self, values: SiteValues) -> None:
        prefix = self.directory / "nginx"
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
        site_config = prefix / "protect-any-site.conf"
        site_config.write_text(nginx_site_config(values))
        main_config = prefix / "nginx.conf"
        main_config.write_text(
            nginx_main_config(prefix, site_config, self.nginx_workers, os.geteuid() == 0)
        )
        error_log = prefix / "error.log"
        command = [nginx_binary(), "-p", str(prefix), "-c", str(main_config), "-e", str(error_log)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
        self._run(command, {})

    def _start_caddy(self, values: SiteValues) -> None:
        home = self.directory / "caddy"
        home.mkdir(parents=True, exist_ok=True)
        config = home / "Caddyfile"
        config.write_text(caddyfile(values, home / "storage"))
        binary = CADDY_BINARY if os.access(CADDY_BINARY, os.X_OK) else shutil.which("caddy")
        if binary is None:
            raise FileNotFoundError("caddy is not installed: apt-get install -y caddy")
        environment = {"HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home)}
        command = [binary, "run", "--config", str(config), "--adapter", "caddyfile"]
        self._run(command, environment)

    def _run(self, command: list[str], environment: dict[str, str]) -> None:
        log = (self.directory / f"{self.proxy}.log").open("wb")
        process = subprocess.Popen(
            command, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._processes.append(process)
        wait_for_port(SITE_HOST, self.https_port, 10.0, process)
