"""A site protected by the reverse-proxy connector, for tests and benchmarks, all on loopback.

- the origin: an unmodified static site (``python -m http.server`` in a directory);
- nginx (Debian's ``/usr/sbin/nginx``) with ``deploy/nginx/protect-any-site.conf`` itself, the
  addresses, ports, queue id and certificate paths substituted, on its own address
  (``127.0.0.2``) with TLS (a self-signed certificate for that address, made by ``openssl``);
- the waiting room: whatever the caller started (``waitroom serve``), named by its address.

The access log records, per request, what nginx handed the origin (``X-Waitroom-Pass-Id``,
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

from waitroom.embedded_redis import stop_process

REPOSITORY = Path(__file__).resolve().parent.parent
DEPLOY_CONFIG = REPOSITORY / "deploy" / "nginx" / "protect-any-site.conf"
NGINX_BINARY = "/usr/sbin/nginx"
SITE_HOST = "127.0.0.2"
ACCESS_LOG_FIELDS = "$request_uri $status $waitroom_pass_id $waitroom_buyer $waitroom_deadline"

MAIN_CONFIG = """\
daemon off;
{user}worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format handed '{log_fields}';
    access_log {access_log} handed;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    include {site_config};
}}
"""


class ConfigMismatch(ValueError):
    """The deploy file no longer has a line the substitution expects."""


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


def render_site_config(
    text: str,
    *,
    waitroom_address: str,
    origin_address: str,
    https_port: int,
    http_port: int,
    queue_id: str,
    certificate: Path,
    certificate_key: Path,
) -> str:
    """The deploy file with this machine's values; each substituted line must be there once."""
    substitutions = {
        "listen 443 ssl http2;": f"listen {SITE_HOST}:{https_port} ssl http2;",
        "listen 80;": f"listen {SITE_HOST}:{http_port};",
        "server 10.0.1.11:8000 ": f"server {waitroom_address} ",
        "server 10.0.3.11:8080;": f"server {origin_address};",
        "/etc/nginx/tls/shop.example.com.crt;": f"{certificate};",
        "/etc/nginx/tls/shop.example.com.key;": f"{certificate_key};",
        "set $waitroom_queue demo;": f"set $waitroom_queue {queue_id};",
    }
    for old, new in substitutions.items():
        if text.count(old) != 1:
            raise ConfigMismatch(f"{DEPLOY_CONFIG.name} should contain {old!r} once")
        text = text.replace(old, new)
    return text


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


@dataclass
class ProtectedSite:
    """nginx in front of a static origin; ``start()`` / ``stop()`` or a ``with`` block."""

    directory: Path
    """Holds the origin's files (``site/``), nginx's prefix (``nginx/``) and the certificate."""
    waitroom_address: str
    queue_id: str
    nginx_workers: int = 1
    origin_address: str = ""
    """An origin that runs already (``host:port``); empty: a static site in ``site/``."""
    https_port: int = 0
    http_port: int = 0
    origin_port: int = 0
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
        return self.directory / "nginx" / "access.log"

    def start(self) -> ProtectedSite:
        self.site_root.mkdir(parents=True, exist_ok=True)
        try:
            self._start_origin()
            self._start_nginx()
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

    def error_log(self) -> str:
        path = self.directory / "nginx" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _start_origin(self) -> None:
        if self.origin_address:
            return
        self.origin_port = self.origin_port or free_port_on("127.0.0.1")
        command = [
            sys.executable, "-m", "http.server", str(self.origin_port),
            "--bind", "127.0.0.1", "--directory", str(self.site_root),
        ]
        origin = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._processes.append(origin)
        wait_for_port("127.0.0.1", self.origin_port, 10.0, origin)
        self.origin_address = f"127.0.0.1:{self.origin_port}"

    def _start_nginx(self) -> None:
        prefix = self.directory / "nginx"
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
        certificate, key = self_signed_certificate(self.directory, SITE_HOST)
        self.https_port = self.https_port or free_port_on(SITE_HOST)
        self.http_port = self.http_port or free_port_on(SITE_HOST)
        site_config = prefix / "protect-any-site.conf"
        site_config.write_text(
            render_site_config(
                DEPLOY_CONFIG.read_text(),
                waitroom_address=self.waitroom_address,
                origin_address=self.origin_address,
                https_port=self.https_port,
                http_port=self.http_port,
                queue_id=self.queue_id,
                certificate=certificate,
                certificate_key=key,
            )
        )
        main_config = prefix / "nginx.conf"
        main_config.write_text(
            MAIN_CONFIG.format(
                # started as root, nginx would run its workers as nobody, who cannot reach a
                # private temporary directory
                user="user root;\n" if os.geteuid() == 0 else "",
                workers=self.nginx_workers,
                prefix=prefix,
                log_fields=ACCESS_LOG_FIELDS,
                access_log=self.access_log,
                site_config=site_config,
            )
        )
        error_log = prefix / "error.log"
        command = [nginx_binary(), "-p", str(prefix), "-c", str(main_config), "-e", str(error_log)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
        nginx = subprocess.Popen(command)
        self._processes.append(nginx)
        wait_for_port(SITE_HOST, self.https_port, 10.0, nginx)
