"""``waitroom queue ...`` (organizer commands over the HTTP admin API) and
``waitroom verify-shuffle`` (independent check of a pre-queue opening).

The admin token comes from ``WAITROOM_ADMIN_TOKEN``; ``--url`` (or ``WAITROOM_URL``) names the
waiting room. Uses only the standard library's urllib, so it runs anywhere Python does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

from waitroom.organizer.actions import parse_opens_at
from waitroom.queue.shuffle_verify import verify_shuffle

DEFAULT_URL = "http://127.0.0.1:8000"


class CommandFailed(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def http_json(method: str, url: str, token: str | None, body: dict[str, Any] | None = None) -> Any:
    if not url.startswith(("http://", "https://")):
        raise CommandFailed(f"--url must be an http(s) URL, not {url!r}", 2)
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("accept", "application/json")
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
        actor = os.environ.get("WAITROOM_ACTOR") or os.environ.get("USER", "")
        if actor:
            request.add_header("x-waitroom-actor", actor)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read()).get("detail", error.reason)
        except ValueError:
            detail = error.reason
        raise CommandFailed(f"HTTP {error.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        raise CommandFailed(f"cannot reach {url}: {error}") from None


def add_queue_commands(commands: Any) -> None:
    queue = commands.add_parser("queue", help="organizer commands over the admin API")
    queue.add_argument("--url", default=os.environ.get("WAITROOM_URL", DEFAULT_URL))
    actions = queue.add_subparsers(dest="queue_command", required=True)
    actions.add_parser("list", help="list queues")
    for name, helptext in (
        ("show", "config and live figures"),
        ("live", "every dashboard figure (JSON)"),
        ("audit", "recent changes: who, what, when"),
        ("resume", "resume admissions"),
        ("close", "close the queue"),
    ):
        actions.add_parser(name, help=helptext).add_argument("queue_id")
    for name in ("create", "set"):
        command = actions.add_parser(name, help=f"{name} a queue")
        command.add_argument("queue_id")
        command.add_argument("--rate", type=int, dest="rate_per_minute")
        command.add_argument("--name")
        command.add_argument("--opens-at", help="unix seconds or ISO 8601 (UTC)")
        command.add_argument("--cap", type=int, dest="active_shopper_cap")
        command.add_argument("--redirect-url")
        command.add_argument("--burst", type=int)
        command.add_argument("--event-id")
    autotune = actions.add_parser(
        "autotune", help="let the rate follow the shop's health (show without options)"
    )
    autotune.add_argument("queue_id")
    switch = autotune.add_mutually_exclusive_group()
    switch.add_argument("--on", action="store_true", dest="autotune_on")
    switch.add_argument("--off", action="store_true", dest="autotune_off")
    autotune.add_argument("--min", type=int, dest="min_rate_per_minute", help="lowest rate")
    autotune.add_argument("--max", type=int, dest="max_rate_per_minute", help="highest rate")
    autotune.add_argument("--target-p95-ms", type=int, dest="target_p95_ms")
    autotune.add_argument(
        "--max-errors", type=float, dest="max_error_percent", help="error limit in percent"
    )
    pause = actions.add_parser("pause", help="pause admissions")
    pause.add_argument("queue_id")
    pause.add_argument("--reason", default="")
    codes = actions.add_parser("codes", help="priority/invite codes")
    code_actions = codes.add_subparsers(dest="codes_command", required=True)
    code_actions.add_parser("list").add_argument("queue_id")
    create = code_actions.add_parser("create")
    create.add_argument("queue_id")
    create.add_argument("--kind", choices=["priority", "bypass"], default="priority")
    create.add_argument("--uses", type=int, default=1, help="1 = single-use, 0 = unlimited")
    create.add_argument("--label", default="")
    create.add_argument("--code", help="choose the code text (default: random)")
    revoke = code_actions.add_parser("revoke")
    revoke.add_argument("queue_id")
    revoke.add_argument("code_id")
    verify = commands.add_parser("verify-shuffle", help="recompute a pre-queue opening order")
    verify.add_argument("queue_id", nargs="?")
    verify.add_argument("--url", default=os.environ.get("WAITROOM_URL", DEFAULT_URL))
    verify.add_argument("--file", help="a saved publication (JSON) taken after opening")
    verify.add_argument("--before", help="a saved publication taken before opening")


def _queue_fields(arguments: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("rate_per_minute", "name", "active_shopper_cap", "redirect_url", "burst"):
        value = getattr(arguments, name, None)
        if value is not None:
            fields[name] = value
    if arguments.event_id is not None:
        fields["event_id"] = arguments.event_id
    if arguments.opens_at is not None:
        fields["opens_at"] = parse_opens_at(arguments.opens_at)
    return fields


def _autotune_fields(arguments: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if arguments.autotune_on or arguments.autotune_off:
        fields["enabled"] = bool(arguments.autotune_on)
    for name in ("min_rate_per_minute", "max_rate_per_minute", "target_p95_ms"):
        value = getattr(arguments, name)
        if value is not None:
            fields[name] = value
    if arguments.max_error_percent is not None:
        fields["max_error_ratio"] = arguments.max_error_percent / 100
    return fields


def run_queue(arguments: argparse.Namespace) -> Any:
    token = os.environ.get("WAITROOM_ADMIN_TOKEN", "")
    if not token:
        raise CommandFailed("set WAITROOM_ADMIN_TOKEN to the admin token", exit_code=2)
    base = arguments.url.rstrip("/") + "/api/v1/admin/queues"
    command = arguments.queue_command
    if command == "list":
        return http_json("GET", base, token)
    queue_url = f"{base}/{arguments.queue_id}"
    if command == "show":
        return http_json("GET", queue_url, token)
    if command in {"live", "audit"}:
        return http_json("GET", f"{queue_url}/{command}", token)
    if command in {"create", "set"}:
        fields = _queue_fields(arguments)
        if command == "set" and not fields:
            raise CommandFailed("nothing to set: give --rate, --opens-at, --cap, ...", 2)
        return http_json("PUT", queue_url, token, fields)
    if command == "pause":
        return http_json(
            "PUT", queue_url, token, {"state": "paused", "pause_reason": arguments.reason}
        )
    if command == "resume":
        return http_json("PUT", queue_url, token, {"state": "open", "pause_reason": ""})
    if command == "close":
        return http_json("PUT", queue_url, token, {"state": "closed"})
    if command == "autotune":
        settings = _autotune_fields(arguments)
        if not settings:
            return http_json("GET", f"{queue_url}/autotune", token)
        return http_json("PUT", f"{queue_url}/autotune", token, settings)
    if command == "codes":
        if arguments.codes_command == "list":
            return http_json("GET", f"{queue_url}/codes", token)
        if arguments.codes_command == "create":
            body: dict[str, Any] = {
                "kind": arguments.kind,
                "max_uses": arguments.uses,
                "label": arguments.label,
            }
            if arguments.code:
                body["code"] = arguments.code
            return http_json("POST", f"{queue_url}/codes", token, body)
        return http_json("DELETE", f"{queue_url}/codes/{arguments.code_id}", token)
    raise CommandFailed(f"unknown command {command!r}", 2)


def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise CommandFailed(f"{path} is not a JSON object", 2)
    return data


def run_verify(arguments: argparse.Namespace) -> int:
    if arguments.file:
        after = _load(arguments.file)
    elif arguments.queue_id:
        url = f"{arguments.url.rstrip('/')}/api/v1/queues/{arguments.queue_id}/prequeue"
        after = http_json("GET", url, None)
    else:
        raise CommandFailed("give a queue id (with --url) or --file", 2)
    before = _load(arguments.before) if arguments.before else None
    result = verify_shuffle(after, before)
    if result.ok:
        print(f"OK: the order of {result.checked_count} pre-queue fans matches the revealed seed")
        return 0
    for problem in result.problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1


def main_queue(arguments: argparse.Namespace) -> int:
    try:
        if arguments.command == "verify-shuffle":
            return run_verify(arguments)
        result = run_queue(arguments)
    except CommandFailed as error:
        print(f"waitroom: {error}", file=sys.stderr)
        return error.exit_code
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0
