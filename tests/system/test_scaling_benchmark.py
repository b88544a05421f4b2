"""The scaling benchmark's measurements: Redis work stays O(processes), not O(fans)."""

from __future__ import annotations

import argparse
import shutil
from collections import Counter

import pytest

from loadtests.redis_commandstats import parse_commandstats, script_calls, useful_work
from loadtests.scaling_benchmark import measure, parse_wrk
from waitroom.storage.embedded_redis import EmbeddedRedis

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:1
  2 threads and 8 connections
  Latency Distribution
     50%  812.00us
     99%    1.20s
  2412 requests in 1.00s, 1.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2405.17
"""


def test_wrk_summary_is_read_in_milliseconds() -> None:
    assert parse_wrk(WRK_OUTPUT) == {
        "requests": 2412.0,
        "requests_per_second": 2405.17,
        "non_2xx": 3.0,
        "p50_ms": pytest.approx(0.812),
        "p99_ms": 1200.0,
    }


def test_commandstats_deltas_leave_out_housekeeping() -> None:
    info = {
        "cmdstat_evalsha": {"calls": 7, "usec": 10},
        "cmdstat_hset": {"calls": 14, "usec": 10},
        "cmdstat_info": {"calls": 3, "usec": 1},
        "cmdstat_client|setinfo": {"calls": 2, "usec": 1},
    }
    work = useful_work(parse_commandstats(info) - Counter(hset=4))
    assert work == Counter(evalsha=7, hset=10)
    assert script_calls(work) == 7


@pytest.mark.stress
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_polling_costs_redis_per_process_not_per_fan() -> None:
    arguments = argparse.Namespace(seconds=2, fans=150, connections=16)
    with EmbeddedRedis() as server:  # its own Redis: INFO commandstats sees only this run
        result = measure(server.url, [server.url], 1, arguments)
    assert result["non_2xx"] == 0
    assert float(str(result["status_requests_per_second"])) > 100
    # per process: a view refresh per queue every 0.5 s and one batched heartbeat flush per
    # interval, however many polls arrive; the heartbeat bits are set inside that one script.
    # Besides: each admitted place's pass is issued once (its expiry fixed in Redis): scripts
    # grow with the places admitted, never with the polls. Measured about 1.5 scripts per
    # admitted place in this window (one pass_issue each, the rest not yet accounted for)
    first_passes_per_second = int(str(result["places_admitted"])) / arguments.seconds
    assert float(str(result["redis_script_calls_per_second_while_polling"])) <= (
        8.0 + 2 * first_passes_per_second
    )
    assert float(str(result["redis_script_calls_per_status_request"])) < 0.05
    assert float(str(result["redis_commands_per_status_request"])) < 2.0
    # about one join script call per join (joins that arrive together share one call); the
    # window also holds the views' refreshes of the joining processes
    assert 0 < float(str(result["redis_script_calls_per_join"])) <= 1.5
    assert float(str(result["redis_bytes_per_fan"])) > 10
