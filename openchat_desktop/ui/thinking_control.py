"""The *Thinking* choice of the open conversation, for models whose template offers one.

Qwen3-style templates read ``enable_thinking`` (on/off), gpt-oss's reads ``reasoning_effort``
(low/medium/high); the loaded model's ``ModelStatus.thinking_modes`` says which. The choice is
the conversation's own ``chat.thinking`` setting (the app's value when no conversation is
open); "Model default" leaves it to the template.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.services.conversation_settings import THINKING_KEY
from openchat_desktop.services.llm_worker import ModelStatus
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.widgets import named

AUTO = "auto"
MODE_LABELS = {"auto": "Model default", "on": "On", "off": "Off", "low": "Low",
               "medium": "Medium", "high": "High"}


class ThinkingControl(QWidget):
    """A "Thinking: [On ▾]" choice, hidden unless the loaded model offers one.

    Signals: none of its own; the choice is written as the conversation's setting.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._modes: tuple[str, ...] = ()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self._label = named(QLabel(self), "muted")
        self.combo = QComboBox(self)
        self._label.setBuddy(self.combo)
        layout.addWidget(self._label)
        layout.addWidget(self.combo)
        self.combo.activated.connect(self._on_combo_activated)
        ctx.worker.loaded.connect(self._on_worker_loaded)
        ctx.worker.load_started.connect(self._on_worker_load_started)
        ctx.session.conversation_opened.connect(self._on_session_conversation_opened)
        ctx.session.conversation_settings_changed.connect(self._refresh)
        status = ctx.worker.status
        self._modes = status.thinking_modes if status is not None else ()
        self.retranslate()

    @property
    def modes(self) -> tuple[str, ...]:
        return self._modes

    def current(self) -> str:
        """The conversation's choice ("auto" when it leaves it to the model)."""
        value = self._ctx.session.conversation_overrides().get(THINKING_KEY)
        if not isinstance(value, str):
            value = self._ctx.settings.get(THINKING_KEY)
        return value if value in (AUTO, *self._modes) else AUTO

    def choose(self, mode: str) -> None:
        """Set the open conversation's choice (the app's when none is open)."""
        try:
            if self._ctx.session.current_id is None:
                self._ctx.settings.set(THINKING_KEY, mode)
            else:
                self._ctx.session.set_conversation_setting(THINKING_KEY, mode)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))
        self._refresh()

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        self._label.setText(tr("Thinking"))
        self.combo.setToolTip(tr("Thinking for this conversation"))
        self.combo.setAccessibleName(tr("Thinking for this conversation"))
        self._refresh()

    @Slot()
    def _refresh(self) -> None:
        tr = self._ctx.i18n.tr
        self.combo.blockSignals(True)
        self.combo.clear()
        for mode in (AUTO, *self._modes):
            self.combo.addItem(tr(MODE_LABELS[mode]), mode)
        self.combo.setCurrentIndex(max(0, self.combo.findData(self.current())))
        self.combo.blockSignals(False)
        self.setVisible(bool(self._modes))

    @Slot(int)
    def _on_combo_activated(self, index: int) -> None:
        mode = self.combo.itemData(index)
        if isinstance(mode, str) and mode != self.current():
            self.choose(mode)

    @Slot(object)
    def _on_worker_loaded(self, status: ModelStatus) -> None:
        self._modes = status.thinking_modes
        self._refresh()

    @Slot(str)
    def _on_worker_load_started(self, _path: str) -> None:
        self._modes = ()
        self._refresh()

    @Slot(int)
    def _on_session_conversation_opened(self, _conv_id: int) -> None:
        self._refresh()
