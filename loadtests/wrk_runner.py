"""Run wrk with the rotating-bearer script and parse its one-line JSON summary."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

WRK_SCRIPT = Path(__file__).parent / "wrk" / "rotating_identities.lua"
SUMMARY_PREFIX = "WRK_JSON "


class WrkError(RuntimeError):
    """wrk is missing or did not print a summary."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    target: str
    requests: int
    duration_seconds: float
    errors: int
    non_2xx_3xx: int
    latency_mean_ms: float
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    latency_max_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_seconds if self.duration_seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "requests_per_second": round(self.requests_per_second, 1)}


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed: apt-get install -y wrk")
    return found


def parse_summary(target: str, output: str) -> WrkResult:
    for line in output.splitlines():
        if line.startswith(SUMMARY_PREFIX):
            data = json.loads(line[len(SUMMARY_PREFIX):])
            errors = sum(
                int(data[name])
                for name in ("errors_connect", "errors_read", "errors_write", "errors_timeout")
            )
            return WrkResult(
                target=target,
                requests=int(data["requests"]),
                duration_seconds=int(data["duration_us"]) / 1e6,
                errors=errors,
                non_2xx_3xx=int(data["errors_status"]),
                latency_mean_ms=float(data["latency_mean_us"]) / 1000,
                latency_p50_ms=int(data["latency_p50_us"]) / 1000,
                latency_p90_ms=int(data["latency_p90_us"]) / 1000,
                latency_p99_ms=int(data["latency_p99_us"]) / 1000,
                latency_max_ms=int(data["latency_max_us"]) / 1000,
            )
    raise WrkError(f"wrk printed no summary for {target}:\n{output[-2000:]}")


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """What wrk sends: see the header of ``wrk/rotating_identities.lua``."""

    method: str
    path: str
    headers_file: Path | None = None
    body_file: Path | None = None
    idempotency: bool = False


def wrk_command(
    url: str,
    spec: RequestSpec,
    duration_seconds: float,
    connections: int,
    threads: int = 1,
) -> list[str]:
    return [
        wrk_binary(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_seconds))}s",
        "--timeout", "5s",
        "-s", str(WRK_SCRIPT),
        url,
        "--", spec.method, spec.path,
        str(spec.headers_file or ""), str(spec.body_file or ""), "1" if spec.idempotency else "0",
    ]


def run_wrk_together(
    commands: dict[str, list[str]], timeout_seconds: float
) -> dict[str, WrkResult]:
    """Start every wrk at once and wait for all: the runs share the machine at the same time."""
    processes = {
        name: subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, command in commands.items()
    }
    results: dict[str, WrkResult] = {}
    for name, process in processes.items():
        stdout, stderr = process.communicate(timeout=timeout_seconds)
        if process.returncode != 0:
            raise WrkError(f"wrk failed for {name}: {stderr[-2000:]}")
        results[name] = parse_summary(name, stdout)
    return results
