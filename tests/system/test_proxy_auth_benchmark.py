"""The reverse-proxy benchmark runs end to end: wrk against the auth question, a gated page
through nginx and the origin; every answer is the expected one and each auth question made
one Redis round trip (figures of record: docs/benchmarks.md, never asserted here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from loadtests import proxy_auth


@pytest.mark.stress
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_every_target_answers_under_wrk(tmp_path: Path) -> None:
    output = tmp_path / "proxy-auth.json"
    assert proxy_auth.main(
        ["--duration", "1", "--rounds", "1", "--connections", "4", "--output", str(output)]
    ) == 0
    medians = json.loads(output.read_text())["medians"]
    assert set(medians) == {"bare", "auth-cookie", "auth-bearer", "site-gated", "site-origin"}
    for figures in medians.values():
        assert figures["errors"] == 0 and figures["non_2xx_3xx"] == 0
        assert figures["requests_per_second"] > 20
    assert medians["auth-cookie"]["redis_commands_per_request"]["hmget"] == pytest.approx(1, 0.05)
    assert medians["auth-bearer"]["redis_commands_per_request"]["evalsha"] == pytest.approx(
        1, 0.05
    )
    assert medians["site-gated"]["redis_commands_per_request"]["hmget"] == pytest.approx(1, 0.05)
