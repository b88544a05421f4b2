"""Every request of a locust run as one JSON line: when it started, how long it took, its name,
its HTTP status (0: no answer) and why it failed ('' when it did not). The chaos suite counts
requests and errors per fault from it; locust's own CSVs only keep aggregates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO


@dataclass(frozen=True, slots=True)
class RequestRecord:
    started: float
    """Unix seconds."""
    duration_ms: float
    name: str
    status: int
    error: str

    @property
    def ended(self) -> float:
        return self.started + self.duration_ms / 1000

    @property
    def failed(self) -> bool:
        return bool(self.error)


class RequestLog:
    """A locust ``request`` event listener writing to ``path`` (buffered; close at the end)."""

    def __init__(self, path: str) -> None:
        # line-buffered: the runner sees the first request at once
        self._stream: TextIO = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115

    def on_request(
        self,
        name: str,
        response_time: float,
        start_time: float | None = None,
        response: Any = None,
        exception: BaseException | str | None = None,
        **_: Any,
    ) -> None:
        status = int(getattr(response, "status_code", 0) or 0)
        line = {
            "t": round(start_time or 0.0, 4),
            "ms": round(float(response_time or 0.0), 1),
            "name": name,
            "status": status,
            "error": str(exception)[:160] if exception else "",
        }
        self._stream.write(json.dumps(line, separators=(",", ":")) + "\n")

    def close(self, **_: Any) -> None:
        if not self._stream.closed:
            self._stream.close()


def read_requests(path: Path) -> Iterator[RequestRecord]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed run
            yield RequestRecord(
                float(raw["t"]), float(raw["ms"]), str(raw["name"]), int(raw["status"]),
                str(raw["error"]),
            )
