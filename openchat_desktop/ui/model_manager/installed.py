"""The model manager's "Installed" tab: the models on this computer and what to do with them."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.models.library import InstalledModel
from openchat_desktop.core.sizes import format_size
from openchat_desktop.services.model_catalog import ModelCatalogService
from openchat_desktop.ui.i18n import N_
from openchat_desktop.ui.model_manager.widgets import (
    InlineNotice,
    Tr,
    cell,
    confirm,
    make_table,
    untranslated,
)

SOURCES = {"starter": N_("Starter model"), "downloaded": N_("Downloaded"),
           "imported": N_("Imported"), "hf-cache": N_("Hugging Face cache"),
           "folder": N_("Extra folder")}
COLUMNS = (N_("Name"), N_("Size"), N_("Source"), N_("Path"))
BUTTONS = {"details": N_("Details"), "use": N_("Use for this chat"), "delete": N_("Delete…"),
           "import": N_("Import…"), "folder": N_("Add folder…"),
           "open": N_("Open models folder")}


class InstalledTab(QWidget):
    """Installed models with Details, Use, Delete, Import, Add folder and Open folder.

    Signals:
        model_chosen(str path): "Use for this chat" was pressed on a model.
    """

    model_chosen = Signal(str)

    def __init__(self, catalog: ModelCatalogService, parent: QWidget | None = None, *,
                 tr: Tr = untranslated) -> None:
        super().__init__(parent)
        self._catalog, self._tr = catalog, tr
        self._models: list[InstalledModel] = []
        self._used: int | None = None
        self.table = make_table(COLUMNS, tr=tr)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep the file name
        self.details = QPlainTextEdit(readOnly=True)
        self.details.setMaximumHeight(130)
        self.notice = InlineNotice()
        self.summary = QLabel()
        self.buttons = {key: QPushButton() for key in BUTTONS}
        self._lay_out()
        self._connect()
        self.retranslate()

    def retranslate(self) -> None:
        """Put the labels and the rows in the current language."""
        tr = self._tr
        self.table.setHorizontalHeaderLabels([tr(text) for text in COLUMNS])
        self.details.setPlaceholderText(tr("Select a model and press Details."))
        for key, text in BUTTONS.items():
            self.buttons[key].setText(tr(text))
        if self._used is not None:
            self._on_catalog_installed_changed(self._models, self._used)
        self._on_table_selection_changed()

    @property
    def models(self) -> list[InstalledModel]:
        return list(self._models)

    def selected_model(self) -> InstalledModel | None:
        row = self.table.currentRow()
        return self._models[row] if 0 <= row < len(self._models) else None

    def import_files(self, paths: list[str]) -> None:
        """Validate and import GGUF files (drag and drop lands here too)."""
        for path in paths:
            self.notice.show_message(self._tr("Checking {name}…").format(name=Path(path).name))
            self._catalog.import_file(path)

    def _lay_out(self) -> None:
        row = QHBoxLayout()
        for key in ("details", "use", "delete"):
            row.addWidget(self.buttons[key])
        row.addStretch(1)
        for key in ("import", "folder", "open"):
            row.addWidget(self.buttons[key])
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.details)
        layout.addWidget(self.summary)

    def _connect(self) -> None:
        handlers = {"details": self._on_details_clicked, "use": self._on_use_clicked,
                    "delete": self._on_delete_clicked, "import": self._on_import_clicked,
                    "folder": self._on_folder_clicked, "open": self._on_open_clicked}
        for key, handler in handlers.items():
            self.buttons[key].clicked.connect(handler)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_details_clicked)
        catalog = self._catalog
        catalog.installed_changed.connect(self._on_catalog_installed_changed)
        catalog.details_ready.connect(self._on_catalog_details_ready)
        catalog.details_failed.connect(self._on_catalog_details_failed)
        catalog.imported.connect(self._on_catalog_imported)
        catalog.import_failed.connect(self._on_catalog_import_failed)
        catalog.deleted.connect(self._on_catalog_deleted)
        catalog.delete_failed.connect(self._on_catalog_delete_failed)

    @Slot(list, int)
    def _on_catalog_installed_changed(self, models: list[InstalledModel], used: int) -> None:
        chosen, tr = self.selected_model(), self._tr
        self._models, self._used = list(models), used
        self.table.setRowCount(len(models))
        for row, model in enumerate(models):
            for column, item in enumerate((
                    cell(model.name, model.spec or model.name),
                    cell(format_size(model.size_bytes), align_right=True),
                    cell(tr(SOURCES.get(model.source, model.source)), model.repo or ""),
                    cell(str(model.path)))):
                self.table.setItem(row, column, item)
            if chosen is not None and model.path == chosen.path:
                self.table.selectRow(row)
        summary = tr("1 model · {used} used in the models folder ({folder})") \
            if len(models) == 1 else \
            tr("{count} models · {used} used in the models folder ({folder})")
        self.summary.setText(summary.format(count=len(models), used=format_size(used),
                                            folder=self._catalog.models_dir))
        self._on_table_selection_changed()

    @Slot()
    def _on_table_selection_changed(self) -> None:
        model = self.selected_model()
        for key in ("details", "use", "delete"):
            self.buttons[key].setEnabled(model is not None)
        if model is not None and model.source == "starter":
            self.buttons["delete"].setEnabled(False)
            self.buttons["delete"].setToolTip(self._tr("The starter model ships with the app"))
        else:
            self.buttons["delete"].setToolTip("")

    @Slot()
    def _on_details_clicked(self) -> None:
        model = self.selected_model()
        if model is not None:
            self.details.setPlainText(self._tr("Reading {name}…").format(name=model.name))
            self._catalog.inspect(str(model.path))

    @Slot()
    def _on_use_clicked(self) -> None:
        model = self.selected_model()
        if model is not None:
            self.model_chosen.emit(str(model.path))

    @Slot()
    def _on_delete_clicked(self) -> None:
        model = self.selected_model()
        if model is None or model.source == "starter":
            return
        tr = self._tr
        if self._owned(model):
            text = tr("Delete {name}?\n\nThe file ({size}) is removed from disk. You can "
                      "download it again later.").format(
                name=model.name, size=format_size(model.size_bytes))
            agreed = confirm(self, tr("Delete model"), text, tr("Delete"), tr)
        else:
            text = tr("Remove {name} from the list?\n\nIt lives outside OpenChat's models "
                      "folder, so OpenChat only forgets it: the file is not deleted and stays "
                      "at\n{path}").format(name=model.name, path=model.path)
            agreed = confirm(self, tr("Forget model"), text, tr("Forget"), tr)
        if agreed:
            self._catalog.delete(model)

    def _owned(self, model: InstalledModel) -> bool:
        root = os.path.realpath(self._catalog.models_dir)
        path = os.path.realpath(model.path)
        try:
            inside = os.path.commonpath([root, path]) == root
        except ValueError:  # another drive (Windows)
            inside = False
        return inside and not model.path.is_symlink()

    @Slot()
    def _on_import_clicked(self) -> None:
        tr = self._tr
        paths, _filter = QFileDialog.getOpenFileNames(
            self, tr("Import GGUF models"), str(Path.home()),
            tr("GGUF models (*.gguf)") + ";;" + tr("All files (*)"))
        self.import_files(list(paths))

    @Slot()
    def _on_folder_clicked(self) -> None:
        tr = self._tr
        folder = QFileDialog.getExistingDirectory(self, tr("Add a folder of GGUF models"),
                                                  str(Path.home()))
        if folder and not self._catalog.add_folder(folder):
            self.notice.show_message(tr("{folder} is already listed.").format(folder=folder))
        elif folder:
            self.notice.show_message(tr("Models in {folder} are now listed and used in "
                                        "place.").format(folder=folder))

    @Slot()
    def _on_open_clicked(self) -> None:
        folder = self._catalog.models_dir
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @Slot(str, list)
    def _on_catalog_details_ready(self, path: str, lines: list[str]) -> None:
        self.details.setPlainText("\n".join([*lines, self._tr("Path: {path}").format(
            path=path)]))

    @Slot(str, str)
    def _on_catalog_details_failed(self, _path: str, message: str) -> None:
        self.details.setPlainText(message)

    @Slot(object)
    def _on_catalog_imported(self, model: InstalledModel) -> None:
        self.notice.show_message(self._tr("Imported {name} ({size}); it is used where it "
                                          "is.").format(name=model.name,
                                                        size=format_size(model.size_bytes)))

    @Slot(str, str)
    def _on_catalog_import_failed(self, _path: str, message: str) -> None:
        self.notice.show_message(self._tr("Not imported: {reason}").format(reason=message),
                                 "error")

    @Slot(str)
    def _on_catalog_deleted(self, path: str) -> None:
        self.notice.show_message(self._tr("Removed {name}.").format(name=Path(path).name))
        self.details.clear()

    @Slot(str, str)
    def _on_catalog_delete_failed(self, _path: str, message: str) -> None:
        self.notice.show_message(self._tr("Not removed: {reason}").format(reason=message),
                                 "error")
