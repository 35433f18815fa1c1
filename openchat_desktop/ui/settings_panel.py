"""The right-hand panel: the open conversation's own model, prompt and sampling.

Values shown are the conversation's overrides on top of the model's own defaults (the
sampling its authors recommend) on top of the app defaults. Under each editor a small note says
where its value comes from ("app default", "model default", "this conversation"), and a label
in bold is overridden here. Edits are applied after a short pause, so dragging a spin box does not
reload the model at every step. "Reset to defaults" drops every override.
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
from openchat_desktop.core.models.catalog import entry_for_model
from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY
from openchat_desktop.services.conversation_settings import (
    MODEL_PATH_KEY,
    SOURCE_APP,
    SOURCE_CONVERSATION,
    SOURCE_MODEL,
    layered,
    merged,
)
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.i18n import N_
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
SOURCE_TEXTS = {SOURCE_APP: N_("app default"), SOURCE_MODEL: N_("model default"),
                SOURCE_CONVERSATION: N_("this conversation")}
SOURCE_COLOUR = "#7a7a7a"  # readable on the light and the dark theme


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
        self.source_notes: dict[str, QLabel] = {}
        for key, field in self.form.fields.items():
            field.edited.connect(self._on_field_edited)
            note = named(QLabel(field), "settingSource")
            note.setStyleSheet(f"color: {SOURCE_COLOUR}; font-size: small;")
            column = field.layout()
            if column is not None:  # SettingField always has its column layout
                column.addWidget(note)
            self.source_notes[key] = note
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

    def value_sources(self) -> dict[str, str]:
        """Where each shown value comes from: ``SOURCE_APP``, ``SOURCE_MODEL`` or
        ``SOURCE_CONVERSATION``."""
        sources = layered(self._ctx.settings.snapshot(), self._overrides())[1]
        return {key: sources.get(key, SOURCE_APP) for key in self.form.fields}

    def refresh(self) -> None:
        """Show the current conversation's values (not while an edit waits to be applied)."""
        has_conversation = self._ctx.session.current_id is not None
        self.setEnabled(has_conversation)
        if self._pending:
            return
        overrides = self._overrides()
        values, sources = layered(self._ctx.settings.snapshot(), overrides)
        for key, field in self.form.fields.items():
            field.set_value(values[key])
            font = self.form.labels[key].font()
            font.setBold(key in overrides)
            self.form.labels[key].setFont(font)
            self._mark_source(key, sources.get(key, SOURCE_APP), overrides)
        self.model_picker.show_choice(overrides.get(MODEL_PATH_KEY))

    def _mark_source(self, key: str, source: str, overrides: dict[str, Any]) -> None:
        """Say under the editor where its value comes from, and more in the tooltips."""
        tr, label, mark = self._ctx.i18n.tr, self.form.labels[key], self.source_notes[key]
        mark.setText(tr(SOURCE_TEXTS[source]))
        mark.setProperty("valueSource", source)
        label.setAccessibleDescription(tr(SOURCE_TEXTS[source]))
        note = tr(SETTINGS_BY_KEY[key].help)
        if source == SOURCE_MODEL:
            model = overrides.get(MODEL_PATH_KEY) or self._ctx.settings.get("model.default")
            entry = entry_for_model(model if isinstance(model, str) else None)
            if entry is not None:
                note += "\n" + tr("Recommended for {model} by its authors ({source}).").format(
                    model=entry.id, source=entry.recommended_source)
        label.setToolTip(note)
        mark.setToolTip(note)

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
        self.refresh()  # the source notes under the labels are translated text too

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


