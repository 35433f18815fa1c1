"""The parts of a reply besides its answer: the folding thinking section above it and the
tool calls below it.

The thinking is plain text (never HTML: it is untrusted model output like the answer, and
rendering it as Markdown would cost time for text most people never open). While it streams,
new text is only appended, and only while the section is open; a folded section keeps it
until it is opened.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QPalette, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from openchat_desktop.ui.i18n import Translator
from openchat_desktop.ui.message_text import MessageText
from openchat_desktop.ui.widgets import named

MAX_ARGUMENTS_SHOWN = 400
THINKING_INDENT = 14


class ThinkingSection(QWidget):
    """A "Thinking…" / "Thought for 12 s" header that folds the model's thinking open.

    Signals:
        expanded_changed(bool expanded): the person opened or folded it.
    """

    expanded_changed = Signal(bool)

    def __init__(self, i18n: Translator, expanded: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._i18n = i18n
        self._text = ""  # all the thinking so far
        self._shown = 0  # how much of it the body holds
        self._running = False
        self._seconds: float | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.toggle = named(QToolButton(self), "thinkingToggle")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setChecked(expanded)
        self.toggle.toggled.connect(self._on_toggle_toggled)
        self.body = named(MessageText(self), "thinkingText")
        self._mute(self.body)
        layout.addWidget(self.toggle)
        inset = QHBoxLayout()
        inset.setContentsMargins(THINKING_INDENT, 0, 0, 4)  # set in, apart from the answer
        inset.addWidget(self.body)
        layout.addLayout(inset)
        self.body.setVisible(expanded)
        self._refresh_header()

    @staticmethod
    def _mute(body: MessageText) -> None:
        """Thinking reads quieter than the answer: italic, in the theme's muted colour."""
        font = QFont(body.font())
        font.setItalic(True)
        body.setFont(font)
        palette = body.palette()
        palette.setColor(QPalette.ColorRole.Text,
                         palette.color(QPalette.ColorRole.PlaceholderText))
        body.setPalette(palette)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def text(self) -> str:
        return self._text

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)

    def show_finished(self, text: str, seconds: float | None) -> None:
        """Show a stored reply's thinking (hidden when it has none)."""
        self._running, self._seconds = False, seconds
        if text != self._text:
            self._text, self._shown = text, 0
            self.body.show_plain("")
            self._sync_body()
        self._refresh_header()
        self.setVisible(bool(text))

    def begin(self) -> None:
        """A reply starts: empty, hidden until its first thinking arrives."""
        self._text, self._shown, self._running, self._seconds = "", 0, True, None
        self.body.show_plain("")
        self.hide()
        self._refresh_header()

    def append(self, text: str) -> None:
        """More thinking; shown at the next ``flush`` (the chat view's repaint timer)."""
        self._text += text
        if not self.isVisible() and self._text.strip():
            self.show()

    def flush(self) -> None:
        self._sync_body()

    def end_running(self) -> None:
        """The answer began: the header stops saying "Thinking…"."""
        if self._running:
            self._running = False
            self._refresh_header()

    def retranslate(self) -> None:
        self._refresh_header()

    def _sync_body(self) -> None:
        if not self.expanded or self._shown >= len(self._text):
            return
        text = self._text[self._shown:]
        if not self._shown:
            text = text.lstrip()
        cursor = QTextCursor(self.body.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self._shown = len(self._text)

    def _refresh_header(self) -> None:
        tr = self._i18n.tr
        arrow = "▾" if self.expanded else "▸"
        if self._running:
            label = tr("Thinking…")
        elif self._seconds:
            label = tr("Thought for {seconds} s").format(seconds=max(1, round(self._seconds)))
        else:
            label = tr("Thinking")
        self.toggle.setText(f"{arrow} {label}")
        action = tr("Hide the thinking") if self.expanded else tr("Show the thinking")
        self.toggle.setToolTip(action)
        self.toggle.setAccessibleName(f"{label}: {action}")

    @Slot(bool)
    def _on_toggle_toggled(self, expanded: bool) -> None:
        self.body.setVisible(expanded)
        self._sync_body()
        self._refresh_header()
        self.expanded_changed.emit(expanded)


class ToolCallsView(QWidget):
    """The tool calls of a reply, one compact line each: the name, then its arguments."""

    def __init__(self, i18n: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._i18n = i18n
        self._calls: list[Mapping[str, Any]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 2, 0, 2)
        self._layout.setSpacing(2)
        self.hide()

    def set_calls(self, calls: Sequence[Mapping[str, Any]]) -> None:
        if list(calls) == self._calls:
            return
        self._calls = list(calls)
        while (item := self._layout.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.deleteLater()
        for call in self._calls:
            self._layout.addWidget(self._line(call))
        self.setVisible(bool(self._calls))

    def add_call(self, call: Mapping[str, Any]) -> None:
        self.set_calls([*self._calls, call])

    def retranslate(self) -> None:
        calls, self._calls = self._calls, []
        self.set_calls(calls)

    def _line(self, call: Mapping[str, Any]) -> QLabel:
        function = call.get("function") if isinstance(call.get("function"), Mapping) else {}
        assert isinstance(function, Mapping)
        name = str(function.get("name", "?"))
        arguments = _compact(function.get("arguments", ""))
        label = named(QLabel(self), "toolCall")
        label.setTextFormat(Qt.TextFormat.PlainText)  # model output: never rich text
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setText(self._i18n.tr("Tool call: {name} {arguments}").format(
            name=name, arguments=arguments))
        label.setToolTip(str(function.get("arguments", "")))
        return label


def _compact(arguments: Any) -> str:
    """Arguments on one line, shortened when long (the tooltip has them whole)."""
    text = str(arguments)
    with contextlib.suppress(TypeError, ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False, separators=(", ", ": "))
    text = " ".join(text.split())
    return text if len(text) <= MAX_ARGUMENTS_SHOWN else text[:MAX_ARGUMENTS_SHOWN] + "…"
