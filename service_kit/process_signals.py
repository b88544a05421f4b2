"""SIGTERM and SIGINT for the commands that start child processes (``waitroom demo``,
``waitroom serve``, ``python -m waitroom.storage.local_cluster``): a normal stop, not a crash.

Inside :func:`stop_on_signals` the first SIGTERM or SIGINT raises :class:`StopRequested` in the
main thread, so ``finally`` blocks and context managers stop the children (an embedded Redis,
a cluster, a command) in order; later signals are ignored, so a second Ctrl+C cannot cut that
cleanup short (every child is stopped with a bounded wait, then killed). The command then exits
with status 0 and prints no traceback.

uvicorn installs its own handlers while it serves: it shuts the app down gracefully on the
signal, restores these handlers and raises the signal again, which lands here once the app and
its lifespan (which still needs Redis) are done. Children are started in their own session
(``start_new_session``), so a Ctrl+C in a terminal, which signals the whole foreground process
group, reaches only the command, which then stops them after the app.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequested(BaseException):
    """A stop signal arrived (a BaseException, like KeyboardInterrupt: ``except Exception``
    does not swallow it)."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal.Signals(signal_number).name)
        self.signal_number = signal_number


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM/SIGINT raise :class:`StopRequested` once; the previous handlers come back after."""
    stopping = False

    def handle(signal_number: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise StopRequested(signal_number)

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
