"""Which model the open conversation talks to: installed models, the default, or a file.

The list comes from ``core.model_library.list_installed`` on a background thread (it stats
files, and the Hugging Face cache can be large). A file picked with "Browse…" or dropped on the
window is checked by reading its GGUF header, also off the GUI thread, before it is used.

Then each connection's models (remote servers, listed by asking them, also in the background)
under a heading that names the host, so a remote model is never mistaken for a local one.
Below a separator come the catalog models that are not installed ("Download: …"). The catalog
is read with ``core.catalog.load_catalog`` (a small JSON file), so the list costs no Hub client
at start-up; the model services are made only when the user picks one of those entries.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QFileSystemWatcher, QMimeData, Qt, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QPushButton, QWidget

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.gguf.info import read_gguf_info
from openchat_desktop.core.models.catalog import CatalogEntry, load_catalog
from openchat_desktop.core.models.library import InstalledModel, download_target, list_installed
from openchat_desktop.core.remote.connections import FILE_NAME as CONNECTIONS_FILE
from openchat_desktop.core.remote.model_ref import parse_remote
from openchat_desktop.core.sizes import format_size
from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
from openchat_desktop.services.notifications import one_line_reason
from openchat_desktop.services.tasks import run_in_background
from openchat_desktop.ui.context import AppContext

if TYPE_CHECKING:
    from openchat_desktop.core.remote.opening import RemoteGroup
    from openchat_desktop.ui.context import ModelServices

OFFER_ROLE = Qt.ItemDataRole.UserRole + 1  # the CatalogEntry of a "Download: …" item
Listing = tuple[list[InstalledModel], list[CatalogEntry]]


def dropped_model(mime: QMimeData) -> str | None:
    """The local ``.gguf`` file being dragged, if that is what it is."""
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".gguf"):
            return url.toLocalFile()
    return None


def list_choices(extra_dirs: list[str]) -> Listing:
    """The installed chat models, and the catalog chat models not installed (run off the GUI
    thread). Embedding models (local documents) are no chat models: the catalog's are left
    out by kind, installed ones by the catalog's file names (listing never opens files)."""
    try:
        catalog = load_catalog()
    except OpenChatError:  # a damaged catalog only costs the download offers
        catalog = []
    entries = [entry for entry in catalog if not entry.is_embedding]
    embedding_files = {entry.file.lower() for entry in catalog if entry.is_embedding}
    models = [model for model in list_installed(extra_dirs)
              if model.name.lower() not in embedding_files]
    specs = {model.spec.lower() for model in models if model.spec}
    starter = any(model.source == "starter" for model in models)
    missing = [entry for entry in entries
               if entry.spec.lower() not in specs and not (entry.starter and starter)
               and not download_target(entry.repo, entry.file).exists()]
    return models, missing


class ModelPicker(QWidget):
    """A combo box of installed models, then catalog models to download, and "Browse…".

    Signals: none; the choice goes to the session as the conversation's ``model.path``.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._models: list[InstalledModel] = []
        self._offers: list[CatalogEntry] = []
        self._remote: list[RemoteGroup] = []
        # Connections change in Settings or with `openchat connections` while the window is
        # open; the file is replaced atomically, so its folder is what can be watched.
        self._connections_stamp = self._connections_mtime()
        self._watcher = QFileSystemWatcher(self)
        ctx.paths.config_dir.mkdir(parents=True, exist_ok=True)
        self._watcher.addPath(str(ctx.paths.config_dir))
        self._watcher.directoryChanged.connect(self._on_config_dir_changed)
        self._awaited: dict[str, int | None] = {}  # download target -> conversation id
        self._choice: str | None = None
        self.combo = QComboBox(self)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(8)
        self.browse_button = QPushButton(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.browse_button)
        self.combo.activated.connect(self._on_combo_activated)
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.retranslate()
        self.reload()
        ctx.when_model_services(self._follow)

    def reload(self) -> None:
        """List the installed models and the download offers again (in the background)."""
        dirs = list(self._ctx.settings.get("models.extra_dirs") or [])
        run_in_background(lambda: list_choices(dirs), self._on_models_listed,
                          lambda exc: self._ctx.bus.show_warning(one_line_reason(exc)))
        self.reload_remote()

    def reload_remote(self) -> None:
        """Ask each connection for its models again (in the background: servers are slow)."""
        config_dir = self._ctx.paths.config_dir

        def listing() -> list[RemoteGroup]:
            from openchat_desktop.core.remote.opening import list_remote  # loads httpx

            return list_remote(config_dir)

        run_in_background(listing, self._on_remote_listed,
                          lambda exc: self._ctx.bus.show_warning(one_line_reason(exc)))

    def offer(self, entry: CatalogEntry) -> bool:
        """Ask to download ``entry``; once it is in, it becomes this conversation's model if
        the user is still on it. True if the download started."""
        from openchat_desktop.ui.model_manager.dialog import offer_download  # the Hub client

        downloads = self._ctx.model_services().downloads
        if not offer_download(self, entry, downloads, tr=self._ctx.i18n.tr):
            return False
        target = str(download_target(entry.repo, entry.file))
        self._awaited[target] = self._ctx.session.current_id
        return True

    def show_choice(self, path: str | None) -> None:
        """Select the conversation's model (``None``: the app default)."""
        self._choice = path
        self._fill()

    def use_file(self, path: str) -> None:
        """Check ``path`` is a GGUF model, then make it this conversation's model."""
        tr = self._ctx.i18n.tr
        self._ctx.bus.show_info(tr("Checking {name}…").format(name=Path(path).name))
        run_in_background(lambda: read_gguf_info(path), lambda _info: self.choose(path),
                          lambda exc: self._ctx.bus.show_error(
                              tr("This file cannot be used as a model: {reason}").format(
                                  reason=one_line_reason(exc))))

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        self.combo.setAccessibleName(tr("Model"))
        self.combo.setToolTip(tr("The model this conversation talks to"))
        self.browse_button.setText(tr("Browse…"))
        self.browse_button.setAccessibleName(tr("Choose a model file"))
        self._fill()

    # -- helpers ----------------------------------------------------------------------------
    def _fill(self) -> None:
        tr = self._ctx.i18n.tr
        combo = self.combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(tr("App default model"), "")
        for model in self._models:
            combo.addItem(model.stem, str(model.path))
            combo.setItemData(combo.count() - 1, str(model.path), Qt.ItemDataRole.ToolTipRole)
        self._fill_remote()
        if self._choice and combo.findData(self._choice) < 0:
            ref = parse_remote(self._choice)
            combo.addItem(ref.label if ref else Path(self._choice).stem, self._choice)
        if self._offers:
            combo.insertSeparator(combo.count())
        for entry in self._offers:
            combo.addItem(tr("Download: {name} ({size})").format(
                name=entry.id, size=format_size(entry.size_bytes)), "")
            combo.setItemData(combo.count() - 1, entry, OFFER_ROLE)
            combo.setItemData(combo.count() - 1, f"{entry.description}\n{entry.spec}",
                              Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(max(0, combo.findData(self._choice or "")))
        combo.blockSignals(False)

    def _fill_remote(self) -> None:
        """Each connection: a heading naming its host, then its models, indented."""
        tr, combo = self._ctx.i18n.tr, self.combo
        for group in self._remote:
            combo.insertSeparator(combo.count())
            heading = tr("{name} — remote: {host}").format(name=group.connection.name,
                                                            host=group.host)
            if group.problem:
                heading += " " + tr("(not available)")
            self._add_heading(heading, group.problem)
            for ref in group.refs():
                combo.addItem("    " + ref.model, ref.stored)
                combo.setItemData(combo.count() - 1, tr(
                    "{model} runs on {host}: your messages are sent there.").format(
                    model=ref.label, host=group.host), Qt.ItemDataRole.ToolTipRole)

    def _add_heading(self, text: str, tooltip: str) -> None:
        combo = self.combo
        combo.addItem(text, "")
        model = combo.model()
        if isinstance(model, QStandardItemModel):
            model.item(combo.count() - 1).setEnabled(False)  # a heading, not a choice
        if tooltip:
            combo.setItemData(combo.count() - 1, tooltip, Qt.ItemDataRole.ToolTipRole)

    def choose(self, path: str | None) -> None:
        """Make ``path`` (None: the app default) the conversation's model and load it."""
        session = self._ctx.session
        try:
            session.set_conversation_setting(MODEL_PATH_KEY, path)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))
            return
        self.show_choice(path)
        session.ensure_model_loaded()

    def _follow(self, services: ModelServices) -> None:
        """Keep the list current as downloads finish and models are deleted."""
        services.downloads.finished.connect(self._on_download_finished)
        services.model_catalog.deleted.connect(self._on_model_deleted)
        services.model_catalog.imported.connect(self._on_model_imported)

    def _on_models_listed(self, listing: Listing) -> None:
        self._models, self._offers = listing
        self._fill()

    def _on_remote_listed(self, groups: list[RemoteGroup]) -> None:
        # A slow server can answer after the window closed; its widgets are gone by then.
        if shiboken6.isValid(self.combo):
            self._remote = groups
            self._fill()

    def _connections_mtime(self) -> int:
        try:
            return (self._ctx.paths.config_dir / CONNECTIONS_FILE).stat().st_mtime_ns
        except OSError:
            return 0

    @Slot(str)
    def _on_config_dir_changed(self, _path: str) -> None:
        stamp = self._connections_mtime()
        if stamp != self._connections_stamp:  # settings.json lives there too
            self._connections_stamp = stamp
            self.reload_remote()

    @Slot(int)
    def _on_combo_activated(self, index: int) -> None:
        entry = self.combo.itemData(index, OFFER_ROLE)
        if isinstance(entry, CatalogEntry):
            self._fill()  # the combo goes back to the model in use while the file comes in
            self.offer(entry)
            return
        path = str(self.combo.itemData(index) or "")
        self.choose(path or None)

    @Slot(int, str)
    def _on_download_finished(self, _item_id: int, path: str) -> None:
        self.reload()
        if path in self._awaited and self._awaited.pop(path) == self._ctx.session.current_id:
            self.choose(path)

    @Slot(str)
    def _on_model_deleted(self, _path: str) -> None:
        self.reload()

    @Slot(object)
    def _on_model_imported(self, _model: object) -> None:
        self.reload()

    @Slot()
    def _on_browse_button_clicked(self) -> None:
        tr = self._ctx.i18n.tr
        path, _filter = QFileDialog.getOpenFileName(
            self, tr("Choose a model file"), str(self._ctx.paths.models_dir),
            tr("GGUF models (*.gguf)"))
        if path:
            self.use_file(path)
