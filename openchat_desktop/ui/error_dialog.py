"""The error dialog: one line saying what went wrong, details on request, the log's place.

It is window-modal but opened with ``open()``, never ``exec()``: the app keeps running behind
it (a model that failed to load leaves everything else usable).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.ui.formatting import Tr
from openchat_desktop.ui.i18n import Translator
from openchat_desktop.ui.widgets import named


class ErrorDialog(QDialog):
    """Shows ``message`` (one line), optional ``details`` and the log file path.

    Signals: those of ``QDialog``.
    """

    def __init__(self, message: str, details: str, log_file: Path | None, i18n: Translator,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message, self.details, self.log_file = message, details, log_file
        tr = i18n.tr
        self.setWindowTitle(tr("Something went wrong"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(size, size))
        self.message_label = QLabel(message, self, wordWrap=True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setAccessibleName(tr("Error message"))
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.message_label, 1)
        self.details_view = QPlainTextEdit(details, self, readOnly=True)
        self.details_view.setAccessibleName(tr("Error details"))
        self.details_view.setVisible(False)
        self.log_label = named(QLabel(self, wordWrap=True), "muted")
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if log_file is not None:
            self.log_label.setText(tr("Log file: {path}").format(path=log_file))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_view)
        layout.addWidget(self.log_label)
        layout.addWidget(self._buttons(tr))
        self.setMinimumWidth(460)

    def _buttons(self, tr: Tr) -> QDialogButtonBox:
        box = QDialogButtonBox(self)
        self.copy_button = QPushButton(tr("Copy details"), self)
        self.show_button = QPushButton(tr("Show details"), self)
        self.show_button.setCheckable(True)
        self.show_button.setEnabled(bool(self.details))
        self.open_log_button = QPushButton(tr("Open log folder"), self)
        self.open_log_button.setEnabled(self.log_file is not None)
        close = box.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText(tr("Close"))
        for button in (self.copy_button, self.show_button, self.open_log_button):
            box.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        box.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.show_button.toggled.connect(self.details_view.setVisible)
        self.open_log_button.clicked.connect(self._on_open_log_button_clicked)
        close.setFocus()
        return box

    def copied_text(self) -> str:
        """What "Copy details" puts on the clipboard."""
        parts = [self.message, self.details.strip()]
        if self.log_file is not None:
            parts.append(f"Log file: {self.log_file}")
        return "\n\n".join(part for part in parts if part)

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.copied_text())

    @Slot()
    def _on_open_log_button_clicked(self) -> None:
        if self.log_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_file.parent)))
