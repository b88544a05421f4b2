"""The deploy files of the reverse-proxy connector with this machine's values, for tests and
benchmarks: ``deploy/nginx/protect-any-site.conf`` and ``deploy/caddy/Caddyfile``. Every
substituted text must be in the file as many times as expected, so a change of the deploy
file that the tests would no longer exercise fails loudly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
NGINX_DEPLOY_FILE = REPOSITORY / "deploy" / "nginx" / "protect-any-site.conf"
CADDY_DEPLOY_FILE = REPOSITORY / "deploy" / "caddy" / "Caddyfile"
ACCESS_LOG_FIELDS = "$request_uri $status $waitroom_pass_id $waitroom_buyer $waitroom_deadline"

NGINX_MAIN = """\
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

CADDY_GLOBAL = """\
{{
	admin off
	auto_https off
	skip_install_trust
	http_port {http_port}
	https_port {https_port}
	storage file_system {storage}
	servers {{
		protocols h1 h2
	}}
}}

"""


class ConfigMismatch(ValueError):
    """The deploy file no longer has a text the substitution expects."""


@dataclass(frozen=True, slots=True)
class SiteValues:
    host: str
    https_port: int
    http_port: int
    waitroom_address: str
    origin_address: str
    queue_id: str
    certificate: Path
    certificate_key: Path


def substitute(text: str, name: str, substitutions: dict[str, tuple[str, int]]) -> str:
    for old, (new, count) in substitutions.items():
        if text.count(old) != count:
            raise ConfigMismatch(f"{name} should contain {old!r} {count} time(s)")
        text = text.replace(old, new)
    return text


def nginx_site_config(values: SiteValues) -> str:
    return substitute(
        NGINX_DEPLOY_FILE.read_text(),
        NGINX_DEPLOY_FILE.name,
        {
            "listen 443 ssl http2;": (f"listen {values.host}:{values.https_port} ssl http2;", 1),
            "listen 80;": (f"listen {values.host}:{values.http_port};", 1),
            "server 10.0.1.11:8000 ": (f"server {values.waitroom_address} ", 1),
            "server 10.0.3.11:8080;": (f"server {values.origin_address};", 1),
            "/etc/nginx/tls/shop.example.com.crt;": (f"{values.certificate};", 1),
            "/etc/nginx/tls/shop.example.com.key;": (f"{values.certificate_key};", 1),
            "set $waitroom_queue demo;": (f"set $waitroom_queue {values.queue_id};", 1),
        },
    )


def nginx_main_config(prefix: Path, site_config: Path, workers: int, as_root: bool) -> str:
    return NGINX_MAIN.format(
        # started as root, nginx would run its workers as nobody, who cannot reach a private
        # temporary directory
        user="user root;\n" if as_root else "",
        workers=workers,
        prefix=prefix,
        log_fields=ACCESS_LOG_FIELDS,
        access_log=prefix / "access.log",
        site_config=site_config,
    )


def caddyfile(values: SiteValues, storage: Path) -> str:
    site = substitute(
        CADDY_DEPLOY_FILE.read_text(),
        CADDY_DEPLOY_FILE.name,
        {
            "shop.example.com {": (
                f"https://{values.host}:{values.https_port} {{\n"
                f"\ttls {values.certificate} {values.certificate_key}",
                1,
            ),
            "10.0.1.11:8000": (values.waitroom_address, 2),
            "10.0.3.11:8080": (values.origin_address, 1),
            "queue=demo&": (f"queue={values.queue_id}&", 1),
            "X-Waitroom-Queue demo": (f"X-Waitroom-Queue {values.queue_id}", 1),
        },
    )
    options = CADDY_GLOBAL.format(
        http_port=values.http_port, https_port=values.https_port, storage=storage
    )
    return options + site
