"""Which model the open conversation talks to: installed models, the default, or a file.

The list comes from ``core.model_library.list_installed`` on a background thread (it stats
files, and the Hugging Face cache can be large). A file picked with "Browse…" or dropped on the
window is checked by reading its GGUF header, also off the GUI thread, before it is used.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Slot
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QPushButton, QWidget

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.gguf_info import read_gguf_info
from openchat_desktop.core.model_library import InstalledModel, list_installed
from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
from openchat_desktop.services.messages import one_line_reason
from openchat_desktop.services.tasks import run_in_background
from openchat_desktop.ui.context import AppContext


def dropped_model(mime: QMimeData) -> str | None:
    """The local ``.gguf`` file being dragged, if that is what it is."""
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".gguf"):
            return url.toLocalFile()
    return None


class ModelPicker(QWidget):
    """A combo box of installed models plus a "Browse…" button.

    Signals: none; the choice goes to the session as the conversation's ``model.path``.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._models: list[InstalledModel] = []
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

    def reload(self) -> None:
        """List the installed models again (in the background)."""
        dirs = list(self._ctx.settings.get("models.extra_dirs") or [])
        run_in_background(lambda: list_installed(dirs), self._on_models_listed,
                          lambda exc: self._ctx.bus.show_warning(one_line_reason(exc)))

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
        if self._choice and combo.findData(self._choice) < 0:
            combo.addItem(Path(self._choice).stem, self._choice)
        combo.setCurrentIndex(max(0, combo.findData(self._choice or "")))
        combo.blockSignals(False)

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

    @Slot(list)
    def _on_models_listed(self, models: list[InstalledModel]) -> None:
        self._models = models
        self._fill()

    @Slot(int)
    def _on_combo_activated(self, index: int) -> None:
        path = str(self.combo.itemData(index) or "")
        self.choose(path or None)

    @Slot()
    def _on_browse_button_clicked(self) -> None:
        tr = self._ctx.i18n.tr
        path, _filter = QFileDialog.getOpenFileName(
            self, tr("Choose a model file"), str(self._ctx.paths.models_dir),
            tr("GGUF models (*.gguf)"))
        if path:
            self.use_file(path)
