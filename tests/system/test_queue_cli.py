"""``waitroom queue ...`` against a real server: every organizer command, audited."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.support.servers import ServerProcess
from waitroom.cli import main


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    """Runs ``waitroom queue --url ... <arguments>`` in this process (real HTTP to the server)."""

    def run(server: ServerProcess, *arguments: str, token: str = ADMIN_TOKEN) -> Any:
        monkeypatch.setenv("WAITROOM_ADMIN_TOKEN", token)
        monkeypatch.setenv("WAITROOM_ACTOR", "carol")
        code = main(["queue", "--url", server.base_url, *arguments])
        captured = capsys.readouterr()
        if code != 0:
            return Completed(code, captured.out, captured.err)
        return json.loads(captured.out)

    return run


def test_queue_commands_cover_the_organizer_controls(
    waitroom_server: ServerProcess, unique_id: str, run_cli: Callable[..., Any]
) -> None:
    opens_at = time.time() + 600
    created = run_cli(
        waitroom_server, "create", unique_id, "--rate", "90", "--name", "CLI show",
        "--opens-at", str(opens_at), "--cap", "40",
    )  # fmt: skip
    assert created["rate_per_minute"] == 90 and created["name"] == "CLI show"
    assert created["active_shopper_cap"] == 40 and created["prequeue"] is True
    iso = "2031-01-02T03:04:05+00:00"
    changed = run_cli(waitroom_server, "set", unique_id, "--rate", "120", "--opens-at", iso)
    assert (
        changed["rate_per_minute"] == 120
        and changed["opens_at"] == datetime.fromisoformat(iso).timestamp()
    )
    assert run_cli(waitroom_server, "pause", unique_id, "--reason", "shop")["state"] == "paused"
    assert run_cli(waitroom_server, "resume", unique_id)["state"] == "open"
    code = run_cli(waitroom_server, "codes", "create", unique_id, "--kind", "bypass", "--uses", "5")
    assert code["kind"] == "bypass" and code["max_uses"] == 5 and len(code["code"]) >= 6
    listed = run_cli(waitroom_server, "codes", "list", unique_id)["codes"]
    assert [item["code_id"] for item in listed] == [code["code_id"]]
    assert run_cli(waitroom_server, "codes", "revoke", unique_id, code["code_id"])["revoked"]
    tuned = run_cli(
        waitroom_server, "autotune", unique_id, "--on", "--min", "30", "--max", "300",
        "--target-p95-ms", "700", "--max-errors", "2.5",
    )  # fmt: skip
    assert tuned["enabled"] and (tuned["min_rate_per_minute"], tuned["max_rate_per_minute"]) == (
        30,
        300,
    )
    assert tuned["target_p95_ms"] == 700 and tuned["max_error_ratio"] == 0.025
    assert not run_cli(waitroom_server, "autotune", unique_id, "--off")["enabled"]
    assert run_cli(waitroom_server, "autotune", unique_id)["max_rate_per_minute"] == 300
    live = run_cli(waitroom_server, "live", unique_id)
    assert live["rate_per_minute"] == 120 and live["active_shopper_cap"] == 40
    assert run_cli(waitroom_server, "close", unique_id)["state"] == "closed"
    shown = run_cli(waitroom_server, "show", unique_id)
    assert shown["state"] == "closed"
    # numbers stored as Redis strings come back as JSON numbers
    assert shown["active_shopper_cap"] == 40 and isinstance(shown["created_at"], float)
    assert unique_id in run_cli(waitroom_server, "list")["queues"]
    entries = run_cli(waitroom_server, "audit", unique_id)["entries"]
    assert [entry["action"] for entry in entries] == [
        "close", "autotune_settings", "autotune_settings", "code_revoke", "code_create",
        "resume", "pause", "update", "create",
    ]  # fmt: skip
    assert {entry["actor"] for entry in entries} == {"token:carol"}


def test_cli_reports_errors_without_a_traceback(
    waitroom_server: ServerProcess, unique_id: str, run_cli: Callable[..., Any]
) -> None:
    wrong = run_cli(waitroom_server, "show", unique_id, token="not-the-admin-token")
    assert wrong.returncode == 1
    assert "HTTP 401" in wrong.stderr and "Traceback" not in wrong.stderr
    missing = run_cli(waitroom_server, "show", unique_id, token="")
    assert missing.returncode == 2 and "WAITROOM_ADMIN_TOKEN" in missing.stderr
    short = run_cli(waitroom_server, "show", unique_id, token="not-the-token")
    assert short.returncode == 2 and "WAITROOM_ADMIN_TOKEN='<hidden>'" in short.stderr
    invalid = run_cli(waitroom_server, "create", unique_id, "--rate", "-5")
    assert invalid.returncode == 1 and "HTTP 400" in invalid.stderr
