"""Named presets in the conversation panel: pick one to apply it, save or delete your own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QGridLayout, QInputDialog, QPushButton, QWidget

from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.presets import PRESET_KEYS, PresetStore

PRESETS_FILE = "presets.json"


class PresetBar(QWidget):
    """Preset combo box with Apply, Save… and Delete.

    Signals:
        preset_chosen(dict values): apply these settings to the conversation.
    """

    preset_chosen = Signal(dict)

    def __init__(self, ctx: AppContext, current_values: Callable[[], dict[str, Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._current_values = current_values
        self.store = PresetStore(ctx.paths.config_dir / PRESETS_FILE)
        self.combo = QComboBox(self)
        self.apply_button = QPushButton(self)
        self.save_button = QPushButton(self)
        self.delete_button = QPushButton(self)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 0, 0, 1, 3)
        for column, button in enumerate((self.apply_button, self.save_button,
                                         self.delete_button)):
            layout.addWidget(button, 1, column)
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.combo.currentIndexChanged.connect(self._on_combo_changed)
        self.retranslate()

    def save_as(self, name: str) -> bool:
        """Save the conversation's current sampling (and prompt) as preset ``name``."""
        values = self._current_values()
        try:
            self.store.save(name, {key: values[key] for key in PRESET_KEYS})
        except (ValueError, OSError) as exc:
            self._ctx.bus.show_error(self._ctx.i18n.tr("The preset could not be saved."),
                                     str(exc))
            return False
        self._fill(select=" ".join(name.split()))
        return True

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        self.combo.setAccessibleName(tr("Preset"))
        self.combo.setToolTip(tr("Named sampling presets"))
        self.combo.setPlaceholderText(tr("Choose a preset…"))
        self.apply_button.setText(tr("Apply"))
        self.apply_button.setAccessibleName(tr("Apply preset"))
        self.save_button.setText(tr("Save…"))
        self.save_button.setAccessibleName(tr("Save settings as a preset"))
        self.delete_button.setText(tr("Delete"))
        self.delete_button.setAccessibleName(tr("Delete preset"))
        self._fill(select=self.combo.currentData())

    def _fill(self, select: str | None = None) -> None:
        tr = self._ctx.i18n.tr
        self.combo.blockSignals(True)
        self.combo.clear()
        for name in self.store.names():
            shown = tr(name) if self.store.is_built_in(name) else name
            self.combo.addItem(shown, name)
        # No preset is preselected: showing one would suggest it is in use.
        self.combo.setCurrentIndex(self.combo.findData(select) if select else -1)
        self.combo.blockSignals(False)
        self._on_combo_changed()

    @Slot()
    def _on_combo_changed(self, *_args: Any) -> None:
        name = self.combo.currentData()
        self.apply_button.setEnabled(bool(name))
        self.delete_button.setEnabled(bool(name) and not self.store.is_built_in(name))

    @Slot()
    def _on_apply_button_clicked(self) -> None:
        name = self.combo.currentData()
        if name:
            self.preset_chosen.emit(self.store.get(name))
            self._ctx.bus.show_info(self._ctx.i18n.tr("Preset applied"))

    @Slot()
    def _on_save_button_clicked(self) -> None:
        tr = self._ctx.i18n.tr
        name, ok = QInputDialog.getText(self, tr("Save preset"), tr("Preset name:"))
        if ok and name.strip():
            self.save_as(name)

    @Slot()
    def _on_delete_button_clicked(self) -> None:
        name = self.combo.currentData()
        if name and not self.store.is_built_in(name):
            self.store.delete(name)
            self._fill()
