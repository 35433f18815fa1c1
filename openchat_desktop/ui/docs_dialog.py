"""The documents window: collections of folders and files the chat can cite.

Like the Model Manager it is modeless: indexing runs in the docs service, so the person keeps
chatting, and closing the window only hides it. Each running job gets a bar with its figures
and a Cancel button; the selected collection's skipped files and a search box sit below.
Every failure is shown in the window's inline notice, never as a pop-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.docs.types import IndexProgress, IndexReport
from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.ui.docs_new import NewCollectionDialog, choose_files, choose_folder
from openchat_desktop.ui.docs_panels import SearchPanel, SkippedPanel
from openchat_desktop.ui.docs_progress import JobProgress
from openchat_desktop.ui.docs_table import CollectionsTable
from openchat_desktop.ui.i18n import Translator
from openchat_desktop.ui.model_manager.widgets import InlineNotice, confirm

if TYPE_CHECKING:
    from openchat_desktop.services.docs import DocsService


class DocsDialog(QDialog):
    """Create, fill, re-index, search and remove document collections.

    Signals: those of ``QDialog``.
    """

    def __init__(self, docs: DocsService, i18n: Translator, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self._docs, self._i18n = docs, i18n
        tr = self._tr = i18n.tr
        self.jobs: dict[str, JobProgress] = {}
        self.resize(900, 640)
        self.notice = InlineNotice(self)
        self.collections = CollectionsTable(docs, tr, self)
        self.new_button, self.add_files_button = QPushButton(self), QPushButton(self)
        self.add_folder_button, self.reindex_button = QPushButton(self), QPushButton(self)
        self.cancel_button, self.remove_button = QPushButton(self), QPushButton(self)
        self.jobs_box = QWidget(self)
        self.jobs_layout = QVBoxLayout(self.jobs_box)
        self.jobs_layout.setContentsMargins(0, 0, 0, 0)
        self.skipped = SkippedPanel(tr, self)
        self.search = SearchPanel(docs, tr, self)
        self.details = QTabWidget(self)
        self.details.addTab(self.skipped, "")
        self.details.addTab(self.search, "")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self._lay_out()
        self._connect()
        self.retranslate()
        self.refresh()

    def _lay_out(self) -> None:
        row = QHBoxLayout()
        for button in (self.new_button, self.add_folder_button, self.add_files_button,
                       self.reindex_button, self.cancel_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        top = QWidget(self)
        upper = QVBoxLayout(top)
        upper.setContentsMargins(0, 0, 0, 0)
        upper.addWidget(self.collections, 1)
        upper.addLayout(row)
        upper.addWidget(self.jobs_box)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setChildrenCollapsible(False)
        split.addWidget(top)
        split.addWidget(self.details)
        split.setSizes([220, 380])
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(split, 1)
        layout.addWidget(self.buttons)

    def _connect(self) -> None:
        docs = self._docs
        docs.collections_changed.connect(self.refresh)
        docs.progress.connect(self._on_docs_progress)
        docs.finished.connect(self._on_docs_finished)
        docs.failed.connect(self._on_docs_failed)
        self.collections.selection_changed.connect(self._on_collection_selected)
        self.new_button.clicked.connect(self.new_collection)
        self.add_folder_button.clicked.connect(self._on_add_folder_clicked)
        self.add_files_button.clicked.connect(self._on_add_files_clicked)
        self.reindex_button.clicked.connect(self.reindex_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.buttons.rejected.connect(self.close)
        self._i18n.language_changed.connect(self._on_language_changed)

    # -- commands ---------------------------------------------------------------------------
    @Slot()
    def new_collection(self) -> bool:
        """Ask for a name and sources, then create the collection and index it."""
        form = NewCollectionDialog(self._tr, self)
        try:
            if form.exec() != QDialog.DialogCode.Accepted:
                return False
            return self.create_collection(form.name(), form.sources())
        finally:
            form.deleteLater()

    def create_collection(self, name: str, paths: Sequence[Path]) -> bool:
        """Create ``name`` from ``paths`` and start indexing it; False (and why, inline)
        when the service refuses."""
        if not self._run(lambda: self._docs.create(name, list(paths))):
            return False
        self.refresh()
        self.collections.select(name)
        return True

    def add_paths(self, paths: Sequence[Path]) -> bool:
        """Add folders or files to the selected collection and index them."""
        name = self.collections.selected_name()
        if name is None or not paths:
            return False
        return self._run(lambda: self._docs.add_paths(name, list(paths)))

    @Slot()
    def reindex_selected(self) -> None:
        name = self.collections.selected_name()
        if name is not None:
            self._run(lambda: self._docs.reindex(name))

    @Slot()
    def cancel_selected(self) -> None:
        name = self.collections.selected_name()
        if name is not None:
            self._cancel(name)

    @Slot()
    def remove_selected(self) -> bool:
        """Remove the selected collection and its index, once the person agrees."""
        name, tr = self.collections.selected_name(), self._tr
        if name is None:
            return False
        text = tr("Remove the collection \u201c{name}\u201d and its index? Your files stay "
                  "where they are; only what was read from them is deleted.").format(name=name)
        if not confirm(self, tr("Remove collection"), text, tr("Remove"), tr):
            return False
        if not self._run(lambda: self._docs.remove(name)):
            return False
        self.refresh()
        return True

    def _run(self, command: Callable[[], object]) -> bool:
        """Call ``command()``; a refusal becomes the inline notice's one line."""
        try:
            command()
        except (OpenChatError, OSError) as exc:
            self.notice.show_message(str(exc), "error")
            return False
        self.notice.clear()
        self._update_buttons()
        return True

    def _cancel(self, name: str) -> None:
        self._docs.cancel(name)
        job = self.jobs.get(name)
        if job is not None:
            job.set_cancelling()

    # -- view -------------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Read the collections again, keeping the selection."""
        self.collections.refresh()
        self._on_collection_selected()

    @Slot()
    def _on_collection_selected(self) -> None:
        name = self.collections.selected_name()
        self.skipped.show_skipped(self._docs.skipped(name) if name is not None else [],
                                  done=name is not None and not self._docs.is_indexing(name))
        self.search.set_collections([name] if name is not None else [])
        self._update_buttons()

    def _update_buttons(self) -> None:
        name = self.collections.selected_name()
        chosen = name is not None
        busy = chosen and self._docs.is_indexing(str(name))
        for button in (self.add_files_button, self.add_folder_button, self.remove_button):
            button.setEnabled(chosen)
        self.reindex_button.setEnabled(chosen and not busy)
        self.cancel_button.setEnabled(bool(busy))

    @Slot(str, object)
    def _on_docs_progress(self, name: str, progress: IndexProgress) -> None:
        job = self.jobs.get(name)
        if job is None:
            job = self.jobs[name] = JobProgress(name, self._tr, self.jobs_box)
            job.cancel_requested.connect(self._cancel)
            self.jobs_layout.addWidget(job)
            self._update_buttons()
        job.show_progress(progress)

    @Slot(str, object)
    def _on_docs_finished(self, name: str, report: IndexReport) -> None:
        self._drop_job(name)
        tr = self._tr
        if report.cancelled:
            text = tr("Indexing \u201c{name}\u201d was cancelled; what was read so far is "
                      "kept.").format(name=name)
        else:
            text = tr("\u201c{name}\u201d is indexed: {added} added, {updated} changed, "
                      "{removed} removed, {skipped} skipped.").format(
                name=name, added=f"{report.added:,}", updated=f"{report.updated:,}",
                removed=f"{report.removed:,}", skipped=f"{len(report.skipped):,}")
        self.notice.show_message(text, "info")
        self.refresh()

    @Slot(str, str)
    def _on_docs_failed(self, name: str, message: str) -> None:
        self._drop_job(name)
        self.notice.show_message(self._tr("Indexing \u201c{name}\u201d failed: {reason}").format(
            name=name, reason=message), "error")
        self.refresh()

    def _drop_job(self, name: str) -> None:
        job = self.jobs.pop(name, None)
        if job is not None:
            self.jobs_layout.removeWidget(job)
            job.deleteLater()

    @Slot()
    def _on_add_folder_clicked(self) -> None:
        self.add_paths(choose_folder(self, self._tr))

    @Slot()
    def _on_add_files_clicked(self) -> None:
        self.add_paths(choose_files(self, self._tr))

    @Slot(str)
    def _on_language_changed(self, _language: str) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        tr = self._tr
        self.setWindowTitle(tr("Documents"))
        self.new_button.setText(tr("New collection…"))
        self.add_folder_button.setText(tr("Add folder…"))
        self.add_files_button.setText(tr("Add files…"))
        self.reindex_button.setText(tr("Re-index"))
        self.reindex_button.setToolTip(tr("Read again the files that changed, were added or "
                                          "were deleted since the last time"))
        self.cancel_button.setText(tr("Cancel indexing"))
        self.remove_button.setText(tr("Remove…"))
        self.details.setTabText(0, tr("Skipped files"))
        self.details.setTabText(1, tr("Try a search"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
        self.collections.retranslate()
        self.skipped.retranslate()
        self.search.retranslate()
        for job in self.jobs.values():
            job.retranslate()


def open_docs_dialog(docs: DocsService, i18n: Translator, parent: QWidget | None = None
                     ) -> DocsDialog:
    """Show the documents window made for ``parent`` (made on the first call) and return it."""
    dialog = parent.findChild(DocsDialog) if parent is not None else None
    if dialog is None:
        dialog = DocsDialog(docs, i18n, parent)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
