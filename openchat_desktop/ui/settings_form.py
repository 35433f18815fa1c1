"""Settings widgets generated from ``core.settings_schema``: the type picks the widget, the
declared bounds its range, the help text its tooltip, and the declaration's label, step,
minimum text, choice names, ``secret`` and ``multiline`` the rest. The conversation panel and
the settings dialog both build their forms here, so nothing about a setting is written twice.
The schema's English texts are translated when shown (``Translator.tr``).
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY, Setting
from openchat_desktop.ui.i18n import LANGUAGES, Translator

INT_MAX = 2**31 - 1
MIN_EDITOR_WIDTH = 90
DEFAULT_STEP = 0.05


class SettingField(QWidget):
    """One setting's editor. Signals: edited(str key, object value) when the user changes it
    (never when ``set_value`` does)."""

    edited = Signal(str, object)

    def __init__(self, setting: Setting, i18n: Translator, parent: QWidget | None = None):
        super().__init__(parent)
        self.setting, self._i18n = setting, i18n
        self.editor = self._make_editor()
        self.editor.setParent(self)
        # Number boxes size themselves for their largest value; the panel is narrower.
        self.editor.setMinimumWidth(MIN_EDITOR_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        self.retranslate()

    def _make_editor(self) -> QWidget:
        setting, key = self.setting, self.setting.key
        if setting.kind is bool:
            box = QCheckBox()
            box.toggled.connect(self._on_editor_changed)
            return box
        if setting.kind in (int, float):
            return self._make_number()
        if setting.choices or key == "ui.language":
            combo = QComboBox()
            for choice in setting.choices:
                combo.addItem(choice, choice)
            combo.currentIndexChanged.connect(self._on_editor_changed)
            return combo
        if setting.multiline:
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setFixedHeight(90)
            text.textChanged.connect(self._on_editor_changed)
            return text
        line = QLineEdit()
        if setting.secret:
            line.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        line.editingFinished.connect(self._on_editor_changed)
        return line

    def _make_number(self) -> QWidget:
        setting = self.setting
        box: QSpinBox | QDoubleSpinBox
        if setting.kind is int:
            box = QSpinBox()
            box.setRange(int(setting.minimum or 0), int(min(setting.maximum or INT_MAX, INT_MAX)))
        else:
            box = QDoubleSpinBox()
            box.setDecimals(2)
            box.setSingleStep(setting.step or DEFAULT_STEP)
            box.setRange(setting.minimum or 0.0, setting.maximum or 1e9)
        box.setKeyboardTracking(False)
        box.setAccelerated(True)
        box.valueChanged.connect(self._on_editor_changed)
        return box

    def value(self) -> Any:
        editor = self.editor
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            return editor.value()
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QPlainTextEdit):
            return editor.toPlainText()
        assert isinstance(editor, QLineEdit)
        if self.setting.kind is list:
            return [part for part in editor.text().split(os.pathsep) if part.strip()]
        return editor.text().strip()

    def set_value(self, value: Any) -> None:
        editor = self.editor
        editor.blockSignals(True)
        try:
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
                editor.setValue(value)
            elif isinstance(editor, QComboBox):
                editor.setCurrentIndex(max(0, editor.findData(value)))
            elif isinstance(editor, QPlainTextEdit):
                if editor.toPlainText() != value:
                    editor.setPlainText(str(value))
            elif isinstance(editor, QLineEdit):
                editor.setText(os.pathsep.join(value) if isinstance(value, list) else str(value))
        finally:
            editor.blockSignals(False)

    def retranslate(self) -> None:
        tr, setting = self._i18n.tr, self.setting
        self.editor.setToolTip(tr(setting.help))
        self.editor.setAccessibleName(tr(setting.label or setting.key))
        if isinstance(self.editor, (QSpinBox, QDoubleSpinBox)) and setting.minimum_text:
            self.editor.setSpecialValueText(tr(setting.minimum_text))
        if isinstance(self.editor, QComboBox):
            for index in range(self.editor.count()):
                data = str(self.editor.itemData(index))
                text = LANGUAGES.get(data) or tr(setting.choice_label(data))
                self.editor.setItemText(index, text)

    @Slot()
    def _on_editor_changed(self, *_args: Any) -> None:
        self.edited.emit(self.setting.key, self.value())


class SettingsForm(QFormLayout):
    """A form of ``SettingField`` rows, in the order given. Signals: none (each field has
    ``edited``)."""

    def __init__(self, keys: list[str], i18n: Translator, parent: QWidget | None = None):
        super().__init__(parent)
        self._i18n = i18n
        self.fields: dict[str, SettingField] = {}
        self.labels: dict[str, QLabel] = {}
        for key in keys:
            field = SettingField(SETTINGS_BY_KEY[key], i18n)
            label = QLabel()
            label.setBuddy(field.editor)
            self.fields[key], self.labels[key] = field, label
            self.addRow(label, field)
        self.retranslate()

    def retranslate(self) -> None:
        tr = self._i18n.tr
        for key, label in self.labels.items():
            setting = SETTINGS_BY_KEY[key]
            label.setText(tr(setting.label or key))
            label.setToolTip(tr(setting.help))
            self.fields[key].retranslate()
