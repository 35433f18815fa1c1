"""App-wide settings (Ctrl+,): look, language, defaults for new chats, model loading, the Hub,
remote connections (``connections_page.py``).

Changes apply at once so the theme, language and font can be judged live; the values seen
when the dialog opened are kept, and Cancel (or Esc, or closing) puts them back. OK saves.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.i18n import N_
from openchat_desktop.ui.settings_form import SettingsForm
from openchat_desktop.ui.widgets import named

TABS: list[tuple[str, list[str]]] = [
    (N_("General"), ["ui.theme", "ui.language", "ui.font_size", "ui.send_key"]),
    (N_("New chats"), ["model.default", "chat.system_prompt", "sampling.temperature",
                       "sampling.top_p", "sampling.top_k", "sampling.min_p",
                       "sampling.repeat_penalty", "sampling.repeat_last_n",
                       "sampling.max_tokens", "sampling.seed"]),
    (N_("Model loading"), ["model.ctx_size", "model.n_gpu_layers", "model.threads",
                           "model.flash_attn", "model.kv_cache_type",
                           "model.grow_context", "cache.state_cache_mb"]),
    (N_("Hugging Face"), ["hub.endpoint", "hub.token", "hub.proxy"]),
    (N_("Local server"), ["server.enabled", "server.port", "server.allow_network",
                          "server.api_key", "server.cors_origins", "model.parallel_replies",
                          "model.parallel_shared_cache"]),
    (N_("Local documents"), ["docs.top_k", "docs.context_share", "docs.embedding_model"]),
]


class SettingsDialog(QDialog):
    """Edits the app settings with a snapshot for Cancel.

    Signals: those of ``QDialog`` (``accepted``/``rejected``/``finished``).
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._snapshot = ctx.settings.snapshot()
        self.forms: list[SettingsForm] = []
        self.tabs = QTabWidget(self)
        for _title, keys in TABS:
            page = QWidget(self.tabs)
            form = SettingsForm(keys, ctx.i18n, page)
            for field in form.fields.values():
                field.edited.connect(self._on_field_edited)
            self.forms.append(form)
            self.tabs.addTab(page, "")
        # Imported here: the keychain library loads when the dialog opens, not at start-up.
        from openchat_desktop.ui.connections_page import ConnectionsPage

        self.connections_page = ConnectionsPage(ctx, self.tabs)  # saves at once, no Cancel
        self.tabs.addTab(self.connections_page, "")
        self.browse_button = QPushButton(self)
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.forms[1].insertRow(1, "", self.browse_button)
        self.clear_states_button = QPushButton(self)
        self.clear_states_button.clicked.connect(self._on_clear_states_button_clicked)
        self.forms[2].addRow("", self.clear_states_button)
        self.error_label = named(QLabel(self, wordWrap=True), "errorLabel")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.load_values()
        ctx.i18n.language_changed.connect(self._on_language_changed)
        self.retranslate()
        self.resize(560, 480)

    def field(self, key: str) -> Any:
        """The editor of ``key`` (tests and keyboard users reach every field)."""
        return next(form.fields[key] for form in self.forms if key in form.fields)

    def load_values(self) -> None:
        for form in self.forms:
            for key, field in form.fields.items():
                field.set_value(self._ctx.settings.get(key))

    def accept(self) -> None:
        self._ctx.settings.save()
        self._ctx.settings.flush()
        super().accept()

    def reject(self) -> None:
        self._ctx.settings.restore(self._snapshot)
        self._ctx.settings.flush()
        super().reject()

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        self.setWindowTitle(tr("Settings"))
        for index, (title, _keys) in enumerate(TABS):
            self.tabs.setTabText(index, tr(title))
            self.forms[index].retranslate()
        self.tabs.setTabText(self.tabs.indexOf(self.connections_page), tr("Connections"))
        self.connections_page.retranslate()
        self.browse_button.setText(tr("Browse…"))
        self.browse_button.setAccessibleName(tr("Choose the default model file"))
        self.clear_states_button.setText(tr("Clear kept conversation states") if
                                         self.clear_states_button.isEnabled() else
                                         tr("Kept conversation states cleared"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("OK"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))

    @Slot(str, object)
    def _on_field_edited(self, key: str, value: Any) -> None:
        try:
            self._ctx.settings.set(key, value)
        except SettingsError as exc:
            self.error_label.setText(str(exc))
            return
        self.error_label.clear()

    @Slot()
    def _on_browse_button_clicked(self) -> None:
        tr = self._ctx.i18n.tr
        path, _filter = QFileDialog.getOpenFileName(
            self, tr("Choose the default model file"), str(self._ctx.paths.models_dir),
            tr("GGUF models (*.gguf)"))
        if path:
            self.field("model.default").set_value(path)
            self._on_field_edited("model.default", path)

    @Slot()
    def _on_clear_states_button_clicked(self) -> None:
        # At once, not on OK: like emptying a cache, there is nothing to take back.
        cache = self._ctx.worker.state_cache
        if cache is not None:
            cache.clear()
        self.clear_states_button.setEnabled(False)
        self.retranslate()

    @Slot(str)
    def _on_language_changed(self, _language: str) -> None:
        self.retranslate()
