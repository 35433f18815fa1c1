"""The app's switch for the API server: starts, restarts and stops it as the ``server.*``
settings say, and reports what the status bar shows.

The server shares the window's model worker (one model in memory, one queue: the window's
replies first). Requests made through the API never reach the conversation store: API jobs
report to the server only, never through the worker's window signals.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.llm.sampling import SamplingSettings
from openchat_desktop.server.settings_link import config_from_settings, setting
from openchat_desktop.services.llm_worker import LlmWorker
from openchat_desktop.services.settings_bridge import SettingsBridge

if TYPE_CHECKING:
    from openchat_desktop.server.config import ServerConfig
    from openchat_desktop.server.runner import ServerThread

log = logging.getLogger(__name__)
APPLY_DELAY_MS = 500


class ApiServerSwitch(QObject):
    """Keeps the API server in step with the settings.

    Signals: ``status_changed(str address, int served, int active)`` (address "" when the
    server is off; ``active`` counts requests running or waiting), ``failed(str message)``
    (one line: the port is taken, the network is allowed without a key).
    """

    status_changed = Signal(str, int, int)
    failed = Signal(str)
    _activity = Signal(int, int)  # emitted on the server's thread, delivered on this one

    def __init__(self, settings: SettingsBridge, worker: LlmWorker,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._worker = worker
        self._server: ServerThread | None = None
        # The settings dialog applies every keystroke at once: typing a port or a key would
        # restart the server per character, so changes settle for a moment first.
        self._apply_timer = QTimer(self, singleShot=True, interval=APPLY_DELAY_MS)
        self._apply_timer.timeout.connect(self.apply)
        self._activity.connect(self._on_server_activity)
        settings.changed.connect(self._on_settings_changed)

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT`` while the server runs, else ""."""
        return self._server.address if self._server is not None else ""

    @Slot()
    def apply(self) -> None:
        """Start, restart or stop the server to match the settings now (a running server
        whose settings did not change is left alone: its clients keep their connections)."""
        if not setting(self._settings, "server.enabled", False):
            self.stop()
            return
        try:
            config = config_from_settings(self._settings)
        except OpenChatError as exc:
            self.stop()
            self._refuse(exc)
            return
        if self._server is not None and self._server.state.config == config:
            return
        self.stop()
        self._start(config)

    def _start(self, config: ServerConfig) -> None:
        # Imported only when the server is on: FastAPI and uvicorn cost start-up time.
        from openchat_desktop.server.model_ids import ModelDirectory
        from openchat_desktop.server.runner import ServerThread
        from openchat_desktop.server.state import ServerState

        state = ServerState(config, self._worker,
                            ModelDirectory(self._settings.get("models.extra_dirs")),
                            self._sampling(), on_activity=self._activity.emit)
        server = ServerThread(state)
        try:
            server.start()
        except OpenChatError as exc:
            self._refuse(exc)
            return
        self._server = server
        self.status_changed.emit(server.address, 0, 0)

    def _refuse(self, exc: OpenChatError) -> None:
        log.warning("API server not started: %s", exc)
        self.failed.emit(str(exc))

    def stop(self) -> None:
        """Stop the server (open requests end, their jobs stop); safe when it is off."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            self.status_changed.emit("", 0, 0)

    def _sampling(self) -> SamplingSettings:
        return SamplingSettings.from_dict(self._settings.section("sampling"))

    @Slot(str, object)
    def _on_settings_changed(self, key: str, _value: Any) -> None:
        if key.startswith("server."):
            self._apply_timer.start()
        elif key.startswith("sampling.") and self._server is not None:
            self._server.state.sampling = self._sampling()
        elif key == "models.extra_dirs" and self._server is not None:
            from openchat_desktop.server.model_ids import ModelDirectory

            self._server.state.directory = ModelDirectory(self._settings.get(key))

    @Slot(int, int)
    def _on_server_activity(self, served: int, active: int) -> None:
        if self._server is not None:
            self.status_changed.emit(self._server.address, served, active)
