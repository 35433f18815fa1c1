"""The "New collection" form: a name and the folders and files it gathers.

Folders and files are chosen with the system's file dialogs; ``add_sources`` takes paths
directly (what a test or a drop passes). The form checks only that there is a name and a
source: whether the name is free is the docs service's to say, shown in the documents window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.ui.widgets import named

Tr = Callable[[str], str]


def choose_folder(parent: QWidget | None, tr: Tr) -> list[Path]:
    """Ask for one folder; [] when the person cancels."""
    folder = QFileDialog.getExistingDirectory(parent, tr("Add a folder"))
    return [Path(folder)] if folder else []


def choose_files(parent: QWidget | None, tr: Tr) -> list[Path]:
    """Ask for any number of files; [] when the person cancels."""
    files, _filter = QFileDialog.getOpenFileNames(parent, tr("Add files"))
    return [Path(name) for name in files]


class NewCollectionDialog(QDialog):
    """Asks for a collection's name and its sources. Signals: those of ``QDialog``."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self.setWindowTitle(tr("New collection"))
        self.resize(520, 360)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(tr("e.g. Work notes"))
        self.sources_list = QListWidget(self)
        self.sources_list.setAccessibleName(tr("Folders and files"))
        self.add_folder_button = QPushButton(tr("Add folder…"), self)
        self.add_files_button = QPushButton(tr("Add files…"), self)
        self.remove_button = QPushButton(tr("Remove from list"), self)
        self.hint = named(QLabel(tr("Every supported file in a folder and its subfolders is "
                                    "read: PDF, Word (DOCX), Markdown, text, HTML and source "
                                    "code. Nothing leaves this computer."), self), "muted")
        self.hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(tr("Create and index"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self._lay_out()
        self._connect()
        self._update_ok()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow(self._tr("Name"), self.name_edit)
        row = QHBoxLayout()
        for button in (self.add_folder_button, self.add_files_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(self._tr("Folders and files"), self))
        layout.addWidget(self.sources_list, 1)
        layout.addLayout(row)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)

    def _connect(self) -> None:
        self.name_edit.textChanged.connect(self._update_ok)
        self.add_folder_button.clicked.connect(self._on_add_folder_clicked)
        self.add_files_button.clicked.connect(self._on_add_files_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def name(self) -> str:
        return self.name_edit.text().strip()

    def sources(self) -> list[Path]:
        return [Path(self.sources_list.item(row).text())
                for row in range(self.sources_list.count())]

    def add_sources(self, paths: Iterable[Path]) -> None:
        """Add folders or files to the list, each once."""
        known = set(self.sources())
        for path in paths:
            if path not in known:
                self.sources_list.addItem(str(path))
                known.add(path)
        self._update_ok()

    @Slot()
    def _on_add_folder_clicked(self) -> None:
        self.add_sources(choose_folder(self, self._tr))

    @Slot()
    def _on_add_files_clicked(self) -> None:
        self.add_sources(choose_files(self, self._tr))

    @Slot()
    def _on_remove_clicked(self) -> None:
        for item in self.sources_list.selectedItems():
            self.sources_list.takeItem(self.sources_list.row(item))
        self._update_ok()

    @Slot()
    def _update_ok(self) -> None:
        self.ok_button.setEnabled(bool(self.name()) and self.sources_list.count() > 0)
