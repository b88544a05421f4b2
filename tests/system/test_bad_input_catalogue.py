"""The bad-input catalogue's short form: every category of bad request to both apps over real
sockets; no answer may be a 5xx, no /api/ refusal may lack a problem body, the waiting room's
metrics may count no 500, and both apps must still be ready afterwards."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from loadtests.bad_input import PARSER_REFUSAL, is_parser_refusal
from loadtests.raw_http import exchange
from tests.support.servers import ServerProcess

CATEGORIES = {"methods", "json", "forms", "framing", "encodings", "headers", "cookies", "tokens"}


@pytest.mark.stress
@pytest.mark.slow
def test_no_bad_input_gets_a_server_error(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "loadtests.bad_input", "--short", "--output", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["server_errors"] == 0, summary["server_error_cases"]
    assert completed.returncode == 0, completed.stdout + completed.stderr[-2000:]
    assert set(summary["by_category"]) == CATEGORIES
    for name, counts in summary["by_category"].items():
        assert counts["tried"] >= 10, name
        assert counts.get("4xx", 0) > 0, name  # each category is refused somewhere
    assert summary["tried"] > 800
    assert summary["ready_after"] == {"waitroom": True, "shop": True}
    # no request ended as an unhandled error the client never saw (a client gone mid-body)
    assert summary["waitroom_metrics_500s"] == 0
    # every refusal of an /api/ path is a problem body
    assert summary["api_4xx_without_problem_json"] == 0, summary[
        "api_4xx_without_problem_json_cases"
    ]
    assert "| **all** |" in summary["table"]


def test_a_parser_refusal_is_known_by_its_head_when_a_reset_took_its_body(
    waitroom_server: ServerProcess,
) -> None:
    """uvicorn refuses a request its parser cannot read (400, plain text) and closes with the
    rest unread; a reset can take the body from the client: the head alone still tells it, so
    the catalogue does not count it as an /api/ refusal without a problem body."""
    url = httpx.URL(waitroom_server.base_url)
    head = (
        b"POST /api/v1/queues/q/join HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: abc\r\nContent-Type: application/json\r\n\r\n{}"
    )
    answer = asyncio.run(exchange(str(url.host), int(url.port or 80), head))
    assert answer.status == 400 and answer.body == PARSER_REFUSAL
    assert is_parser_refusal(answer)
    assert is_parser_refusal(replace(answer, body=b""))
    # an answer of the app is not one, with or without its body
    problem = asyncio.run(
        exchange(str(url.host), int(url.port or 80),
                 b"POST /api/v1/queues/q/join HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                 b"Content-Type: application/json\r\nConnection: close\r\n\r\n{")
    )
    assert problem.status == 404 and "application/problem+json" in problem.content_type
    assert not is_parser_refusal(problem)
    assert not is_parser_refusal(replace(problem, body=b""))
