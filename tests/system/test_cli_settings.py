"""``waitroom serve``, ``waitroom demo`` and ``waitroom queue ...`` refuse a bad setting or flag
with one clean line naming it and exit status 2, before anything starts: a garbage value of
every variable each command reads (generated from the settings tree), and bad flags."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import waitroom.cli as cli
from sale_backend.settings import ShopSettings
from service_kit.settings_tree import Variable, variables
from waitroom.organizer.cli import CommandSettings
from waitroom.settings import Settings
from waitroom.storage.embedded_redis import EmbeddedRedis

KEYS = "0123456789abcdef-key"
VALID = {
    "REDIS_URL": "redis://127.0.0.1:9/0",
    "WAITROOM_SECRET_KEYS": KEYS,
    "WAITROOM_ADMIN_TOKEN": "admin-token-0123456789",
    "WAITROOM_STAFF_TOKEN": "staff-token-0123456789",
    "WAITROOM_CONNECTOR_URL": "http://127.0.0.1:9",
}
COMMANDS: dict[str, tuple[list[str], list[type[Any]]]] = {
    "serve": (["serve"], [Settings]),
    "serve-shop": (["serve", "--app", "shop"], [ShopSettings]),
    "demo": (["demo"], [Settings, ShopSettings]),
    "queue": (["queue", "list"], [CommandSettings]),
}
CASES = [
    (command, variable)
    for command, (_, classes) in COMMANDS.items()
    for variable in dict.fromkeys(v for c in classes for v in variables(c))
]


class WouldStart(Exception):
    """Raised instead of serving, starting Redis or calling the admin API: the command got
    past its settings."""


@pytest.fixture
def command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., tuple[int, str]]]:
    def refuse(*arguments: Any, **options: Any) -> Any:
        raise WouldStart

    monkeypatch.setattr(cli.uvicorn, "run", refuse)  # waitroom demo
    monkeypatch.setattr(cli, "listening_socket", refuse)  # waitroom serve, before it binds
    monkeypatch.setattr(EmbeddedRedis, "start", refuse)
    monkeypatch.setattr("waitroom.organizer.cli.urllib.request.urlopen", refuse)
    known = {*VALID, *(name for _, v in CASES for name in (v.name, *v.aliases))}

    def run(arguments: list[str], environ: dict[str, str]) -> tuple[int, str]:
        """``waitroom <arguments>`` with exactly ``environ`` of the known variables set."""
        for name in known:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        try:
            code = cli.main(arguments)
        except SystemExit as stopped:  # the argument parser refused a flag
            code = int(stopped.code or 0)
        return code, capsys.readouterr().err

    yield run


@pytest.mark.parametrize(
    ("name", "variable"), CASES, ids=[f"{name}-{v.name}" for name, v in CASES]
)
def test_a_garbage_setting_is_one_line_and_exit_2(
    command: Callable[..., tuple[int, str]], name: str, variable: Variable[Any]
) -> None:
    arguments, _ = COMMANDS[name]
    code, error = command(arguments, {**VALID, variable.name: variable.cast.garbage})
    assert code == 2, error
    assert error.startswith(f"waitroom: {variable.name}") and error.count("\n") == 1, error
    assert "Traceback" not in error


def test_a_valid_environment_gets_past_the_settings(
    command: Callable[..., tuple[int, str]],
) -> None:
    for arguments, _ in COMMANDS.values():
        with pytest.raises(WouldStart):
            command(arguments, VALID)


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["serve", "--port", "http"], "--port: not an integer"),
        (["serve", "--port", "70000"], "--port: must be <= 65535"),
        (["demo", "--port", "0"], "--port: must be >= 1"),
        (["serve", "--workers", "0"], "--workers: must be >= 1"),
        (["serve", "--host", ""], "--host: expected a host"),
        (["serve", "--forwarded-allow-ips", "10.0.0.300"], "--forwarded-allow-ips: '10.0.0.300'"),
        (["serve", "--app", "admin"], "--app: invalid choice"),
        (["queue", "--url", "ftp://example.com", "list"], "--url: expected an http(s) URL"),
        (["queue", "create", "q1", "--rate", "fast"], "--rate: invalid int value"),
    ],
)
def test_a_bad_flag_is_refused_by_the_parser(
    command: Callable[..., tuple[int, str]], arguments: list[str], words: str
) -> None:
    code, error = command(arguments, VALID)
    assert code == 2 and words in error and "Traceback" not in error, error


def test_bad_values_given_to_the_commands_are_exit_2(
    command: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    cases = [
        (["verify-shuffle", "--file", str(missing)], "--file"),
        (["queue", "create", "q1", "--opens-at", "next tuesday"], "opens_at"),
        (["queue", "set", "q1"], "nothing to set"),
    ]
    (tmp_path / "list.json").write_text("[1, 2]")
    cases.append((["verify-shuffle", "--file", str(tmp_path / "list.json")], "not a JSON object"))
    for arguments, words in cases:
        code, error = command(arguments, VALID)
        assert code == 2 and words in error and error.count("\n") == 1, error


def test_serve_needs_a_redis_and_the_shop_its_waiting_room(
    command: Callable[..., tuple[int, str]],
) -> None:
    unset = {name: value for name, value in VALID.items() if name != "REDIS_URL"}
    code, error = command(["serve"], unset)
    assert code == 2 and error.startswith("waitroom: REDIS_URL is not set")
    code, error = command(["serve", "--app", "shop"], unset)
    assert code == 2 and error.startswith("waitroom: WAITROOM_SALE_REDIS_URL is not set")
    no_api = {name: value for name, value in VALID.items() if name != "WAITROOM_CONNECTOR_URL"}
    code, error = command(["serve", "--app", "shop"], no_api)
    assert code == 2 and error.startswith("waitroom: WAITROOM_CONNECTOR_URL is not set")


def test_settings_check_reads_the_environment(
    command: Callable[..., tuple[int, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = command(["settings", "--check", "demo"], VALID)
    assert code == 0
    code, error = command(["settings", "--check", "shop"], {**VALID, "WAITROOM_SECRET_KEYS": ""})
    assert code == 2 and error.startswith("waitroom: WAITROOM_SECRET_KEYS is not set")


def test_the_installed_command_refuses_the_issue_s_example() -> None:
    """The case from the redesign issue, as an operator runs it: a real ``waitroom serve``
    process with a garbage join limit prints one line and exits 2 (it printed a traceback)."""
    environment = {**os.environ, **VALID, "WAITROOM_JOIN_LIMIT_PER_IP": "garbage"}
    completed = subprocess.run(
        [sys.executable, "-m", "waitroom.cli", "serve"],
        env=environment, capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr == (
        "waitroom: WAITROOM_JOIN_LIMIT_PER_IP='garbage': "
        "expected a rate such as '30/minute', or 'off'\n"
    )
    assert completed.stdout == ""
