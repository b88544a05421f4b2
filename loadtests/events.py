"""Journey events (joined, admitted, organizer actions, shop steps) as JSON lines."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class EventLog:
    """Appends one JSON object a line; each write is one small ``write`` call."""

    def __init__(self, path: str) -> None:
        self.path = path

    def record(self, kind: str, **fields: Any) -> None:
        if not self.path:
            return
        line = json.dumps({"t": time.time(), "kind": kind, **fields}, separators=(",", ":"))
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)
