"""Run an app factory under uvicorn on sockets we bind: ``uvicorn.run`` with the socket layout
of :mod:`service_kit.listening_sockets`.

``uvicorn.run`` binds its socket itself (one, shared by every worker) and reports a taken port
as a log line and exit status 3. Here the caller binds first, so a taken port is an
:class:`~service_kit.errors.AddressInUse` (the command prints one line), and the socket is
handed to uvicorn's own supervisor (``Multiprocess``: worker health checks, replacement of a
dead worker, SIGTERM/SIGINT stop every worker) or, with one worker, to its ``Server`` in this
process, the way uvicorn runs under gunicorn.
"""

from __future__ import annotations

import socket

from uvicorn.config import Config
from uvicorn.server import Server
from uvicorn.supervisors.multiprocess import Multiprocess


def run_server(config: Config, listening: socket.socket) -> None:
    """Serve ``config`` (an import string when ``config.workers > 1``) on ``listening`` (from
    :func:`service_kit.listening_sockets.listening_socket`) until stopped; closes it after."""
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[listening]).run()
        else:
            Server(config).run(sockets=[listening])
    finally:
        listening.close()
