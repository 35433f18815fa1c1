"""The server on its own thread with its own event loop (uvicorn), started and stopped cleanly.

``start()`` returns once the socket listens (the real port is known then, even for port 0) or
raises ``ServerStartError`` with one line (port taken, address not available). ``stop()``
asks uvicorn to exit (open streams are cancelled, which stops their jobs) and joins.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import threading

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.server.app import create_app
from openchat_desktop.server.state import ServerState

log = logging.getLogger(__name__)
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


class ServerStartError(OpenChatError):
    """The server could not listen (one human line)."""


class ServerThread:
    """One running server. ``port`` is the real one once started."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.port = state.config.port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def address(self) -> str:
        host = self.state.config.host
        return f"{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/v1"

    def start(self) -> None:
        self._socket = _bind(self.state.config.host, self.state.config.port)
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            create_app(self.state), log_config=None, access_log=False, lifespan="off",
            # The protocol class itself rather than its name: no dynamic import, so the
            # packaged app needs no hidden imports for it.
            http=H11Protocol, ws="none", loop="asyncio", server_header=False,
            timeout_graceful_shutdown=2, timeout_keep_alive=5)
        self._server = uvicorn.Server(config)
        # uvicorn installs signal handlers only on the main thread; this is never it.
        self._thread = threading.Thread(target=self._run, name="api-server", daemon=True)
        self._thread.start()
        for _ in range(int(START_TIMEOUT_S / 0.01)):
            if self._server.started or self._error is not None or not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not self._server.started:
            self.stop()
            reason = self._error or "it did not start in time"
            raise ServerStartError(f"The API server could not start: {reason}")
        log.info("API server listening on %s", self.url)

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # reported by start(); a thread must not die silently
            self._error = exc
            log.exception("API server stopped with an error")

    def stop(self) -> None:
        """Stop listening, end open requests (their jobs stop), join the thread."""
        self.state.stop_all()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                log.warning("API server thread did not stop within %.0f s", STOP_TIMEOUT_S)
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if sys.platform != "win32":  # on Windows it would let another program take the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        reason = "the port is in use by another program" if exc.errno in (98, 48, 10048) \
            else (exc.strerror or str(exc))
        raise ServerStartError(f"Cannot listen on {host}:{port}: {reason}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
