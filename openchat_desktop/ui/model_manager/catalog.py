"""The model manager's "Catalog" tab: curated models, what each can do (thinking, tools,
context), whether each fits, its authors' recommended sampling, and Download."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from openchat_desktop.core.models.catalog import CatalogEntry, format_context
from openchat_desktop.core.sizes import format_size
from openchat_desktop.services.downloads import DownloadService
from openchat_desktop.services.machine import CatalogRow, MachineMemory
from openchat_desktop.services.model_catalog import ModelCatalogService
from openchat_desktop.ui.i18n import N_
from openchat_desktop.ui.model_manager.widgets import (
    FIT_TIPS,
    InlineNotice,
    Tr,
    cell,
    fit_cell,
    make_table,
    untranslated,
)

COLUMNS = (N_("Model"), N_("Parameters"), N_("Quantization"), N_("Size"), N_("Context"),
           N_("Can do"), N_("Licence"), N_("Fit"), "", N_("Description"))
ACTION_COLUMN = COLUMNS.index("")
_BUSY = {"queued", "starting", "downloading", "retrying", "verifying"}
THINKING_TEXTS = {"yes": N_("thinks"), "toggle": N_("thinking on/off"),
                  "effort": N_("thinking low/medium/high")}
SAMPLING_NAMES = {"temperature": N_("temperature"), "top_p": N_("top-p"), "top_k": N_("top-k"),
                  "min_p": N_("min-p"), "repeat_penalty": N_("repeat penalty")}


class CatalogTab(QWidget):
    """The curated catalog with a fit badge per model and a Download button.

    Signals:
        download_requested(str repo, str filename): Download was pressed.
    """

    download_requested = Signal(str, str)

    def __init__(self, catalog: ModelCatalogService, downloads: DownloadService,
                 parent: QWidget | None = None, *, tr: Tr = untranslated) -> None:
        super().__init__(parent)
        self._downloads, self._tr = downloads, tr
        self.rows: list[CatalogRow] = []
        self._memory: MachineMemory | None = None
        self.memory_label = QLabel(tr("Checking this computer's memory…"))
        self.memory_label.setWordWrap(True)
        self.notice = InlineNotice()
        self.table = make_table(COLUMNS, tr=tr)
        self.about = QLabel(tr("Select a model to read about it."))
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

    def retranslate(self) -> None:
        """Put the labels in the current language (the rows are drawn again)."""
        tr = self._tr
        self.table.setHorizontalHeaderLabels([tr(text) if text else "" for text in COLUMNS])
        if self._memory is None:
            self.memory_label.setText(tr("Checking this computer's memory…"))
        else:
            self._on_catalog_ready(self.rows, self._memory)
        if self.table.currentRow() < 0:
            self.about.setText(tr("Select a model to read about it."))
        else:
            self._on_table_selection_changed()

    def action_button(self, row: int) -> QPushButton | None:
        widget = self.table.cellWidget(row, ACTION_COLUMN)
        return widget if isinstance(widget, QPushButton) else None

    @Slot(list, object)
    def _on_catalog_ready(self, rows: list[CatalogRow], memory: MachineMemory) -> None:
        self.rows, self._memory = list(rows), memory
        self.memory_label.setText(describe_memory(memory, self._tr))
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            entry = row.entry
            cells = (cell(entry.id, f"{entry.repo}\n{entry.file}"),
                     cell(entry.parameters, align_right=True), cell(entry.quantization),
                     cell(format_size(entry.size_bytes), align_right=True),
                     cell(f"{entry.context_length:,}", align_right=True),
                     cell(capability_text(entry, self._tr)), cell(entry.license),
                     fit_cell(row.fit, self._tr))
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
            about = self._tr("{description}\n{repo} · {file} · fit: {fit}").format(
                description=entry.description, repo=entry.repo, file=entry.file,
                fit=self._tr(FIT_TIPS[row.fit]).lower())
            self.about.setText("\n".join([about, capability_text(entry, self._tr),
                                          *recommended_text(entry, self._tr)]))

    def _update_actions(self) -> None:
        busy = {item.target for item in self._downloads.items() if item.state in _BUSY}
        for index, row in enumerate(self.rows):
            button = self.action_button(index) or self._new_button(index)
            downloading = row.target in busy
            tr = self._tr
            button.setText(tr("Installed") if row.installed else
                           tr("Downloading…") if downloading else tr("Download"))
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


def capability_text(entry: CatalogEntry, tr: Tr = untranslated) -> str:
    """What a model can do, e.g. "thinking on/off · tools · 32K context", or for an embedding
    model "embeddings (local documents) · 768 dimensions · 2K context"."""
    if entry.is_embedding:
        return " · ".join([tr("embeddings (local documents)"),
                           tr("{count} dimensions").format(count=entry.dimensions),
                           tr("{size} context").format(size=format_context(entry.context_length))])
    marks = [tr(THINKING_TEXTS[entry.thinking])] if entry.thinking in THINKING_TEXTS else []
    if entry.tools:
        marks.append(tr("tools"))
    marks.append(tr("{size} context").format(size=format_context(entry.context_length)))
    return " · ".join(marks)


def recommended_text(entry: CatalogEntry, tr: Tr = untranslated) -> list[str]:
    """The authors' sampling as one line (none when they recommend none)."""
    if not entry.recommended:
        return []
    values = ", ".join(f"{tr(SAMPLING_NAMES.get(name, name))} {value:g}"
                       for name, value in entry.recommended)
    return [tr("Recommended settings (used as this model's defaults): {values} — {source}")
            .format(values=values, source=entry.recommended_source)]


def describe_memory(memory: MachineMemory, tr: Tr = untranslated) -> str:
    """``MachineMemory.describe`` in the interface language."""
    if memory.vram_bytes is not None:
        return tr("Fit is judged against {size} of GPU memory.").format(
            size=format_size(memory.vram_bytes))
    if memory.gpu_build:
        text = tr("Fit is judged against {size} of RAM; this build can use a GPU, but its "
                  "memory size is unknown.")
    elif memory.gpu_build is None:
        text = tr("Fit is judged against {size} of RAM; whether a GPU can be used is unknown.")
    else:
        text = tr("Fit is judged against {size} of RAM (CPU-only build, no GPU memory used).")
    return text.format(size=format_size(memory.ram_bytes))
