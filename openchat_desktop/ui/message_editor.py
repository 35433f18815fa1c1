"""The inline editor that replaces a user message while it is being edited."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from openchat_desktop.ui.i18n import Translator


class _EditorText(QPlainTextEdit):
    """Ctrl+Enter sends, Esc cancels. Signals: submit(), cancel()."""

    submit = Signal()
    cancel = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.submit.emit()
        elif event.key() == Qt.Key.Key_Escape:
            self.cancel.emit()
        else:
            super().keyPressEvent(event)


class MessageEditor(QWidget):
    """Edit a message's text; sending makes a new branch beside the original.

    Signals:
        submitted(str text): "Send" (or Ctrl+Enter) with non-blank text.
        cancelled(): "Cancel" (or Esc).
    """

    submitted = Signal(str)
    cancelled = Signal()

    def __init__(self, text: str, i18n: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._i18n = i18n
        self.edit = _EditorText(self)
        self.edit.setPlainText(text)
        self.edit.setTabChangesFocus(True)
        self.edit.setMinimumHeight(80)
        self.cancel_button = QPushButton(self)
        self.send_button = QPushButton(self)
        self.send_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addLayout(buttons)
        self.edit.submit.connect(self._on_send_clicked)
        self.edit.cancel.connect(self.cancelled)
        self.send_button.clicked.connect(self._on_send_clicked)
        self.cancel_button.clicked.connect(self.cancelled)
        self.retranslate()

    def focus(self) -> None:
        self.edit.setFocus()
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)

    def retranslate(self) -> None:
        tr = self._i18n.tr
        self.edit.setAccessibleName(tr("Edited message"))
        self.cancel_button.setText(tr("Cancel"))
        self.send_button.setText(tr("Save and send"))
        self.send_button.setToolTip(tr("Send the edited message as a new branch (Ctrl+Enter)"))

    @Slot()
    def _on_send_clicked(self) -> None:
        text = self.edit.toPlainText()
        if text.strip():
            self.submitted.emit(text)
