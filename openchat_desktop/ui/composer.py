"""Where the user writes: a growing text box and a Send button that turns into Stop.

With ``ui.send_key`` "enter", Enter sends and Shift+Enter starts a new line; with
"ctrl+enter", Ctrl+Enter sends and Enter starts a new line.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSizeF, Qt, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPlainTextEdit, QPushButton, QWidget

from openchat_desktop.ui.i18n import Translator
from openchat_desktop.ui.widgets import named

MAX_LINES = 10


class ComposerEdit(QPlainTextEdit):
    """The text box. Signals: submit() when the send key is pressed."""

    submit = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.send_key = "enter"
        self.setObjectName("composerEdit")
        self.setTabChangesFocus(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        # A file dropped here is for the window (a model to use, documents to attach), not
        # its path as text to paste.
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.ignore()
            return
        super().dragEnterEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            super().keyPressEvent(event)
            return
        modifiers = event.modifiers()
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        sends = ctrl if self.send_key == "ctrl+enter" else not (shift or ctrl)
        if sends:
            self.submit.emit()
        else:
            self.insertPlainText("\n")


class Composer(QFrame):
    """The message box and its Send/Stop button.

    Signals:
        send_requested(str text): the user sent ``text`` (never blank).
        stop_requested(): the user pressed Stop while a reply streams.
    """

    send_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, i18n: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._i18n = i18n
        self._busy = False
        self.setObjectName("composerFrame")
        self.edit = ComposerEdit(self)
        self.button = named(QPushButton(self), "sendButton")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignBottom)
        self.edit.submit.connect(self._on_edit_submit)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self.edit.document().documentLayout().documentSizeChanged.connect(
            self._on_document_size_changed)
        self.button.clicked.connect(self._on_button_clicked)
        self._fit_height()
        self.retranslate()

    @property
    def is_busy(self) -> bool:
        return self._busy

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def set_send_key(self, key: str) -> None:
        self.edit.send_key = key
        self.retranslate()

    def set_busy(self, busy: bool) -> None:
        """While a reply streams the button stops it; sending waits for the reply to end."""
        self._busy = busy
        self.retranslate()

    def focus(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def retranslate(self) -> None:
        tr = self._i18n.tr
        if self.edit.send_key == "ctrl+enter":
            hint = tr("Message the model — Ctrl+Enter to send, Enter for a new line")
        else:
            hint = tr("Message the model — Enter to send, Shift+Enter for a new line")
        self.edit.setPlaceholderText(hint)
        self.edit.setAccessibleName(tr("Message"))
        self.edit.setAccessibleDescription(hint)
        self.button.setText(tr("Stop") if self._busy else tr("Send"))
        self.button.setAccessibleName(tr("Stop the reply") if self._busy else tr("Send message"))
        self.button.setToolTip(tr("Stop the reply (Esc)") if self._busy else hint)
        self._update_button()

    def _update_button(self) -> None:
        self.button.setEnabled(self._busy or bool(self.text().strip()))

    def _send(self) -> None:
        text = self.text()
        if self._busy or not text.strip():
            return
        self.edit.clear()
        self.send_requested.emit(text)

    def _fit_height(self, document_height: float | None = None) -> None:
        line = self.edit.fontMetrics().lineSpacing()
        lines = document_height if document_height is not None else 1
        shown = min(max(1.0, lines), MAX_LINES)
        margins = self.edit.contentsMargins()
        frame = 2 * self.edit.document().documentMargin() + margins.top() + margins.bottom()
        self.edit.setFixedHeight(math.ceil(shown * line + frame) + 2)

    @Slot()
    def _on_edit_submit(self) -> None:
        self._send()

    @Slot()
    def _on_button_clicked(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._send()

    @Slot()
    def _on_edit_text_changed(self) -> None:
        self._update_button()

    @Slot(QSizeF)
    def _on_document_size_changed(self, size: QSizeF) -> None:
        # QPlainTextEdit's document size is measured in lines, not pixels.
        self._fit_height(size.height())
