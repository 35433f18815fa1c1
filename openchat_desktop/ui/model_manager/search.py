"""The model manager's "Search" tab: find GGUF repositories on the Hub and pick any file.

Queries run in the background. "Searching…" appears only after 600 ms (quick answers do not
flicker, as in Anki's progress.py), and a Hub that cannot be reached turns into an inline
"No connection to …" notice with Retry, never a frozen window or a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.errors import HubError
from openchat_desktop.core.models.hub import RemoteFile, RepoHit
from openchat_desktop.core.models.library import download_target
from openchat_desktop.core.sizes import format_size
from openchat_desktop.services.model_catalog import ModelCatalogService
from openchat_desktop.ui.i18n import N_
from openchat_desktop.ui.model_manager.widgets import (
    InlineNotice,
    Tr,
    cell,
    make_table,
    untranslated,
)

BUSY_DELAY_MS = 600
FILE_COLUMNS = (N_("File"), N_("Size"), "")


class SearchTab(QWidget):
    """Hub search: repositories on the left, every ``.gguf`` file of the chosen one right.

    Signals:
        download_requested(str repo, str filename): Download was pressed on a file.
    """

    download_requested = Signal(str, str)

    def __init__(self, catalog: ModelCatalogService, parent: QWidget | None = None, *,
                 tr: Tr = untranslated) -> None:
        super().__init__(parent)
        self._catalog, self._tr = catalog, tr
        self._retry: Callable[[], None] | None = None
        self.files: list[RemoteFile] = []
        self.query = QLineEdit(clearButtonEnabled=True)
        self.search_button = QPushButton()
        self.notice = InlineNotice()
        self.repos = QListWidget()
        self.files_label = QLabel(tr("Choose a repository to see its files."))
        self.files_table = make_table(FILE_COLUMNS, stretch=0, tr=tr)
        self._busy = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._busy_text = ""
        self._lay_out()
        self._connect()
        self.retranslate()

    def retranslate(self) -> None:
        """Put the fixed labels in the current language (results keep theirs until redrawn)."""
        tr = self._tr
        self.query.setPlaceholderText(tr("Search the Hub for GGUF models, e.g. qwen2.5 1.5b "
                                         "instruct"))
        self.search_button.setText(tr("Search"))
        self.files_table.setHorizontalHeaderLabels([tr(t) if t else "" for t in FILE_COLUMNS])

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.query, 1)
        bar.addWidget(self.search_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.files_label)
        right_layout.addWidget(self.files_table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.repos)
        splitter.addWidget(right)
        splitter.setSizes([300, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)

    def _connect(self) -> None:
        self.query.returnPressed.connect(self._on_search_clicked)
        self.search_button.clicked.connect(self._on_search_clicked)
        self.repos.currentItemChanged.connect(self._on_repo_selected)
        self.notice.action_clicked.connect(self._on_retry_clicked)
        self._busy.timeout.connect(self._on_busy_timeout)
        catalog = self._catalog
        catalog.search_done.connect(self._on_catalog_search_done)
        catalog.files_listed.connect(self._on_catalog_files_listed)
        catalog.offline.connect(self._on_catalog_offline)
        catalog.hub_failed.connect(self._on_catalog_hub_failed)

    def search(self, text: str) -> None:
        """Search for ``text`` (what the Search button does)."""
        self.query.setText(text)
        self._on_search_clicked()

    def _run(self, action: Callable[[], None], busy_text: str) -> None:
        self._retry, self._busy_text = action, busy_text
        self.notice.clear()
        self._busy.start()
        action()

    def _settled(self) -> None:
        self._busy.stop()
        self.notice.clear()

    @Slot()
    def _on_search_clicked(self) -> None:
        text = self.query.text().strip()
        if text:
            self._show_repos([])  # results always belong to the query in the box
            self._run(lambda: self._catalog.search(text), self._tr("Searching {endpoint}…")
                      .format(endpoint=self._catalog.endpoint))

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_repo_selected(self, item: QListWidgetItem | None, _old: object) -> None:
        if item is not None:
            repo = str(item.data(Qt.ItemDataRole.UserRole))
            self.files_label.setText(self._tr("Files in {repo}").format(repo=repo))
            self.files_table.setRowCount(0)
            self._run(lambda: self._catalog.list_files(repo),
                      self._tr("Listing the files of {repo}…").format(repo=repo))

    def retry_if_failed(self) -> None:
        """Ask again if the last query failed (the Hub settings just changed)."""
        if self.notice.kind == "error":
            self._on_retry_clicked()

    @Slot()
    def _on_retry_clicked(self) -> None:
        if self._retry is not None:
            self._run(self._retry, self._busy_text)

    @Slot()
    def _on_busy_timeout(self) -> None:
        self.notice.show_message(self._busy_text)

    @Slot(str, list)
    def _on_catalog_search_done(self, query: str, hits: list[RepoHit]) -> None:
        self._settled()
        self._show_repos(hits)
        if not hits:
            self.notice.show_message(self._tr("No GGUF models found for “{query}”.").format(
                query=query))

    def _show_repos(self, hits: list[RepoHit]) -> None:
        self.repos.clear()
        self.files = []
        self.files_table.setRowCount(0)
        self.files_label.setText(self._tr("Choose a repository to see its files."))
        for hit in hits:
            gated = "   " + self._tr("(gated: needs an access token)") if hit.gated else ""
            item = QListWidgetItem(f"{hit.repo_id}\n↓ {hit.downloads:,}   ♥ {hit.likes:,}{gated}")
            item.setData(Qt.ItemDataRole.UserRole, hit.repo_id)
            self.repos.addItem(item)

    @Slot(str, list)
    def _on_catalog_files_listed(self, repo: str, files: list[RemoteFile]) -> None:
        self._settled()
        self.files = list(files)
        label = self._tr("1 GGUF file in {repo}") if len(files) == 1 else \
            self._tr("{count} GGUF files in {repo}")
        self.files_label.setText(label.format(count=len(files), repo=repo))
        self.files_table.setRowCount(len(files))
        for row, remote in enumerate(files):
            size = format_size(remote.size) if remote.size is not None else \
                self._tr("unknown")
            self.files_table.setItem(row, 0, cell(PurePosixPath(remote.path).name, remote.path))
            self.files_table.setItem(row, 1, cell(size, align_right=True))
            self.files_table.setCellWidget(row, 2, self._download_button(remote))

    def _download_button(self, remote: RemoteFile) -> QPushButton:
        try:
            installed = download_target(remote.repo, remote.path).exists()
        except HubError:  # a name the app could not save under; the download will say so
            installed = False
        button = QPushButton(self._tr("Installed") if installed else self._tr("Download"))
        button.setEnabled(not installed)
        button.clicked.connect(lambda: self.download_requested.emit(remote.repo, remote.path))
        return button

    @Slot(str)
    def _on_catalog_offline(self, message: str) -> None:
        self._settled()
        self.notice.show_message(message, "error", self._tr("Retry"))

    @Slot(str)
    def _on_catalog_hub_failed(self, message: str) -> None:
        self._settled()
        self.notice.show_message(message, "error", self._tr("Retry"))
