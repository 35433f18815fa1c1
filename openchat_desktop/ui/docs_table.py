"""The documents window's list of collections: name, files, chunks, size, when it was
indexed and how it is searched (by an embedding model's meaning, or by keywords alone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from openchat_desktop.core.sizes import format_size
from openchat_desktop.ui.formatting import when
from openchat_desktop.ui.i18n import N_
from openchat_desktop.ui.model_manager.widgets import cell, make_table
from openchat_desktop.ui.widgets import named

if TYPE_CHECKING:
    from openchat_desktop.services.docs import CollectionSummary, DocsService

Tr = Callable[[str], str]
COLUMNS = (N_("Name"), N_("Files"), N_("Chunks"), N_("Size"), N_("Indexed"), N_("Search"))


class CollectionsTable(QWidget):
    """Every collection, one row each, with the selection kept across refreshes.

    Signals:
        selection_changed(): another collection (or none) is selected.
    """

    selection_changed = Signal()

    def __init__(self, docs: DocsService, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._docs, self._tr = docs, tr
        self.summaries: list[CollectionSummary] = []
        self.table = make_table(COLUMNS, stretch=0, tr=tr)
        self.empty = named(QLabel(self), "muted")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.retranslate()

    def names(self) -> list[str]:
        return [summary.name for summary in self.summaries]

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.summaries):
            return None
        return self.summaries[rows[0].row()].name

    def select(self, name: str) -> None:
        if name in self.names():
            self.table.selectRow(self.names().index(name))

    def refresh(self) -> None:
        """Read the collections from the service again; the same one stays selected."""
        chosen = self.selected_name()
        self.table.blockSignals(True)
        try:
            self.summaries = list(self._docs.collections())
            self.table.setRowCount(len(self.summaries))
            for row, summary in enumerate(self.summaries):
                self._fill(row, summary)
            self.table.clearSelection()
            if chosen in self.names():
                self.select(str(chosen))
            elif self.summaries:
                self.table.selectRow(0)
        finally:
            self.table.blockSignals(False)
        self.empty.setVisible(not self.summaries)
        if self.selected_name() != chosen:
            self.selection_changed.emit()

    def _fill(self, row: int, summary: CollectionSummary) -> None:
        tr = self._tr
        sources = "\n".join(str(path) for path in summary.sources)
        self.table.setItem(row, 0, cell(summary.name, sources or summary.name))
        stats = summary.stats
        self.table.setItem(row, 1, cell(f"{stats.files:,}", align_right=True))
        self.table.setItem(row, 2, cell(f"{stats.chunks:,}", align_right=True))
        self.table.setItem(row, 3, cell(format_size(stats.bytes), align_right=True))
        if summary.indexing:
            indexed = tr("indexing…")
        elif stats.indexed_at is None:
            indexed = tr("not yet")
        else:
            indexed = when(stats.indexed_at, tr)
        self.table.setItem(row, 4, cell(indexed))
        search = (tr("by meaning: {model}").format(model=stats.embedding_model)
                  if stats.embedding_model else tr("keyword search"))
        self.table.setItem(row, 5, cell(search))

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self.selection_changed.emit()

    def retranslate(self) -> None:
        tr = self._tr
        self.table.setHorizontalHeaderLabels([tr(text) for text in COLUMNS])
        self.table.setAccessibleName(tr("Collections"))
        self.empty.setText(tr("No collections yet. Press \u201cNew collection…\u201d and choose "
                              "a folder: its documents are read on this computer and the chat "
                              "can then answer from them, with the sources it used."))
        for row, summary in enumerate(self.summaries):
            self._fill(row, summary)
