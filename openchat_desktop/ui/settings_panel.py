"""The right-hand panel: the open conversation's own model, prompt and sampling.

Values shown are the conversation's overrides on top of the app defaults; a label in bold is
overridden here. Edits are applied after a short pause, so dragging a spin box does not reload
the model at every step. "Reset to defaults" drops every override.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY, merged
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.model_picker import ModelPicker
from openchat_desktop.ui.preset_bar import PresetBar
from openchat_desktop.ui.presets import PRESET_KEYS
from openchat_desktop.ui.settings_form import SettingsForm
from openchat_desktop.ui.widgets import named

PANEL_KEYS = ["chat.system_prompt", "sampling.temperature", "sampling.top_p", "sampling.top_k",
              "sampling.min_p", "sampling.repeat_penalty", "sampling.repeat_last_n",
              "sampling.max_tokens", "sampling.seed", "model.ctx_size", "model.n_gpu_layers",
              "model.threads"]
APPLY_DELAY_MS = 400


class SettingsPanel(QScrollArea):
    """Per-conversation settings, generated from the settings schema.

    Signals: none of its own; changes go to ``ChatSession.set_conversation_setting``.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._pending: dict[str, Any] = {}
        self._timer = QTimer(self, singleShot=True, interval=APPLY_DELAY_MS)
        self._timer.timeout.connect(self._on_apply_timer_timeout)
        self._build()
        session = ctx.session
        session.conversation_opened.connect(self._on_session_changed)
        session.conversation_settings_changed.connect(self._on_session_changed)
        session.path_changed.connect(self._on_session_changed)
        ctx.settings.changed.connect(self._on_settings_changed)
        self.retranslate()
        self.refresh()

    def _build(self) -> None:
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 10, 12, 10)
        self._title = named(QLabel(body), "chatTitle")
        self._model_label = QLabel(body)
        self.model_picker = ModelPicker(self._ctx, body)
        self._model_label.setBuddy(self.model_picker.combo)
        self._preset_label = QLabel(body)
        self.presets = PresetBar(self._ctx, self.effective_values, body)
        self._preset_label.setBuddy(self.presets.combo)
        self.presets.preset_chosen.connect(self.apply_preset)
        self.form = SettingsForm(PANEL_KEYS, self._ctx.i18n)
        for field in self.form.fields.values():
            field.edited.connect(self._on_field_edited)
        self.reset_button = QPushButton(body)
        self.reset_button.clicked.connect(self._on_reset_button_clicked)
        layout.addWidget(self._title)
        layout.addWidget(self._model_label)
        layout.addWidget(self.model_picker)
        layout.addSpacing(6)
        layout.addWidget(self._preset_label)
        layout.addWidget(self.presets)
        layout.addSpacing(6)
        layout.addLayout(self.form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.reset_button)
        layout.addLayout(row)
        layout.addStretch(1)
        self.setWidget(body)
        self.setMinimumWidth(280)

    # -- public -----------------------------------------------------------------------------
    def effective_values(self) -> dict[str, Any]:
        """The settings the open conversation uses: app values with its overrides on top."""
        return merged(self._ctx.settings.snapshot(), self._overrides())

    def refresh(self) -> None:
        """Show the current conversation's values (not while an edit waits to be applied)."""
        has_conversation = self._ctx.session.current_id is not None
        self.setEnabled(has_conversation)
        if self._pending:
            return
        values, overrides = self.effective_values(), self._overrides()
        for key, field in self.form.fields.items():
            field.set_value(values[key])
            font = self.form.labels[key].font()
            font.setBold(key in overrides)
            self.form.labels[key].setFont(font)
        self.model_picker.show_choice(overrides.get(MODEL_PATH_KEY))

    def apply_pending(self) -> None:
        """Apply edits still waiting for the pause to end (tests, and before closing)."""
        self._timer.stop()
        pending, self._pending = self._pending, {}
        try:
            for key, value in pending.items():
                self._ctx.session.set_conversation_setting(key, value)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))
        self.refresh()

    @Slot(dict)
    def apply_preset(self, values: dict[str, Any]) -> None:
        self._pending.update({k: v for k, v in values.items() if k in PRESET_KEYS})
        self.apply_pending()

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        self._title.setText(tr("This conversation"))
        self._model_label.setText(tr("Model"))
        self._preset_label.setText(tr("Preset"))
        self.reset_button.setText(tr("Reset to defaults"))
        self.reset_button.setAccessibleName(tr("Reset conversation settings to defaults"))
        self.reset_button.setToolTip(tr("Use the app's default settings for this conversation"))
        self.setAccessibleName(tr("Conversation settings"))
        self.form.retranslate()
        self.model_picker.retranslate()
        self.presets.retranslate()

    # -- helpers ----------------------------------------------------------------------------
    def _overrides(self) -> dict[str, Any]:
        try:
            return self._ctx.session.conversation_overrides()
        except OpenChatError:
            return {}

    # -- slots ------------------------------------------------------------------------------
    @Slot(str, object)
    def _on_field_edited(self, key: str, value: Any) -> None:
        self._pending[key] = value
        self._timer.start()

    @Slot()
    def _on_apply_timer_timeout(self) -> None:
        self.apply_pending()

    @Slot()
    def _on_reset_button_clicked(self) -> None:
        self._pending.clear()
        self._timer.stop()
        try:
            self._ctx.session.reset_conversation_settings()
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))

    @Slot()
    def _on_session_changed(self, *_args: Any) -> None:
        self.refresh()

    @Slot(str, object)
    def _on_settings_changed(self, key: str, _value: Any) -> None:
        if key.startswith(("sampling.", "model.", "chat.")):
            self.refresh()

