"""The ``waitroom`` command: ``demo`` and ``serve``."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence

import uvicorn

from service_kit.http_protocol import uvicorn_options
from service_kit.process_signals import StopRequested, stop_on_signals
from waitroom.organizer.cli import add_queue_commands, main_queue
from waitroom.settings import Settings, SettingsError, generate_secret
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.web.metrics_multiprocess import prepare_multiprocess_directory


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="waitroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the waiting room and the shop with sample data")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    serve = commands.add_parser("serve", help="production serving (uvicorn, workers, factory)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--app",
        choices=["waitroom", "shop"],
        default="waitroom",
        help="which app this process serves",
    )
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* headers")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    add_queue_commands(commands)
    return parser


def run_demo(host: str, port: int) -> int:
    from sale_backend.settings import ShopSettings
    from waitroom.demo import create_demo_app, demo_urls

    settings = Settings.from_environ()
    embedded = EmbeddedRedis(appendfsync_always=True) if settings.redis_url is None else None
    try:
        if embedded is not None:
            settings = settings.with_overrides(redis_url=embedded.start().url)
        shop_settings = ShopSettings.from_settings(settings)
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
        app = create_demo_app(settings, shop_settings)
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


def run_serve(arguments: argparse.Namespace) -> int:
    settings = Settings.from_environ()
    if settings.redis_url is None:
        print("waitroom serve needs REDIS_URL (a Redis/Valkey >= 6.2)", file=sys.stderr)
        return 2
    if settings.secret_keys_generated and arguments.workers > 1:
        # every worker must sign with the same keys: generate once and share via the environment
        os.environ["WAITROOM_SECRET_KEYS"] = ",".join(settings.secret_keys)
    if settings.admin_token_generated:
        os.environ["WAITROOM_ADMIN_TOKEN"] = settings.admin_token
        print(f"Admin token: {settings.admin_token}", flush=True)
    if settings.metrics_token_generated:
        # Prometheus needs it (Authorization: Bearer) for /metrics; set WAITROOM_METRICS_TOKEN
        os.environ["WAITROOM_METRICS_TOKEN"] = settings.metrics_token
        print(f"Metrics token: {settings.metrics_token}", flush=True)
    if arguments.app == "shop" and not os.environ.get("WAITROOM_STAFF_TOKEN"):
        os.environ["WAITROOM_STAFF_TOKEN"] = generate_secret()
        print(f"Shop staff token: {os.environ['WAITROOM_STAFF_TOKEN']}", flush=True)
    metrics_directory_given = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    metrics_directory = prepare_multiprocess_directory(arguments.workers)
    if metrics_directory is not None:
        print(f"Prometheus multiprocess directory: {metrics_directory}", flush=True)
    factory = (
        "waitroom.web.app:create_app_from_environ"
        if arguments.app == "waitroom"
        else "sale_backend.web.app:create_app_from_environ"
    )
    try:
        # with workers, uvicorn's supervisor stops them on SIGTERM/SIGINT and returns; one
        # in-process server shuts down and raises the signal again (StopRequested)
        uvicorn.run(
            factory,
            factory=True,
            host=arguments.host,
            port=arguments.port,
            workers=arguments.workers,
            proxy_headers=arguments.proxy_headers,
            forwarded_allow_ips=arguments.forwarded_allow_ips,
            log_level="warning",
            access_log=False,
            **uvicorn_options(settings.server_limits),
        )
    finally:
        if metrics_directory is not None and not metrics_directory_given:
            shutil.rmtree(metrics_directory, ignore_errors=True)
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
        if arguments.command in {"queue", "verify-shuffle"}:
            return main_queue(arguments)
    except StopRequested:
        return 0
    except SettingsError as error:
        print(f"waitroom: invalid setting {error}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
