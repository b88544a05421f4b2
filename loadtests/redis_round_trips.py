"""Count the commands clients send to Redis (round trips), apart from those scripts run inside.

``INFO commandstats`` counts a script's inner commands under their own names, so it cannot tell
a client's HGET from one a script ran. MONITOR can: it names the client of every command and
marks the commands scripts run as ``lua``. MONITOR costs Redis time itself, so the benchmark
samples with it in a separate short run, never while it measures throughput.
"""

from __future__ import annotations

import threading
from collections import Counter

import redis

STOP_MARKER = "round-trip-counter-stop"


class RoundTripCounter:
    """MONITOR in a thread while in the ``with`` block: client commands by name (``lua`` ones
    apart), without the counter's own stop marker."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client_commands: Counter[str] = Counter()
        self.script_commands: Counter[str] = Counter()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._client = redis.Redis.from_url(url)

    def _run(self) -> None:
        with self._client.monitor() as monitor:  # type: ignore[no-untyped-call]
            self._ready.set()
            while True:
                raw = monitor.connection.read_response()
                text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
                if STOP_MARKER in text:
                    return
                _, rest = text.split(" ", 1)
                origin = rest[1 : rest.index("]")].split(" ", 1)[-1]
                name = rest[rest.index("]") + 1 :].split('"', 2)[1].lower()
                if origin == "lua":
                    self.script_commands[name] += 1
                else:
                    self.client_commands[name] += 1

    def __enter__(self) -> RoundTripCounter:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *_: object) -> None:
        stopper = redis.Redis.from_url(self.url)
        try:
            stopper.echo(STOP_MARKER)
        finally:
            stopper.close()
        self._thread.join(10)
        self._client.close()
