"""The status bar: which model is loaded, where it runs, how full the context is, how fast.

The device text is the engine's own account of where the model ended up (CPU, or the GPU
backend and its layers, with the reason when a GPU load fell back to the CPU). Live speed is
counted from streamed pieces and refreshed a few times a second, not per token.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.remote.model_ref import remote_host
from openchat_desktop.services.llm_worker import ModelStatus
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.widgets import named

SPEED_REFRESH_MS = 250
MESSAGE_MS = 5000


class StatusBar(QStatusBar):
    """Model, device, context and speed, plus passing messages.

    Signals: those of ``QStatusBar``.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._state = "idle"  # idle | none | loading | loaded | failed
        self._model = ""
        self._device = ""
        self._context: tuple[int, int] | None = None
        self._first_token_at: float | None = None
        self._first_tokens = self._tokens = 0
        self._speed: float | None = None
        self._api: tuple[str, int, int] = ("", 0, 0)  # address ("" = off), served, active
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setFixedWidth(80)
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.model_label = QLabel(self)
        self._remote = ""  # host:port while a remote model is loaded
        # The privacy promise: a model on another machine is never mistaken for a local one.
        self.remote_label = named(QLabel(self), "warningLabel")
        self.remote_label.setStyleSheet("font-weight: bold;")
        self.remote_label.hide()
        self.device_label = named(QLabel(self), "muted")
        self.context_label = named(QLabel(self), "muted")
        self.speed_label = named(QLabel(self), "muted")
        self.api_label = named(QLabel(self), "muted")
        self.api_label.hide()
        for widget in (self.progress, self.model_label, self.remote_label, self.device_label,
                       self.context_label,
                       self.speed_label, self.api_label):
            if isinstance(widget, QLabel):
                widget.setContentsMargins(8, 0, 8, 0)
            self.addPermanentWidget(widget)
        self._timer = QTimer(self, interval=SPEED_REFRESH_MS)
        self._timer.timeout.connect(self._on_speed_timer_timeout)
        self._connect()
        self.retranslate()

    def _connect(self) -> None:
        worker, session = self._ctx.worker, self._ctx.session
        worker.load_started.connect(self._on_worker_load_started)
        worker.loaded.connect(self._on_worker_loaded)
        worker.load_failed.connect(self._on_worker_load_failed)
        worker.context_used.connect(self._on_worker_context_used)
        session.reply_started.connect(self._on_session_reply_started)
        session.reply_progress.connect(self._on_session_reply_progress)
        session.reply_finished.connect(self._on_session_reply_finished)
        session.reply_failed.connect(self._on_session_reply_failed)

    @property
    def is_loading(self) -> bool:
        return self._state == "loading"

    def show_no_model(self) -> None:
        """There is no model to load at all: say where to get one, until one loads."""
        self._state = "none"
        self.retranslate()

    def show_message(self, text: str) -> None:
        self.showMessage(text, MESSAGE_MS)

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        texts = {"idle": tr("No model loaded"), "failed": tr("Model not loaded"),
                 "none": tr("No model yet: get one in Models → Model Manager (Ctrl+Shift+M), "
                            "or drop a .gguf file on the window"),
                 "loading": tr("Loading model {name}…").format(name=self._model),
                 "loaded": tr("Model: {name}").format(name=self._model)}
        self.model_label.setText(texts[self._state])
        self.model_label.setAccessibleName(tr("Model status"))
        self.device_label.setText(tr("Device: {device}").format(device=self._device)
                                  if self._device else "")
        self.device_label.setToolTip(self._device)
        self.remote_label.setText(tr("Remote: {host}").format(host=self._remote))
        self.remote_label.setToolTip(tr("Your messages are sent to {host} and answered "
                                        "there.").format(host=self._remote))
        self.remote_label.setAccessibleName(tr("Remote model"))
        if self._context is not None:
            self.context_label.setText(tr("Context {used} / {size}").format(
                used=self._context[0], size=self._context[1]))
        self.speed_label.setText(tr("{speed:.1f} tok/s").format(speed=self._speed)
                                 if self._speed else "")
        self.progress.setAccessibleName(tr("Loading model"))
        address, served, active = self._api
        self.api_label.setText(
            tr("API: {address} · {served} served · {active} in progress").format(
                address=address, served=served, active=active) if active else
            tr("API: {address} · {served} served").format(address=address, served=served))
        self.api_label.setAccessibleName(tr("Local API server"))

    @Slot(str, int, int)
    def show_api_status(self, address: str, served: int, active: int) -> None:
        """The local API server's address and requests (served, running or waiting); an
        empty address hides it (the server is off)."""
        self._api = (address, served, active)
        self.api_label.setVisible(bool(address))
        self.retranslate()

    # -- model ------------------------------------------------------------------------------
    @Slot(str)
    def _on_worker_load_started(self, path: str) -> None:
        self._state, self._model, self._device = "loading", Path(path).stem, ""
        self._show_remote("")
        self._context = None
        self.progress.show()
        self.retranslate()

    @Slot(object)
    def _on_worker_loaded(self, status: ModelStatus) -> None:
        self._state, self._model, self._device = "loaded", status.model_name, status.device
        self._show_remote(remote_host(status.device))
        self._context = (0, status.n_ctx)
        self.progress.hide()
        self.retranslate()

    @Slot(str, str)
    def _on_worker_load_failed(self, _message: str, _details: str) -> None:
        self._state, self._device = "failed", ""
        self._show_remote("")
        self.progress.hide()
        self.retranslate()

    def _show_remote(self, host: str) -> None:
        self._remote = host
        if host:
            self._device = ""  # the remote label says it, in its own colour
        self.remote_label.setVisible(bool(host))

    @Slot(int, int)
    def _on_worker_context_used(self, used: int, size: int) -> None:
        self._context = (used, size)
        self.retranslate()

    # -- speed ------------------------------------------------------------------------------
    @Slot(int)
    def _on_session_reply_started(self, _message_id: int) -> None:
        self._first_token_at, self._speed = None, None
        self._first_tokens = self._tokens = 0
        self._timer.start()
        self.retranslate()

    @Slot(int, int)
    def _on_session_reply_progress(self, _message_id: int, tokens: int) -> None:
        if self._first_token_at is None:
            self._first_token_at, self._first_tokens = time.perf_counter(), tokens
        self._tokens = tokens

    @Slot(int, object)
    def _on_session_reply_finished(self, _message_id: int, stats: GenerationStats) -> None:
        self._timer.stop()
        self._speed = stats.tokens_per_second or self._speed
        self.retranslate()

    @Slot(int, str)
    def _on_session_reply_failed(self, _message_id: int, _message: str) -> None:
        self._timer.stop()

    @Slot()
    def _on_speed_timer_timeout(self) -> None:
        if self._first_token_at is None or self._tokens <= self._first_tokens:
            return
        elapsed = time.perf_counter() - self._first_token_at
        if elapsed > 0:
            self._speed = (self._tokens - self._first_tokens) / elapsed
            self.retranslate()
