"""The model library for the GUI: installed models, the catalog with fit hints, Hub queries.

Everything that touches the disk or the network runs through ``run_in_background``; results
come back as signals on the GUI thread, so the window never waits. Hub queries carry a
sequence number: the answer to an old search never replaces the answer to a newer one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.gguf.info import read_gguf_info
from openchat_desktop.core.models.hub_errors import HubOfflineError
from openchat_desktop.core.models.library import (
    InstalledModel,
    delete_model,
    import_model,
    list_installed,
    total_disk_used,
)
from openchat_desktop.core.paths import app_paths
from openchat_desktop.services.hub_access import HubClients
from openchat_desktop.services.machine import MachineMemory, catalog_rows, probe_memory
from openchat_desktop.services.notifications import one_line_reason
from openchat_desktop.services.settings_bridge import SettingsBridge
from openchat_desktop.services.tasks import run_in_background

log = logging.getLogger(__name__)
QUERY_TIMEOUT_S = 15.0  # a search box should not spin for the 30 s a download tolerates


class ModelCatalogService(QObject):
    """Lists and changes the model library, and asks the Hub, without blocking the GUI.

    Signals:
        installed_changed(list models, int disk_bytes): the ``InstalledModel``s, and the
            bytes the models folder uses (partial downloads included).
        catalog_ready(list rows, object memory): ``CatalogRow``s with their fit, and the
            ``MachineMemory`` the fit was judged against.
        search_done(str query, list hits): ``RepoHit``s of a Hub search.
        files_listed(str repo, list files): every ``.gguf`` ``RemoteFile`` of ``repo``.
        offline(str message): the Hub could not be reached ("No connection to …").
        hub_failed(str message): a Hub query failed otherwise (gated, not found, …).
        library_failed(str message): the installed list or the catalog could not be read.
        details_ready(str path, list lines): a model's GGUF header summary.
        details_failed(str path, str message): the header could not be read.
        imported(object model): an ``InstalledModel`` was added to the library.
        import_failed(str path, str message): the file was refused (one line).
        deleted(str path): a model was deleted (or forgotten).
        delete_failed(str path, str message): it could not be.
    """

    installed_changed = Signal(list, int)
    catalog_ready = Signal(list, object)
    search_done = Signal(str, list)
    files_listed = Signal(str, list)
    offline = Signal(str)
    hub_failed = Signal(str)
    library_failed = Signal(str)
    details_ready = Signal(str, list)
    details_failed = Signal(str, str)
    imported = Signal(object)
    import_failed = Signal(str, str)
    deleted = Signal(str)
    delete_failed = Signal(str, str)

    def __init__(self, settings: SettingsBridge, parent: QObject | None = None, *,
                 hub_clients: HubClients | None = None,
                 memory_probe: Callable[[], MachineMemory] = probe_memory) -> None:
        super().__init__(parent)
        self._settings = settings
        self._clients = hub_clients or HubClients(settings, timeout=QUERY_TIMEOUT_S)
        self._memory_probe = memory_probe
        self._installed: list[InstalledModel] = []
        self._query_seq = {"search": 0, "files": 0}
        settings.changed.connect(self._on_settings_changed)

    @property
    def endpoint(self) -> str:
        """The Hub address searches and downloads use."""
        return self._clients.endpoint

    @property
    def models_dir(self) -> Path:
        return app_paths().models_dir

    @property
    def installed(self) -> list[InstalledModel]:
        """The models of the last ``installed_changed``."""
        return list(self._installed)

    def extra_dirs(self) -> list[str]:
        return list(self._settings.get("models.extra_dirs") or [])

    # -- the library -----------------------------------------------------------------------
    def refresh_installed(self) -> None:
        dirs = self.extra_dirs()
        run_in_background(lambda: (list_installed(dirs), total_disk_used()),
                          self._on_installed_listed, self._on_library_error)

    def refresh_catalog(self) -> None:
        dirs, probe = self.extra_dirs(), self._memory_probe
        run_in_background(lambda: catalog_rows(probe(), list_installed(dirs)),
                          lambda result: self.catalog_ready.emit(*result),
                          self._on_library_error)

    def inspect(self, path: str) -> None:
        run_in_background(lambda: read_gguf_info(path).summary_lines(),
                          lambda lines: self.details_ready.emit(path, lines),
                          lambda exc: self.details_failed.emit(path, one_line_reason(exc)))

    def import_file(self, path: str, copy: bool = False) -> None:
        """Validate and add a GGUF file (used in place unless ``copy``)."""
        run_in_background(lambda: import_model(path, copy=copy), self._on_model_imported,
                          lambda exc: self.import_failed.emit(path, one_line_reason(exc)))

    def delete(self, model: InstalledModel) -> None:
        """Delete a model the app owns, or forget one that lives elsewhere."""
        path = str(model.path)
        run_in_background(lambda: delete_model(model), lambda _: self._on_model_deleted(path),
                          lambda exc: self.delete_failed.emit(path, one_line_reason(exc)))

    def add_folder(self, folder: str) -> bool:
        """Add ``folder`` to ``models.extra_dirs``; False when it is already there."""
        dirs = self.extra_dirs()
        if any(os.path.realpath(folder) == os.path.realpath(known) for known in dirs):
            return False
        self._settings.set("models.extra_dirs", [*dirs, folder])  # refreshes, see below
        return True

    # -- the Hub ---------------------------------------------------------------------------
    def search(self, query: str) -> None:
        client, seq = self._clients.current(), self._next("search")
        run_in_background(lambda: client.search(query), self._when_current(
            "search", seq, lambda hits: self.search_done.emit(query, hits)),
            self._when_current("search", seq, self._on_hub_error))

    def list_files(self, repo: str) -> None:
        client, seq = self._clients.current(), self._next("files")
        run_in_background(lambda: client.list_gguf_files(repo), self._when_current(
            "files", seq, lambda files: self.files_listed.emit(repo, files)),
            self._when_current("files", seq, self._on_hub_error))

    def _next(self, kind: str) -> int:
        self._query_seq[kind] += 1
        return self._query_seq[kind]

    def _when_current(self, kind: str, seq: int, handler: Callable[[Any], None]
                      ) -> Callable[[Any], None]:
        """``handler``, muted once a newer query of ``kind`` has been sent."""
        def call(value: Any) -> None:
            if self._query_seq[kind] == seq:
                handler(value)
        return call

    # -- results ---------------------------------------------------------------------------
    @Slot(str, object)
    def _on_settings_changed(self, key: str, _value: object) -> None:
        if key == "models.extra_dirs":  # from Add folder… or the settings dialog
            self.refresh_installed()

    def _on_installed_listed(self, result: tuple[list[InstalledModel], int]) -> None:
        self._installed = result[0]
        self.installed_changed.emit(result[0], result[1])

    def _on_model_imported(self, model: InstalledModel) -> None:
        self.imported.emit(model)
        self.refresh_installed()

    def _on_model_deleted(self, path: str) -> None:
        self.deleted.emit(path)
        self.refresh_installed()
        self.refresh_catalog()

    def _on_hub_error(self, error: BaseException) -> None:
        if isinstance(error, HubOfflineError):
            self.offline.emit(str(error))
            return
        if not isinstance(error, OpenChatError):
            log.error("Hub query failed", exc_info=error)
        self.hub_failed.emit(one_line_reason(error))

    def _on_library_error(self, error: BaseException) -> None:
        if not isinstance(error, OpenChatError):
            log.error("model library", exc_info=error)
        self.library_failed.emit(one_line_reason(error))
