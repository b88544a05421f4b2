"""The bad-input catalogue's short form: every category of bad request to both apps over real
sockets; no answer may be a 5xx, no /api/ refusal may lack a problem body, the waiting room's
metrics may count no 500, and both apps must still be ready afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CATEGORIES = {"methods", "json", "forms", "framing", "encodings", "headers", "cookies", "tokens"}


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
