"""The model manager's "Catalog" tab: curated models, whether each fits, and Download."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from openchat_desktop.core.sizes import format_size
from openchat_desktop.services.downloads import DownloadService
from openchat_desktop.services.machine import CatalogRow, MachineMemory
from openchat_desktop.services.model_catalog import ModelCatalogService
from openchat_desktop.ui.model_manager_widgets import (
    FIT_TIPS,
    InlineNotice,
    cell,
    fit_cell,
    make_table,
)

COLUMNS = ("Model", "Parameters", "Quantization", "Size", "Context", "Licence", "Fit", "",
           "Description")
ACTION_COLUMN = COLUMNS.index("")
_BUSY = {"queued", "starting", "downloading", "retrying", "verifying"}


class CatalogTab(QWidget):
    """The curated catalog with a fit badge per model and a Download button.

    Signals:
        download_requested(str repo, str filename): Download was pressed.
    """

    download_requested = Signal(str, str)

    def __init__(self, catalog: ModelCatalogService, downloads: DownloadService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._downloads = downloads
        self.rows: list[CatalogRow] = []
        self.memory_label = QLabel("Checking this computer's memory…")
        self.memory_label.setWordWrap(True)
        self.notice = InlineNotice()
        self.table = make_table(COLUMNS)
        self.about = QLabel("Select a model to read about it.")
        self.about.setWordWrap(True)
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.memory_label)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.about)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        catalog.catalog_ready.connect(self._on_catalog_ready)
        catalog.library_failed.connect(self._on_catalog_library_failed)
        downloads.state_changed.connect(self._on_download_state_changed)

    def action_button(self, row: int) -> QPushButton | None:
        widget = self.table.cellWidget(row, ACTION_COLUMN)
        return widget if isinstance(widget, QPushButton) else None

    @Slot(list, object)
    def _on_catalog_ready(self, rows: list[CatalogRow], memory: MachineMemory) -> None:
        self.rows = list(rows)
        self.memory_label.setText(memory.describe())
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            entry = row.entry
            cells = (cell(entry.id, f"{entry.repo}\n{entry.file}"),
                     cell(entry.parameters, align_right=True), cell(entry.quantization),
                     cell(format_size(entry.size_bytes), align_right=True),
                     cell(f"{entry.context_length:,}", align_right=True), cell(entry.license),
                     fit_cell(row.fit))
            for column, item in enumerate(cells):
                self.table.setItem(index, column, item)
            self.table.setItem(index, len(COLUMNS) - 1, cell(entry.description))
        self._update_actions()
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(COLUMNS.index("Fit"), 72)

    @Slot()
    def _on_table_selection_changed(self) -> None:
        index = self.table.currentRow()
        if 0 <= index < len(self.rows):
            row = self.rows[index]
            entry = row.entry
            self.about.setText(f"{entry.description}\n{entry.repo} · {entry.file} · fit: "
                               f"{FIT_TIPS[row.fit].lower()}")

    def _update_actions(self) -> None:
        busy = {item.target for item in self._downloads.items() if item.state in _BUSY}
        for index, row in enumerate(self.rows):
            button = self.action_button(index) or self._new_button(index)
            downloading = row.target in busy
            button.setText("Installed" if row.installed else
                           "Downloading…" if downloading else "Download")
            button.setEnabled(not row.installed and not downloading)

    def _new_button(self, index: int) -> QPushButton:
        button = QPushButton()
        button.clicked.connect(lambda: self._on_download_clicked(index))
        self.table.setCellWidget(index, ACTION_COLUMN, button)
        return button

    def _on_download_clicked(self, index: int) -> None:
        entry = self.rows[index].entry
        self.download_requested.emit(entry.repo, entry.file)
        self._update_actions()

    @Slot(int, str)
    def _on_download_state_changed(self, _item_id: int, _state: str) -> None:
        self._update_actions()

    @Slot(str)
    def _on_catalog_library_failed(self, message: str) -> None:
        self.notice.show_message(message, "error")

    def row_for(self, target: Path) -> int:
        """The row of the entry that downloads to ``target``; -1 if none."""
        return next((i for i, row in enumerate(self.rows) if row.target == target), -1)
