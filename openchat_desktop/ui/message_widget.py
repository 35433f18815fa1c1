"""One message of the chat view: its text, its statistics and the buttons that act on it.

Assistant replies are Markdown rendered by ``core.markdown_render`` (imported on first use, so
pygments stays off the start-up path); the user's own messages are plain text, never HTML.
A reply's thinking folds above its answer and its tool calls sit below it
(``reply_sections``), then the documents it cited (``sources_view``); Copy copies the answer
alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QUrl, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.remote.connections import connection_host
from openchat_desktop.core.remote.model_ref import split_label
from openchat_desktop.core.store.records import Message
from openchat_desktop.services.docs import message_sources
from openchat_desktop.ui.formatting import reply_stats
from openchat_desktop.ui.i18n import N_, Translator
from openchat_desktop.ui.message_editor import MessageEditor
from openchat_desktop.ui.message_text import MessageText
from openchat_desktop.ui.rendering import Renderer
from openchat_desktop.ui.reply_sections import ThinkingSection, ToolCallsView
from openchat_desktop.ui.sources_view import SourcesView, link_citations
from openchat_desktop.ui.widgets import named

if TYPE_CHECKING:
    from openchat_desktop.core.markdown.render import StreamingMarkdown

BUBBLE_PADDING = 12
ROLE_NAMES = {"user": N_("You"), "assistant": N_("Assistant"), "system": N_("System prompt")}
# (action, text, accessible name); which ones a message gets depends on its role.
ACTIONS = {
    "edit": (N_("Edit"), N_("Edit this message and send it again")),
    "copy": (N_("Copy"), N_("Copy this message")),
    "regenerate": (N_("Regenerate"), N_("Write this reply again")),
    "delete": (N_("Delete"), N_("Delete this message and its replies")),
}
ROLE_ACTIONS = {"user": ("edit", "copy", "delete"), "assistant": ("copy", "regenerate", "delete"),
                "system": ("copy",)}


def remote_reply_host(meta: Mapping[str, Any]) -> str:
    """The host of the connection a reply came from ("" for a local model's reply)."""
    model = meta.get("model")
    ref = split_label(model) if isinstance(model, str) else None
    return connection_host(app_paths().config_dir, ref.connection) if ref else ""


class MessageWidget(QFrame):
    """A message with its footer: statistics, ‹ n/m › versions, copy, regenerate, edit, delete.

    Signals:
        action_requested(str action, int message_id): "copy", "regenerate", "delete", "prev"
            or "next" was chosen.
        edit_submitted(int message_id, str text): the inline editor sent a new version.
        link_clicked(QUrl url, int message_id): a link in the text was clicked.
        thinking_toggled(bool expanded): the person opened or folded the thinking.
    """

    action_requested = Signal(str, int)
    edit_submitted = Signal(int, str)
    link_clicked = Signal(QUrl, int)
    thinking_toggled = Signal(bool)

    def __init__(self, message: Message, renderer: Renderer, i18n: Translator,
                 parent: QWidget | None = None, thinking_expanded: bool = False) -> None:
        super().__init__(parent)
        self.message = message
        self._renderer, self._i18n = renderer, i18n
        self._thinking_expanded = thinking_expanded
        self._stream: StreamingMarkdown | None = None
        self._streamed: list[str] = []
        self._buttons: dict[str, QToolButton] = {}
        self._editor: MessageEditor | None = None
        self._build()
        self.render_message()

    # -- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.setObjectName(f"message-{self.message.role}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 6, 0, 6)
        outer.setSpacing(2)
        self._role = named(QLabel(self), "roleLabel")
        self.body = MessageText(self)
        self.body.anchorClicked.connect(self._on_body_anchor_clicked)
        self._notice = named(QLabel(self, wordWrap=True), "warningLabel")
        self._notice.hide()
        self.thinking = ThinkingSection(self._i18n, self._thinking_expanded, self)
        self.thinking.expanded_changed.connect(self.thinking_toggled)
        self.thinking.hide()
        self.tool_calls = ToolCallsView(self._i18n, self)
        self.sources = SourcesView(self._i18n.tr, self)
        outer.addWidget(self._role)
        outer.addWidget(self.thinking)
        outer.addWidget(self._wrap_body())
        outer.addWidget(self.tool_calls)
        outer.addWidget(self.sources)
        outer.addWidget(self._notice)
        outer.addLayout(self._build_footer())

    def _wrap_body(self) -> QWidget:
        if self.message.role != "user":
            return self.body
        self._role.setAlignment(Qt.AlignmentFlag.AlignRight)
        self._bubble = named(QFrame(self), "userBubble")
        inside = QVBoxLayout(self._bubble)
        inside.setContentsMargins(BUBBLE_PADDING, 6, BUBBLE_PADDING, 6)
        inside.addWidget(self.body)
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addStretch(1)
        line.addWidget(self._bubble, 100)
        return row

    def _fit_bubble(self) -> None:
        """A short message of yours gets a short bubble, on the right like a chat app's."""
        if self.message.role != "user":
            return
        metrics = self.body.fontMetrics()
        lines = self.message.content.splitlines() or [""]
        natural = max(metrics.horizontalAdvance(line) for line in lines[:200])
        margin = 2 * (BUBBLE_PADDING + self.body.document().documentMargin()) + 8
        self._bubble.setMaximumWidth(int(natural + margin))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_bubble()

    def _build_footer(self) -> QHBoxLayout:
        footer = QHBoxLayout()
        footer.setContentsMargins(0, 0, 0, 0)
        footer.setSpacing(2)
        self._stats = named(QLabel(self, wordWrap=True), "messageStats")
        self._stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long model name must wrap, not widen the whole conversation column.
        self._stats.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        footer.addWidget(self._stats, 1)
        for name in ("prev", "version", "next"):
            footer.addWidget(self._button(name))
        for name in ROLE_ACTIONS.get(self.message.role, ()):
            footer.addWidget(self._button(name))
        return footer

    def _button(self, action: str) -> QToolButton:
        button = named(QToolButton(self), "messageAction")
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        if action == "version":
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a label, not a command
        else:
            button.clicked.connect(lambda: self._on_action_clicked(action))
        self._buttons[action] = button
        return button

    # -- content ----------------------------------------------------------------------------
    def text(self) -> str:
        """The text shown: what has streamed so far, or the stored content."""
        return "".join(self._streamed) if self._stream is not None else self.message.content

    @property
    def is_streaming(self) -> bool:
        return self._stream is not None

    def set_message(self, message: Message) -> None:
        """Show a newer state of the same message; re-renders only when something changed."""
        if message == self.message and self._stream is None:
            return
        self.message = message
        if self._stream is not None and message.status == "streaming":
            self._refresh_footer()  # the stored text lags behind the stream: keep ours
            return
        stream, streamed = self._stream, "".join(self._streamed)
        self._stream = None
        self._streamed = []
        if stream is not None and streamed == message.content and message.role == "assistant" \
                and message.content:
            html = self._cited(self._renderer.finished_html(stream, message.content))
            self.body.finish_stream(html, self._renderer.css())
            self._refresh_extras()
            self._refresh_footer()
        else:
            self.render_message()

    def render_message(self) -> None:
        message, tr = self.message, self._i18n.tr
        self._role.setText(tr(ROLE_NAMES.get(message.role, message.role)))
        if message.role == "assistant" and message.content:
            self.body.show_html(self._cited(self._renderer.html(message.content)),
                                self._renderer.css())
        elif message.role == "assistant" and message.status == "streaming":
            self.body.show_plain("…")
        else:
            self.body.show_plain(message.content)
            self._fit_bubble()
        self._refresh_extras()
        self._refresh_footer()

    def _cited(self, html: str) -> str:
        """The reply's HTML with its [n] citations made links to its sources."""
        return link_citations(html, [s.number for s in message_sources(self.message)])

    def _refresh_extras(self) -> None:
        """The thinking, tool calls and sources a reply's meta holds."""
        meta = self.message.meta
        if self.message.role != "assistant":
            return
        self.sources.set_sources(message_sources(self.message))
        thinking = meta.get("thinking")
        seconds = meta.get("thinking_seconds")
        self.thinking.show_finished(thinking if isinstance(thinking, str) else "",
                                    seconds if isinstance(seconds, (int, float)) else None)
        calls = meta.get("tool_calls")
        self.tool_calls.set_calls(
            [c for c in calls if isinstance(c, Mapping)] if isinstance(calls, list) else [])

    def _refresh_footer(self) -> None:
        message, tr = self.message, self._i18n.tr
        stats = reply_stats(message.meta, tr) if message.role == "assistant" else ""
        host = remote_reply_host(message.meta) if message.role == "assistant" else ""
        if host:  # the privacy promise: a reply computed elsewhere says where
            stats = " · ".join(filter(None, (stats, tr("remote: {host}").format(host=host))))
        self._stats.setText(stats)
        self._stats.setToolTip(tr("This reply was computed on {host}, not on this computer: "
                                  "the conversation was sent there.").format(host=host)
                               if host else "")
        self._refresh_notice()
        for action, (text, name) in ACTIONS.items():
            if action in self._buttons:
                self._buttons[action].setText(tr(text))
                self._buttons[action].setToolTip(tr(name))
                self._buttons[action].setAccessibleName(tr(name))
        self._refresh_versions()

    def _refresh_notice(self) -> None:
        message, tr = self.message, self._i18n.tr
        if message.status == "interrupted":
            text = tr("⚠ This reply was interrupted; the text above is what was saved.")
        elif message.status == "error":
            error = str(message.meta.get("error") or tr("unknown error"))
            text = tr("⚠ The reply failed: {error}").format(error=error)
        else:
            text = ""
        self._notice.setObjectName("errorLabel" if message.status == "error" else "warningLabel")
        self._notice.style().polish(self._notice)
        self._notice.setText(text)
        self._notice.setVisible(bool(text))

    def _refresh_versions(self) -> None:
        message, tr = self.message, self._i18n.tr
        several = message.version_count > 1
        prev, version, nxt = (self._buttons[n] for n in ("prev", "version", "next"))
        version.setText(f"{message.version_index}/{message.version_count}")
        version.setAccessibleName(tr("Version {index} of {count}").format(
            index=message.version_index, count=message.version_count))
        prev.setText("‹")
        nxt.setText("›")
        prev.setAccessibleName(tr("Previous version"))
        nxt.setAccessibleName(tr("Next version"))
        prev.setToolTip(tr("Previous version"))
        nxt.setToolTip(tr("Next version"))
        prev.setEnabled(message.version_index > 1)
        nxt.setEnabled(message.version_index < message.version_count)
        for button in (prev, version, nxt):
            button.setVisible(several)

    # -- streaming --------------------------------------------------------------------------
    def start_stream(self) -> None:
        self._stream = self._renderer.streaming()
        self._streamed = []
        self.body.begin_stream(self._renderer.css())
        self.body.show_stream("", "…")
        self.thinking.begin()
        self.tool_calls.set_calls([])

    def feed(self, text: str) -> None:
        if self._stream is not None:
            self._streamed.append(text)
            self._stream.feed(text)
            self.thinking.end_running()

    def feed_thinking(self, text: str) -> None:
        """More of the reply's thinking; painted at the next ``flush_stream``."""
        if self._stream is not None:
            self.thinking.append(text)

    def add_tool_call(self, call: Mapping[str, Any]) -> None:
        self.thinking.end_running()
        self.tool_calls.add_call(call)

    def set_thinking_expanded(self, expanded: bool) -> None:
        self.thinking.set_expanded(expanded)

    def flush_stream(self) -> None:
        """Repaint with the text streamed since the last flush (called on the view's timer)."""
        stream = self._stream
        self.thinking.flush()
        if stream is not None and self._streamed:
            self.body.show_stream(self._renderer.stream_html(stream), stream.tail_text())

    # -- editing ----------------------------------------------------------------------------
    def begin_edit(self) -> None:
        if self._editor is not None:
            return
        self._editor = MessageEditor(self.message.content, self._i18n, self)
        self._editor.submitted.connect(self._on_editor_submitted)
        self._editor.cancelled.connect(self._on_editor_cancelled)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(2, self._editor)
        self._wrap_target().hide()
        self._editor.focus()

    def _wrap_target(self) -> QWidget:
        return self._bubble if self.message.role == "user" else self.body

    @Slot(str)
    def _on_editor_submitted(self, text: str) -> None:
        self._close_editor()
        self.edit_submitted.emit(self.message.id, text)

    @Slot()
    def _on_editor_cancelled(self) -> None:
        self._close_editor()

    def _close_editor(self) -> None:
        if self._editor is not None:
            self._editor.deleteLater()
            self._editor = None
        self._wrap_target().show()

    # -- events -----------------------------------------------------------------------------
    def _on_action_clicked(self, action: str) -> None:
        if action == "edit":
            self.begin_edit()
        else:
            self.action_requested.emit(action, self.message.id)

    @Slot(QUrl)
    def _on_body_anchor_clicked(self, url: QUrl) -> None:
        if not self.sources.open_url(url):  # a [n] citation opens its passage here
            self.link_clicked.emit(url, self.message.id)

    def retranslate(self) -> None:
        self._role.setText(self._i18n.tr(ROLE_NAMES.get(self.message.role, self.message.role)))
        self.thinking.retranslate()
        self.tool_calls.retranslate()
        self.sources.retranslate()
        self._refresh_footer()
        if self._editor is not None:
            self._editor.retranslate()
