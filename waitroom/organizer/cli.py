"""``waitroom queue ...`` (organizer commands over the HTTP admin API) and
``waitroom verify-shuffle`` (independent check of a pre-queue opening).

The admin token comes from ``WAITROOM_ADMIN_TOKEN``; ``--url`` (or ``WAITROOM_URL``) names the
waiting room; both, and ``WAITROOM_ACTOR``, are read by the one settings reader
(:class:`CommandSettings`) before any call. Uses only the standard library's urllib, so it runs
anywhere Python does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from service_kit.errors import InvalidInput
from service_kit.settings_tree import Cast, Variable, argument_type, read_settings
from service_kit.shared_settings import HTTP_URL
from waitroom.errors import AdminApiFailed
from waitroom.organizer.actions import parse_opens_at
from waitroom.queue.shuffle_verify import verify_shuffle
from waitroom.settings import ADMIN_TOKEN

MAX_ACTOR_CHARS = 64
REQUEST_TIMEOUT_SECONDS = 10
"""An admin call answers in milliseconds; ten seconds without an answer is a waiting room that
cannot be reached (a constant: nobody waits longer at a terminal)."""


def _actor(raw: str) -> str:
    if len(raw) > MAX_ACTOR_CHARS or not raw.isprintable():
        raise ValueError(f"expected a name of at most {MAX_ACTOR_CHARS} characters")
    try:
        raw.encode("latin-1")  # it travels in an HTTP header
    except UnicodeEncodeError:
        raise ValueError("expected Latin-1 characters (it is sent in an HTTP header)") from None
    return raw


ADMIN_API_URL: Variable[str] = Variable(
    "WAITROOM_URL",
    HTTP_URL,
    "http://127.0.0.1:8000",
    "The waiting room that `waitroom queue` and `verify-shuffle` talk to (`--url` wins)",
)
ACTOR: Variable[str] = Variable(
    "WAITROOM_ACTOR",
    Cast("name", _actor, garbage="\u674e" * 3),
    "",
    "Who the audit log names for a change made with `waitroom queue`",
    default_text="unset (the login name, `USER`)",
)


@dataclass(frozen=True, slots=True)
class CommandSettings:
    """What the organizer commands read from the environment."""

    url: str = ADMIN_API_URL.field()
    admin_token: str = ADMIN_TOKEN.field()
    actor: str = ACTOR.field()


def http_json(
    method: str,
    url: str,
    token: str | None,
    body: dict[str, Any] | None = None,
    actor: str = "",
) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("accept", "application/json")
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
        if actor:
            request.add_header("x-waitroom-actor", actor)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            problem = json.loads(error.read())
        except ValueError:
            problem = None
        detail = problem.get("detail", error.reason) if isinstance(problem, dict) else error.reason
        raise AdminApiFailed(f"HTTP {error.code}: {detail}", status=error.code) from None
    except (urllib.error.URLError, OSError) as error:
        raise AdminApiFailed(f"cannot reach {url}: {error}") from None


def add_queue_commands(commands: Any) -> None:
    queue = commands.add_parser("queue", help="organizer commands over the admin API")
    queue.add_argument("--url", type=argument_type(HTTP_URL), help="default: WAITROOM_URL")
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
    verify.add_argument("--url", type=argument_type(HTTP_URL), help="default: WAITROOM_URL")
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


def run_queue(arguments: argparse.Namespace, settings: CommandSettings) -> Any:
    token = settings.admin_token
    if not token:
        raise InvalidInput(
            "set WAITROOM_ADMIN_TOKEN to the admin token", field="WAITROOM_ADMIN_TOKEN"
        )
    actor = settings.actor or os.environ.get("USER", "")

    def call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        return http_json(method, url, token, body, actor)

    base = (arguments.url or settings.url) + "/api/v1/admin/queues"
    command = arguments.queue_command
    if command == "list":
        return call("GET", base)
    queue_url = f"{base}/{arguments.queue_id}"
    if command == "show":
        return call("GET", queue_url)
    if command in {"live", "audit"}:
        return call("GET", f"{queue_url}/{command}")
    if command in {"create", "set"}:
        fields = _queue_fields(arguments)
        if command == "set" and not fields:
            raise InvalidInput("nothing to set: give --rate, --opens-at, --cap, ...")
        return call("PUT", queue_url, fields)
    if command == "pause":
        return call("PUT", queue_url, {"state": "paused", "pause_reason": arguments.reason})
    if command == "resume":
        return call("PUT", queue_url, {"state": "open", "pause_reason": ""})
    if command == "close":
        return call("PUT", queue_url, {"state": "closed"})
    if command == "autotune":
        fields = _autotune_fields(arguments)
        if not fields:
            return call("GET", f"{queue_url}/autotune")
        return call("PUT", f"{queue_url}/autotune", fields)
    if command == "codes":
        if arguments.codes_command == "list":
            return call("GET", f"{queue_url}/codes")
        if arguments.codes_command == "create":
            body: dict[str, Any] = {
                "kind": arguments.kind,
                "max_uses": arguments.uses,
                "label": arguments.label,
            }
            if arguments.code:
                body["code"] = arguments.code
            return call("POST", f"{queue_url}/codes", body)
        return call("DELETE", f"{queue_url}/codes/{arguments.code_id}")
    raise InvalidInput(f"unknown command {command!r}")


def _load(path: str, flag: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise InvalidInput(f"{flag} {path}: {error.strerror or error}", field=flag) from None
    except ValueError:
        raise InvalidInput(f"{flag} {path} is not JSON", field=flag) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{flag} {path} is not a JSON object", field=flag)
    return data


def run_verify(arguments: argparse.Namespace, settings: CommandSettings) -> int:
    if arguments.file:
        after = _load(arguments.file, "--file")
    elif arguments.queue_id:
        url = f"{arguments.url or settings.url}/api/v1/queues/{arguments.queue_id}/prequeue"
        after = http_json("GET", url, None)
    else:
        raise InvalidInput("give a queue id (with --url) or --file")
    before = _load(arguments.before, "--before") if arguments.before else None
    result = verify_shuffle(after, before)
    if result.ok:
        print(f"OK: the order of {result.checked_count} pre-queue fans matches the revealed seed")
        return 0
    for problem in result.problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1


def main_queue(arguments: argparse.Namespace) -> int:
    """Runs a queue command; raises InvalidInput for a bad flag (the CLI exits 2) and
    AdminApiFailed when the waiting room refused or could not be reached (exit 1)."""
    settings = read_settings(CommandSettings)
    if arguments.command == "verify-shuffle":
        return run_verify(arguments, settings)
    result = run_queue(arguments, settings)
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0
