"""``openchat gui --smoke-test``: open the real window, ask one question through the composer,
see the answer stream, optionally save a screenshot, close.

It proves the whole path a user takes (window, model load, worker thread, session, view)
without a person at the keyboard. ``finished(code, reason)`` ends it; 0 means it worked.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)
QUESTION = "What is the capital of France?"
MIN_TOKENS = 8
TIMEOUT_S = 120
FINISH_GRACE_MS = 30_000
SETTLE_MS = 200


class SmokeTest(QObject):
    """Drives the window through one chat turn.

    Signals:
        finished(int code, str reason): 0 and "" on success, else 1 and a one-line reason.
    """

    finished = Signal(int, str)

    def __init__(self, window: MainWindow, screenshot: str | None = None,
                 timeout_s: float = TIMEOUT_S) -> None:
        super().__init__(window)
        self._window, self._ctx = window, window.ctx
        self._screenshot = screenshot
        self._tokens = 0
        self._message_id: int | None = None
        self._done = False
        self.code: int | None = None
        self.reason = ""
        self._deadline = QTimer(self, singleShot=True, interval=int(timeout_s * 1000))
        self._deadline.timeout.connect(self._on_deadline_timeout)

    def start(self) -> None:
        ctx = self._ctx
        ctx.worker.loaded.connect(self._on_worker_loaded)
        ctx.worker.load_failed.connect(self._on_worker_load_failed)
        ctx.session.reply_started.connect(self._on_session_reply_started)
        ctx.session.reply_delta.connect(self._on_session_reply_delta)
        ctx.session.reply_finished.connect(self._on_session_reply_finished)
        ctx.session.reply_failed.connect(self._on_session_reply_failed)
        self._deadline.start()
        try:
            ctx.session.new_conversation()
            if not ctx.session.ensure_model_loaded():
                self._fail("no model to load")
        except OpenChatError as exc:
            self._fail(str(exc))

    # -- steps ------------------------------------------------------------------------------
    @Slot(object)
    def _on_worker_loaded(self, _status: object) -> None:
        if self._message_id is not None or self._done:
            return
        composer = self._window.composer
        composer.set_text(QUESTION)
        composer.button.click()  # the same path as a user pressing Send
        if not self._ctx.session.is_busy:
            self._fail("the composer did not send the message")

    @Slot(int)
    def _on_session_reply_started(self, message_id: int) -> None:
        self._message_id = message_id

    @Slot(int, str)
    def _on_session_reply_delta(self, message_id: int, _text: str) -> None:
        if message_id == self._message_id:
            self._tokens += 1
            if self._tokens == MIN_TOKENS:
                log.info("smoke test: %d tokens streamed", self._tokens)
                QTimer.singleShot(FINISH_GRACE_MS, self._ctx.session.stop)

    @Slot(int, object)
    def _on_session_reply_finished(self, message_id: int, _stats: object) -> None:
        if message_id != self._message_id:
            return
        text = self._ctx.session.messages()[-1].content if self._ctx.session.messages() else ""
        if self._tokens >= MIN_TOKENS or (self._tokens > 0 and text.strip()):
            QTimer.singleShot(SETTLE_MS, self._succeed)
        else:
            self._fail(f"the reply ended after {self._tokens} streamed pieces")

    @Slot(int, str)
    def _on_session_reply_failed(self, _message_id: int, message: str) -> None:
        self._fail(f"the reply failed: {message}")

    @Slot(str, str)
    def _on_worker_load_failed(self, message: str, _details: str) -> None:
        self._fail(f"the model did not load: {message}")

    @Slot()
    def _on_deadline_timeout(self) -> None:
        self._fail(f"timed out after {self._deadline.interval() // 1000} s "
                   f"({self._tokens} tokens streamed)")

    # -- ending -----------------------------------------------------------------------------
    def _succeed(self) -> None:
        if self._screenshot:
            path = Path(self._screenshot)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self._window.grab().save(str(path)):
                self._fail(f"could not save the screenshot to {path}")
                return
        self._end(0, "")

    def _fail(self, reason: str) -> None:
        self._end(1, reason)

    def _end(self, code: int, reason: str) -> None:
        if self._done:
            return
        self._done = True
        self._deadline.stop()
        self.code, self.reason = code, reason
        self._ctx.session.stop()
        conv_id = self._ctx.session.current_id
        if conv_id is not None:  # leave the user's conversation list as it was
            try:
                self._ctx.session.delete_conversation(conv_id)
            except OpenChatError as exc:
                log.warning("smoke test conversation not removed: %s", exc)
        self.finished.emit(code, reason)
