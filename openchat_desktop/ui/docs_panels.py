"""The lower half of the documents window: the selected collection's skipped files with their
reasons, and a search box to try a question and see the ranked passages it would bring.

The search runs on the task pool (with an embedding model the query is embedded first, which
takes longer than a keystroke should); an answer to an older query than the last is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.docs.types import Passage, SkippedFile
from openchat_desktop.ui.i18n import N_
from openchat_desktop.ui.model_manager.widgets import cell, make_table
from openchat_desktop.ui.widgets import named

if TYPE_CHECKING:
    from openchat_desktop.services.docs import DocsService

Tr = Callable[[str], str]
SKIPPED_COLUMNS = (N_("File"), N_("Reason"))
RESULT_COLUMNS = ("#", N_("File"), N_("Where"), N_("Score"))
DEFAULT_K = 5


class SkippedPanel(QWidget):
    """The files of one collection indexing left out, each with its one-line reason.

    Signals: none.
    """

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self._skipped: list[SkippedFile] = []
        self._done = False
        self.table = make_table(SKIPPED_COLUMNS, stretch=1, tr=tr)
        self.empty = named(QLabel(self), "muted")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.empty, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.table, 1)
        self.retranslate()

    def show_skipped(self, skipped: Sequence[SkippedFile], done: bool = True) -> None:
        """List ``skipped``; ``done`` says the collection is indexed (not still running)."""
        self._skipped, self._done = list(skipped), done
        tr = self._tr
        self.empty.setText(tr("Every file of this collection could be read.") if done else
                           tr("Files that cannot be read are listed here, each with the "
                              "reason."))
        self.table.setRowCount(len(self._skipped))
        for row, item in enumerate(self._skipped):
            self.table.setItem(row, 0, cell(item.path.name, str(item.path)))
            self.table.setItem(row, 1, cell(item.reason))
        self.empty.setVisible(not self._skipped)
        self.table.setVisible(bool(self._skipped))

    def reasons(self) -> dict[str, str]:
        """File path -> reason, as shown."""
        return {str(item.path): item.reason for item in self._skipped}

    def retranslate(self) -> None:
        tr = self._tr
        self.table.setHorizontalHeaderLabels([tr(text) for text in SKIPPED_COLUMNS])
        self.show_skipped(self._skipped, self._done)


class SearchPanel(QWidget):
    """Try a query on the selected collection: ranked passages with file, place and score.

    Signals: none.
    """

    def __init__(self, docs: DocsService, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._docs, self._tr = docs, tr
        self._names: list[str] = []
        self._asked = 0  # the number of the latest query; older answers are dropped
        self.passages: list[Passage] = []
        self.query_edit = QLineEdit(self)
        self.k_box = QSpinBox(self)
        self.k_box.setRange(1, 50)
        self.k_box.setValue(DEFAULT_K)
        self.search_button = QPushButton(self)
        self.status = named(QLabel(self), "muted")
        self.status.setWordWrap(True)
        self.table = make_table(RESULT_COLUMNS, stretch=1, tr=tr)
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self._lay_out()
        self.query_edit.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.retranslate()

    def _lay_out(self) -> None:
        row = QHBoxLayout()
        row.addWidget(self.query_edit, 1)
        row.addWidget(self.k_box)
        row.addWidget(self.search_button)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.preview)
        split.setSizes([160, 100])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    def set_collections(self, names: Sequence[str]) -> None:
        """Search these collections from now on (the selected one)."""
        self._names = list(names)
        self.search_button.setEnabled(bool(self._names))

    @Slot()
    def search(self) -> None:
        query, tr = self.query_edit.text().strip(), self._tr
        if not self._names:
            self.status.setText(tr("Choose a collection above first."))
            return
        if not query:
            self.status.setText(tr("Type a question or a few words to search for."))
            return
        self._asked += 1
        asked, names, k = self._asked, list(self._names), self.k_box.value()
        self.status.setText(tr("Searching…"))
        self._docs.search_in_background(
            names, query, k, lambda found: self._on_search_done(asked, query, found),
            lambda error: self._on_search_failed(asked, error))

    def _on_search_done(self, asked: int, query: str, passages: list[Passage]) -> None:
        if asked != self._asked:
            return
        self.show_passages(passages)
        self.status.setText(
            self._tr("{count} passages found").format(count=len(passages)) if passages
            else self._tr("Nothing in this collection matches \u201c{query}\u201d.").format(
                query=query))

    def _on_search_failed(self, asked: int, error: BaseException) -> None:
        if asked == self._asked:
            self.show_passages([])
            self.status.setText(self._tr("The search failed: {reason}").format(reason=error))

    def show_passages(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self.table.setRowCount(len(self.passages))
        for row, passage in enumerate(self.passages):
            self.table.setItem(row, 0, cell(str(row + 1), align_right=True))
            self.table.setItem(row, 1, cell(passage.title or passage.path.name,
                                            str(passage.path)))
            self.table.setItem(row, 2, cell(passage.location()))
            self.table.setItem(row, 3, cell(f"{passage.score:.3f}", align_right=True))
        self.preview.setPlainText("")
        if self.passages:
            self.table.selectRow(0)

    @Slot()
    def _on_table_selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self.passages):
            passage = self.passages[rows[0].row()]
            self.preview.setPlainText(f"{passage.path}\n\n{passage.text}")

    def retranslate(self) -> None:
        tr = self._tr
        self.query_edit.setPlaceholderText(tr("Try a question, e.g. how do I install it?"))
        self.query_edit.setAccessibleName(tr("Search the collection"))
        self.k_box.setToolTip(tr("How many passages to show"))
        self.k_box.setAccessibleName(tr("How many passages to show"))
        self.search_button.setText(tr("Search"))
        self.table.setHorizontalHeaderLabels([tr(t) if t != "#" else t for t in RESULT_COLUMNS])
        self.preview.setPlaceholderText(tr("The selected passage appears here."))
