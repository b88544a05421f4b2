"""The ``waitroom`` command: ``demo``, ``serve``, ``queue ...``, ``verify-shuffle``, ``settings``.

Every setting and flag is read before anything starts: a bad one ends the command with one line
naming it and exit status 2 (:func:`main` maps error kinds to exit statuses in one place).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import sys
from collections.abc import Sequence

import uvicorn

from service_kit.errors import ErrorKind, ServiceError, SettingsError
from service_kit.http_protocol import uvicorn_options
from service_kit.listening_sockets import SocketLayout, effective_layout, listening_socket
from service_kit.process_signals import StopRequested, stop_on_signals
from service_kit.redis_client import REDIS_URL
from service_kit.server_limits import ServerLimits
from service_kit.serving import run_server
from service_kit.settings_tree import INTEGER, ITEMS, Cast, argument_type
from service_kit.shared_settings import METRICS_TOKEN
from waitroom.organizer.cli import add_queue_commands, main_queue
from waitroom.settings import Settings
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.web.metrics_multiprocess import prepare_multiprocess_directory

APPS = ("waitroom", "shop")


def _host(raw: str) -> str:
    if not raw or any(character.isspace() for character in raw):
        raise ValueError("expected a host name or address")
    return raw


def _allowed_proxies(raw: str) -> tuple[str, ...]:
    """uvicorn's ``--forwarded-allow-ips``: ``*``, or addresses and networks (``unix:`` paths)."""
    entries = ITEMS.parse(raw)
    for entry in entries:
        if entry == "*" or entry.startswith("unix:"):
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry!r} is not an address, a network or *") from None
    if not entries:
        raise ValueError("expected addresses, networks or *")
    return entries


HOST: Cast[str] = Cast("host", _host)
ALLOWED_PROXIES: Cast[tuple[str, ...]] = Cast("addresses", _allowed_proxies)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="waitroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    port = argument_type(INTEGER, minimum=1, maximum=65535)
    demo = commands.add_parser("demo", help="run the waiting room and the shop with sample data")
    demo.add_argument("--host", type=argument_type(HOST), default="127.0.0.1")
    demo.add_argument("--port", type=port, default=8000)
    serve = commands.add_parser("serve", help="production serving (uvicorn, workers, factory)")
    serve.add_argument("--host", type=argument_type(HOST), default="0.0.0.0")
    serve.add_argument("--port", type=port, default=8000)
    serve.add_argument(
        "--workers", type=argument_type(INTEGER, minimum=1, maximum=512), default=1
    )
    serve.add_argument("--app", choices=APPS, default="waitroom", help="which app to serve")
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* headers")
    serve.add_argument(
        "--forwarded-allow-ips", type=argument_type(ALLOWED_PROXIES), default=("127.0.0.1",)
    )
    serve.add_argument(
        "--shared-socket",
        action="store_true",
        help="every worker accepts from one socket (default on Linux: one SO_REUSEPORT socket"
        " per worker, so the kernel spreads connections evenly; see docs/operations.md)",
    )
    add_queue_commands(commands)
    settings = commands.add_parser(
        "settings", help="print the settings reference, or check this environment's settings"
    )
    settings.add_argument(
        "--check", choices=(*APPS, "demo"), help="read the settings an app would read"
    )
    return parser


def run_demo(host: str, port: int) -> int:
    from service_kit.collector import serving
    from waitroom.demo import create_demo_app, demo_settings, demo_urls

    settings, shop_settings = demo_settings(os.environ)
    embedded = EmbeddedRedis(appendfsync_always=True) if settings.redis_url is None else None
    try:
        if embedded is not None:
            url = embedded.start().url
            settings = settings.with_overrides(redis_url=url)
            shop_settings = shop_settings.with_overrides(
                sale_redis_url=shop_settings.sale_redis_url or url
            )
        urls = demo_urls(host, port, shop_settings.queue_id)
        print("waitroom demo", flush=True)
        print(f"  Redis:           {settings.redis_url}" + (" (embedded)" if embedded else ""))
        print(f"  Fan queue page:  {urls.fan_url}")
        print(f"  Shop:            {urls.shop_url}")
        print(f"  Admin dashboard: {urls.dashboard_url}")
        print(f"  Admin token:     {settings.admin_token}")
        print(f"  Metrics token:   {settings.metrics_token} (bearer token of /metrics)")
        print(f"  Shop staff token: {shop_settings.staff_token} (entry scans, refunds, events)")
        print(f"  Door scanner:    {urls.shop_url.rstrip('/')}/staff/scan")
        print("  Press Ctrl+C to stop (or send SIGTERM).", flush=True)
        app = serving(create_demo_app(settings, shop_settings))
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            **uvicorn_options(settings.server_limits),
        )
    finally:
        # after the app has shut down (its lifespan still needs Redis)
        if embedded is not None:
            embedded.stop()
    return 0


WORKER_HEALTHCHECK_TIMEOUT_SECONDS = 30
"""uvicorn's supervisor kills a worker that does not answer its ping within this time. Its
default, 5 s, killed workers that were still starting on a host whose CPU was saturated (23 s
to start on the project's busy 2-core machine), again and again, so that none ever served; a
hung worker is still replaced, 30 s later."""

SOCKET_LAYOUTS = {
    SocketLayout.PER_WORKER: "one SO_REUSEPORT socket per worker",
    SocketLayout.SHARED: "one socket shared by the workers",
}


def share_metrics_token(token: str, *, generated: bool) -> None:
    """A generated metrics token goes to the workers through the environment and is printed:
    Prometheus needs it (``Authorization: Bearer``) for /metrics; set WAITROOM_METRICS_TOKEN."""
    if generated:
        os.environ[METRICS_TOKEN.name] = token
        print(f"Metrics token: {token}", flush=True)


def serve_limits(app: str) -> ServerLimits:
    """Reads (and so checks) every setting of the app about to be served, before any worker
    starts; shares generated secrets with the workers through the environment."""
    if app == "shop":
        from sale_backend.settings import SALE_REDIS_URL, ShopSettings

        shop = ShopSettings.from_environ()
        if shop.sale_redis_url is None:
            raise SettingsError(SALE_REDIS_URL.name, "", "the shop needs its Redis (or REDIS_URL)")
        shop.connector.require_api_url()
        if shop.staff_token_generated:
            os.environ["WAITROOM_STAFF_TOKEN"] = shop.staff_token
            print(f"Shop staff token: {shop.staff_token}", flush=True)
        share_metrics_token(shop.metrics_token, generated=shop.metrics_token_generated)
        return shop.server_limits
    settings = Settings.from_environ()
    if settings.redis_url is None:
        raise SettingsError(REDIS_URL.name, "", "waitroom serve needs a Redis or Valkey >= 6.2")
    if settings.secret_keys_generated:
        # every worker must sign with the same keys: generate once and share via the environment
        os.environ["WAITROOM_SECRET_KEYS"] = ",".join(settings.secret_keys)
    if settings.admin_token_generated:
        os.environ["WAITROOM_ADMIN_TOKEN"] = settings.admin_token
        print(f"Admin token: {settings.admin_token}", flush=True)
    share_metrics_token(settings.metrics_token, generated=settings.metrics_token_generated)
    return settings.server_limits


def run_serve(arguments: argparse.Namespace) -> int:
    limits = serve_limits(arguments.app)
    metrics_directory_given = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    metrics_directory = prepare_multiprocess_directory(arguments.workers)
    if metrics_directory is not None:
        print(f"Prometheus multiprocess directory: {metrics_directory}", flush=True)
    factory = (
        "waitroom.web.app:create_app_from_environ"
        if arguments.app == "waitroom"
        else "sale_backend.web.app:create_app_from_environ"
    )
    requested = SocketLayout.SHARED if arguments.shared_socket else SocketLayout.PER_WORKER
    layout = effective_layout(requested, arguments.workers)
    config = uvicorn.Config(
        factory,
        factory=True,
        host=arguments.host,
        port=arguments.port,
        workers=arguments.workers,
        proxy_headers=arguments.proxy_headers,
        forwarded_allow_ips=list(arguments.forwarded_allow_ips),
        log_level="warning",
        access_log=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT_SECONDS,
        **uvicorn_options(limits),
    )
    try:
        # with workers, uvicorn's supervisor stops them on SIGTERM/SIGINT and returns; one
        # in-process server shuts down and raises the signal again (StopRequested)
        listening = listening_socket(arguments.host, arguments.port, layout)
        if arguments.workers > 1:
            address = f"{arguments.host}:{listening.getsockname()[1]}"
            print(f"Listening on {address}: {SOCKET_LAYOUTS[layout]}", flush=True)
        run_server(config, listening)
    finally:
        if metrics_directory is not None and not metrics_directory_given:
            shutil.rmtree(metrics_directory, ignore_errors=True)
    return 0


def run_settings(arguments: argparse.Namespace) -> int:
    """Print the reference (Markdown, as in docs/operations.md), or read the settings an app
    would read from this environment and say they are fine (a bad one fails like ``serve``)."""
    from sale_backend.settings import ShopSettings
    from waitroom.demo import demo_settings
    from waitroom.settings_reference import reference

    if arguments.check is None:
        print(reference())
        return 0
    if arguments.check == "waitroom":
        Settings.from_environ()
    elif arguments.check == "shop":
        ShopSettings.from_environ()
    else:
        demo_settings(os.environ)
    print(f"waitroom: the {arguments.check} settings of this environment are valid")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command in {"demo", "serve"}:
            # servers with children: SIGTERM / SIGINT stop them all, exit 0, no traceback
            with stop_on_signals():
                if arguments.command == "demo":
                    return run_demo(arguments.host, arguments.port)
                return run_serve(arguments)
        if arguments.command == "settings":
            return run_settings(arguments)
        return main_queue(arguments)
    except StopRequested:
        return 0
    except ServiceError as error:
        print(f"waitroom: {error.detail}", file=sys.stderr)
        return exit_status(error)


def exit_status(error: ServiceError) -> int:
    """2 when what the caller gave must change (a setting, a flag), else 1 (the same command
    may work later: the waiting room refused or could not be reached, Redis did not start)."""
    return 2 if error.kind is ErrorKind.INVALID_INPUT else 1


if __name__ == "__main__":
    raise SystemExit(main())
