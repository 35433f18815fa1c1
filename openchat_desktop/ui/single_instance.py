"""One window per data folder: a second launch asks the first to come to the front, then exits.

The first instance listens on a local socket named after the data folder (and the user), so
two portable installs with different ``OPENCHAT_HOME`` folders can still run side by side.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)
RAISE = b"raise\n"
READ_TIMEOUT_MS = 200


def server_name(data_dir: Path) -> str:
    """The socket name for ``data_dir``: stable, short, and private to this user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        user = "user"
    digest = hashlib.sha256(f"{user}:{data_dir.resolve()}".encode()).hexdigest()[:20]
    return f"openchat-{digest}"


class SingleInstance(QObject):
    """The local socket that tells a running instance to show itself.

    Signals:
        activated(): another launch asked this instance to bring its window to the front.
    """

    activated = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server: QLocalServer | None = None

    def notify_running(self, timeout_ms: int = 500) -> bool:
        """Ask a running instance to raise its window; True if one answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(RAISE)
        socket.flush()
        socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        """Start answering later launches; False (and a log line) if the socket is taken."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A socket file left by a crashed instance (nobody answered notify_running).
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("single-instance socket unavailable: %s", server.errorString())
                return False
        server.newConnection.connect(self._on_server_new_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @Slot()
    def _on_server_new_connection(self) -> None:
        # Read at once rather than on readyRead: a slot that captures the socket keeps its
        # Python wrapper alive past the C++ object and PySide then deletes it twice.
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            if not socket.bytesAvailable():
                socket.waitForReadyRead(READ_TIMEOUT_MS)
            request = bytes(socket.readAll().data())
            socket.abort()
            socket.deleteLater()
            if RAISE.strip() in request:
                self.activated.emit()
