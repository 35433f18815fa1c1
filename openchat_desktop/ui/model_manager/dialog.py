"""The Model Manager window: Installed, Catalog, Search and Downloads tabs.

It is modeless, so the user can keep chatting while a model downloads; closing it only hides
it (downloads belong to the ``DownloadService``, not to the window). Dropping ``.gguf`` files
on it imports them. The main window opens it with ``open_model_manager``; the chat's model
picker offers to download a catalog model that is not installed with ``offer_download``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.models.catalog import CatalogEntry
from openchat_desktop.core.sizes import format_size
from openchat_desktop.services.downloads import DownloadService
from openchat_desktop.services.model_catalog import ModelCatalogService
from openchat_desktop.services.settings_bridge import SettingsBridge
from openchat_desktop.ui.i18n import N_, Translator
from openchat_desktop.ui.model_manager.catalog import CatalogTab
from openchat_desktop.ui.model_manager.downloads import DownloadsTab
from openchat_desktop.ui.model_manager.installed import InstalledTab
from openchat_desktop.ui.model_manager.search import SearchTab
from openchat_desktop.ui.model_manager.widgets import Button, InlineNotice, Tr, ask, untranslated

TABS = ("installed", "catalog", "search", "downloads")
TAB_TITLES = (N_("Installed"), N_("Catalog"), N_("Search"), N_("Downloads"))


class ModelManagerContext(Protocol):
    """What the window needs from the app context (``AppContext`` members of these names).

    An ``i18n`` member (a ``Translator``), where there is one, puts the window in the app's
    language and switches it live.
    """

    settings: SettingsBridge
    downloads: DownloadService
    model_catalog: ModelCatalogService


class ModelManagerDialog(QDialog):
    """Browse, download, import and remove models.

    Signals:
        model_chosen(str path): the user picked an installed model for the current chat.
    """

    model_chosen = Signal(str)

    def __init__(self, settings: SettingsBridge, downloads: DownloadService,
                 model_catalog: ModelCatalogService, parent: QWidget | None = None, *,
                 i18n: Translator | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.resize(980, 600)
        self._settings = settings
        self._downloads, self._catalog = downloads, model_catalog
        self._i18n = i18n
        tr = self._tr = i18n.tr if i18n is not None else untranslated
        self.installed_tab = InstalledTab(model_catalog, tr=tr)
        self.catalog_tab = CatalogTab(model_catalog, downloads, tr=tr)
        self.search_tab = SearchTab(model_catalog, tr=tr)
        self.downloads_tab = DownloadsTab(downloads, tr=tr)
        self.notice = InlineNotice()
        self.tabs = QTabWidget()
        for tab in (self.installed_tab, self.catalog_tab, self.search_tab, self.downloads_tab):
            self.tabs.addTab(tab, "")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self._close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self._connect()
        self.retranslate()

    def retranslate(self) -> None:
        """Put the window, its tabs and their rows in the current language."""
        tr = self._tr
        self.setWindowTitle(tr("Model Manager"))
        self._close_button.setText(tr("Close"))
        for index, title in enumerate(TAB_TITLES):
            self.tabs.setTabText(index, tr(title))
        for tab in (self.installed_tab, self.catalog_tab, self.search_tab, self.downloads_tab):
            tab.retranslate()
        self._on_download_state_changed(0, "")

    def _connect(self) -> None:
        self.installed_tab.model_chosen.connect(self._on_installed_model_chosen)
        self.catalog_tab.download_requested.connect(self._on_download_requested)
        self.search_tab.download_requested.connect(self._on_download_requested)
        self._downloads.finished.connect(self._on_download_finished)
        self._downloads.state_changed.connect(self._on_download_state_changed)
        self._settings.changed.connect(self._on_settings_changed)
        if self._i18n is not None:
            self._i18n.language_changed.connect(self._on_language_changed)

    def show_tab(self, name: str) -> None:
        """Bring a tab to the front: "installed", "catalog", "search" or "downloads"."""
        self.tabs.setCurrentIndex(TABS.index(name))

    def refresh(self) -> None:
        """Re-read the installed models and the catalog (in the background)."""
        self._catalog.refresh_installed()
        self._catalog.refresh_catalog()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # files may have changed on disk while the window was hidden

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _gguf_paths(event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _gguf_paths(event.mimeData().urls())
        if paths:
            event.acceptProposedAction()
            self.show_tab("installed")
            self.installed_tab.import_files(paths)

    @Slot(str)
    def _on_installed_model_chosen(self, path: str) -> None:
        self.model_chosen.emit(path)
        self.close()

    @Slot(str, str)
    def _on_download_requested(self, repo: str, filename: str) -> None:
        try:
            self._downloads.pull(repo, filename)
        except OpenChatError as exc:
            self.notice.show_message(self._tr("Not downloaded: {reason}").format(reason=exc),
                                     "error")
            return
        self.notice.clear()
        self.show_tab("downloads")

    @Slot(str, object)
    def _on_settings_changed(self, key: str, _value: object) -> None:
        if key.startswith("hub."):  # a mirror or proxy typed in after "No connection"
            self.search_tab.retry_if_failed()

    @Slot(str)
    def _on_language_changed(self, _language: str) -> None:
        self.retranslate()

    @Slot(int, str)
    def _on_download_state_changed(self, _item_id: int, _state: str) -> None:
        active = self._downloads.active_count()
        self.tabs.setTabText(TABS.index("downloads"),
                             self._tr("Downloads ({count})").format(count=active) if active
                             else self._tr("Downloads"))

    @Slot(int, str)
    def _on_download_finished(self, _item_id: int, _path: str) -> None:
        self.refresh()  # the new file joins Installed, and its catalog entry says so


def _gguf_paths(urls: list[QUrl]) -> list[str]:
    return [url.toLocalFile() for url in urls
            if url.isLocalFile() and url.toLocalFile().lower().endswith(".gguf")]


def open_model_manager(context: ModelManagerContext, parent: QWidget | None = None,
                       on_model_chosen: Callable[[str], None] | None = None
                       ) -> ModelManagerDialog:
    """Show the Model Manager and return it.

    The window made for ``parent`` is kept and shown again on later calls (with its tabs and
    search as the user left them); ``on_model_chosen`` is connected to ``model_chosen`` only
    when the window is made, so calling this from a menu action never connects it twice.
    """
    dialog = parent.findChild(ModelManagerDialog) if parent is not None else None
    if dialog is None:
        dialog = ModelManagerDialog(context.settings, context.downloads, context.model_catalog,
                                    parent, i18n=getattr(context, "i18n", None))
        if on_model_chosen is not None:
            dialog.model_chosen.connect(on_model_chosen)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def offer_download(parent: QWidget | None, entry: CatalogEntry,
                   download_service: DownloadService, *, tr: Tr = untranslated) -> bool:
    """Ask whether to download a catalog model that is not installed; True if it started."""
    text = tr("{name} is not installed.\n\nDownload {file} ({size}) from {repo}? You can keep "
              "chatting while it downloads; see Models → Model Manager → Downloads.").format(
        name=entry.id, file=entry.file, size=format_size(entry.size_bytes), repo=entry.repo)
    answer = ask(parent, tr("Download model"), text,
                 {Button.Yes: tr("Download"), Button.No: tr("Not now")}, Button.Yes)
    if answer != Button.Yes:
        return False
    try:
        download_service.pull(entry.repo, entry.file)
    except OpenChatError as exc:
        ask(parent, tr("Download model"), str(exc), {Button.Ok: tr("OK")}, Button.Ok,
            QMessageBox.Icon.Warning)
        return False
    return True
