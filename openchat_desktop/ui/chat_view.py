"""The conversation: the active path as a column of message widgets, built only near the view.

Only a window of the path has widgets: opening a conversation builds its last ``PAGE``
messages; scrolling near the top or bottom edge of the window adds a page there, and jumping
to a search hit far above builds a new window around it. Path changes (a reply added, a
version picked) rebuild only the messages after the first difference. Streamed text is
buffered and painted on a 40 ms timer, so a fast model costs one repaint per frame (the
layouts a taller reply sets off run before that paint, not after it); when a
repaint itself takes long (a huge unbroken line), the next waits twice as long as it took, so
the window keeps answering. A finished reply is rendered once from the store, not flushed first.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from openchat_desktop.core.docs.types import Source
from openchat_desktop.core.store.records import Message
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.message_actions import MessageActions
from openchat_desktop.ui.message_widget import MessageWidget
from openchat_desktop.ui.rendering import Renderer
from openchat_desktop.ui.thinking_control import ThinkingControl
from openchat_desktop.ui.widgets import named

PAGE = 24
KEEP_WHILE_FOLLOWING = 3 * PAGE
REPAINT_MS = 40
ANCHOR_HOLD_MS = 150
COLUMN_MAX_WIDTH = 860
SIDE_MARGIN = 24
_EDGE_PX = 160
_NEAR_BOTTOM_PX = 32
_LAYOUT_LEVELS = 6  # message widget, column, canvas, viewport, and some to spare
_REVEAL_CONTEXT = 4
THINKING_EXPANDED_KEY = "ui.thinking_expanded"


class ChatView(QScrollArea):
    """Shows the session's current conversation and streams its reply.

    Signals: none of its own (``actions.link_opened`` tells of links handed to the browser).
    """

    def __init__(self, ctx: AppContext, renderer: Renderer, parent: QWidget | None = None):
        super().__init__(parent)
        self._ctx, self._renderer = ctx, renderer
        self._messages: list[Message] = []
        self._first = 0  # messages[_first:_last] have widgets, in this order
        self._last = 0
        self._widgets: list[MessageWidget] = []
        self._reset_next = True
        self._dirty: set[MessageWidget] = set()
        self._stick_to_bottom = True
        self._keep_from_bottom: int | None = None
        self.actions_handler = MessageActions(ctx, renderer, self.widget_for, self)
        self._build()
        # Above the messages, outside the scrolled canvas: it stays put while they scroll.
        self.thinking_control = ThinkingControl(ctx, self)
        self.thinking_control.installEventFilter(self)
        self._connect()
        self.retranslate()

    def _build(self) -> None:
        self.setObjectName("chatScroll")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        canvas = named(QWidget(), "chatCanvas")
        self._outer = QVBoxLayout(canvas)
        self._column = QWidget(canvas)
        self._layout = QVBoxLayout(self._column)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._older = named(QLabel(self._column), "muted")
        self._newer = named(QLabel(self._column), "muted")
        self._empty = named(QLabel(self._column, wordWrap=True), "muted")
        for label in (self._older, self._newer, self._empty):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._layout.addWidget(label)
        self._empty.setContentsMargins(0, 96, 0, 0)  # nearer the middle of an empty chat
        self._layout.addStretch(1)
        self._outer.addWidget(self._column)
        self._fit_column()
        self.setWidget(canvas)
        self._timer = QTimer(self, singleShot=True, interval=REPAINT_MS)
        self._timer.timeout.connect(self._on_repaint_timer_timeout)
        self.apply_font_size(int(self._ctx.settings.get("ui.font_size")))

    def _connect(self) -> None:
        session = self._ctx.session
        session.conversation_opened.connect(self._on_session_conversation_opened)
        session.path_changed.connect(self._on_session_path_changed)
        session.reply_started.connect(self._on_session_reply_started)
        session.reply_sources.connect(self._on_session_reply_sources)
        session.reply_delta.connect(self._on_session_reply_delta)
        session.reply_thinking.connect(self._on_session_reply_thinking)
        session.reply_tool_call.connect(self._on_session_reply_tool_call)
        session.reply_finished.connect(self._on_session_reply_finished)
        session.reply_failed.connect(self._on_session_reply_failed)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scroll_value_changed)
        bar.rangeChanged.connect(self._on_scroll_range_changed)

    # -- public -----------------------------------------------------------------------------
    @property
    def message_widgets(self) -> list[MessageWidget]:
        return list(self._widgets)

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self._widgets if w.message.id == message_id), None)

    def loaded_count(self) -> int:
        return len(self._widgets)

    def refresh(self, reset: bool = False) -> None:
        """Show the session's active path again, rebuilding only what changed."""
        messages = self._ctx.session.messages()
        if reset or self._reset_next:
            self._reset_next = False
            self._show_window(messages, max(0, len(messages) - PAGE))
        else:
            self._show_changes(messages)

    def reveal(self, message_id: int) -> None:
        """Scroll to a message (a search hit); a far one gets a window of its own."""
        index = next((i for i, m in enumerate(self._messages) if m.id == message_id), None)
        if index is None:
            return
        if index < self._first - 2 * PAGE or index >= self._last:
            self._show_window(self._messages, max(0, index - _REVEAL_CONTEXT))
        while index < self._first:
            self._load_older()
        self._stick_to_bottom = False
        # After the new pages are laid out; by id, as the widget may be gone by then.
        QTimer.singleShot(0, lambda: self._scroll_to(message_id))

    def scroll_to_bottom(self) -> None:
        if self._last < len(self._messages):
            self._show_window(self._messages, max(0, len(self._messages) - PAGE))
        self._stick_to_bottom = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def set_theme(self, theme: str) -> None:
        if self._renderer.set_theme("dark" if theme == "dark" else "light"):
            for widget in self._widgets:
                if not widget.is_streaming:
                    widget.render_message()

    def apply_font_size(self, points: int) -> None:
        font = QFont(self.font())
        font.setPointSize(points)
        self._column.setFont(font)

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        self.setAccessibleName(tr("Conversation"))
        self._older.setText(tr("Scroll up for older messages"))
        self._newer.setText(tr("Scroll down for newer messages"))
        self._empty.setText(tr("Ask anything. The model runs on this computer; nothing you "
                               "write leaves it."))
        self.thinking_control.retranslate()
        relabelled = self._renderer.set_copy_label(tr("Copy"))
        for widget in self._widgets:
            widget.retranslate()
            if relabelled and not widget.is_streaming:
                widget.render_message()

    # -- the window of widgets --------------------------------------------------------------
    def _show_window(self, messages: list[Message], first: int) -> None:
        self._remove_from(0)
        self._messages = messages
        self._first = self._last = first
        self._add_newer(min(len(messages), first + PAGE) - first)
        self._stick_to_bottom = self._last == len(messages)
        if self._stick_to_bottom:
            QTimer.singleShot(0, self.scroll_to_bottom)

    def _show_changes(self, messages: list[Message]) -> None:
        same = 0
        limit = min(len(messages), len(self._messages))
        while same < limit and messages[same].id == self._messages[same].id:
            same += 1
        detached = self._last < len(self._messages)
        if same < self._first or (detached and same >= self._last):
            # A change above the window, or new messages while reading older ones (the user
            # just sent something): show the end, where the change is.
            self._show_window(messages, max(0, len(messages) - PAGE))
            return
        self._messages = messages
        self._remove_from(same - self._first)
        for widget, message in zip(self._widgets, messages[self._first:same], strict=True):
            widget.set_message(message)
        self._last = same
        self._add_newer(min(len(messages) - same, PAGE))
        self._drop_far_above()

    def _remove_from(self, index: int) -> None:
        for widget in self._widgets[index:]:
            self._dirty.discard(widget)
            self._layout.removeWidget(widget)
            widget.hide()  # laid out and painted no more, even before the deletion happens
            widget.deleteLater()
        del self._widgets[index:]
        self._last = self._first + len(self._widgets)

    def _make(self, message: Message) -> MessageWidget:
        widget = MessageWidget(message, self._renderer, self._ctx.i18n, self._column,
                               bool(self._ctx.settings.get(THINKING_EXPANDED_KEY)))
        self.actions_handler.attach(widget)
        widget.thinking_toggled.connect(self._on_message_thinking_toggled)
        return widget

    def _add_newer(self, count: int) -> None:
        position = self._layout.indexOf(self._newer)
        for offset, message in enumerate(self._messages[self._last:self._last + count]):
            widget = self._make(message)
            self._layout.insertWidget(position + offset, widget)
            self._widgets.append(widget)
        self._last += max(0, count)
        self._update_placeholders()

    def _drop_far_above(self) -> None:
        """While following the newest message, drop widgets far above it, a page at a time:
        otherwise a long chat keeps a widget for every message it ever showed (about half a
        megabyte each). Scrolling up builds them again."""
        extra = len(self._widgets) - KEEP_WHILE_FOLLOWING
        if extra < PAGE or not self._stick_to_bottom or self._last < len(self._messages):
            return
        for widget in self._widgets[:extra]:
            self._dirty.discard(widget)
            self._layout.removeWidget(widget)
            widget.deleteLater()
        del self._widgets[:extra]
        self._first += extra
        self._update_placeholders()

    def _load_older(self) -> None:
        if self._first == 0:
            return
        start = max(0, self._first - PAGE)
        bar = self.verticalScrollBar()
        self._keep_from_bottom = bar.maximum() - bar.value()
        position = self._layout.indexOf(self._older) + 1
        new = [self._make(m) for m in self._messages[start:self._first]]
        for offset, widget in enumerate(new):
            self._layout.insertWidget(position + offset, widget)
        self._widgets[0:0] = new
        self._first = start
        # New widgets settle their heights over a few layout passes: hold the anchor until then.
        QTimer.singleShot(ANCHOR_HOLD_MS, self._release_anchor)
        self._update_placeholders()

    def _release_anchor(self) -> None:
        self._keep_from_bottom = None
        # Scrolling during the hold was not acted on: the reader may be at an edge already.
        self._on_scroll_value_changed(self.verticalScrollBar().value())

    def _update_placeholders(self) -> None:
        if self._last < len(self._messages):
            self._stick_to_bottom = False  # the bottom of a window is not the conversation's
        self._older.setVisible(self._first > 0)
        self._newer.setVisible(self._last < len(self._messages))
        self._empty.setVisible(not self._messages)

    def _scroll_to(self, message_id: int) -> None:
        widget = self.widget_for(message_id)
        if widget is not None:
            self.ensureWidgetVisible(widget, 0, 40)

    # -- session signals --------------------------------------------------------------------
    @Slot(int)
    def _on_session_conversation_opened(self, _conv_id: int) -> None:
        self._reset_next = True

    @Slot()
    def _on_session_path_changed(self) -> None:
        self.refresh()

    @Slot(int)
    def _on_session_reply_started(self, message_id: int) -> None:
        self._timer.setInterval(REPAINT_MS)  # a slow last reply does not slow this one
        widget = self.widget_for(message_id)
        if widget is not None:
            widget.start_stream()

    @Slot(int, object)
    def _on_session_reply_sources(self, message_id: int, sources: list[Source]) -> None:
        # Shown as the reply starts, so the reader sees what it draws on while it streams.
        widget = self.widget_for(message_id)
        if widget is not None:
            widget.sources.set_sources(sources)

    @Slot(int, str)
    def _on_session_reply_delta(self, message_id: int, text: str) -> None:
        widget = self.widget_for(message_id)
        if widget is None:
            return
        widget.feed(text)
        self._dirty.add(widget)
        if not self._timer.isActive():
            self._timer.start()

    @Slot(int, str)
    def _on_session_reply_thinking(self, message_id: int, text: str) -> None:
        widget = self.widget_for(message_id)
        if widget is None:
            return
        widget.feed_thinking(text)
        self._dirty.add(widget)
        if not self._timer.isActive():
            self._timer.start()

    @Slot(int, object)
    def _on_session_reply_tool_call(self, message_id: int, call: dict[str, object]) -> None:
        widget = self.widget_for(message_id)
        if widget is not None:
            widget.add_tool_call(call)

    @Slot(bool)
    def _on_message_thinking_toggled(self, expanded: bool) -> None:
        # One choice for every reply, remembered: whoever opens one wants to read them.
        if bool(self._ctx.settings.get(THINKING_EXPANDED_KEY)) != expanded:
            self._ctx.settings.set(THINKING_EXPANDED_KEY, expanded)
        for widget in self._widgets:
            widget.set_thinking_expanded(expanded)

    @Slot(int, object)
    def _on_session_reply_finished(self, message_id: int, _stats: object) -> None:
        self._end_stream(message_id)

    @Slot(int, str)
    def _on_session_reply_failed(self, message_id: int, _message: str) -> None:
        self._end_stream(message_id)

    def _end_stream(self, message_id: int) -> None:
        """Show the ended reply as stored, rendered whole (flushing it first would be wasted).
        Only that message changed: the rest of a long conversation is not read again."""
        self._timer.stop()
        widget = self.widget_for(message_id)
        message = self._ctx.session.message(message_id)
        if widget is None or message is None:
            self.refresh()
        else:
            self._dirty.discard(widget)
            widget.set_message(message)
        self._on_repaint_timer_timeout()  # whatever still streams shows its latest text

    @Slot()
    def _on_repaint_timer_timeout(self) -> None:
        started = time.perf_counter()
        dirty, self._dirty = self._dirty, set()
        for widget in dirty:
            widget.flush_stream()
        _settle_layouts()
        spent_ms = (time.perf_counter() - started) * 1000
        self._timer.setInterval(max(REPAINT_MS, int(2 * spent_ms)))

    # -- scrolling --------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_column()
        self._place_thinking_control()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # QScrollArea filters its canvas's events too, from before the control exists.
        if watched is getattr(self, "thinking_control", None) and event.type() in (
                QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.LayoutRequest):
            self._place_thinking_control()
        return super().eventFilter(watched, event)

    def _place_thinking_control(self) -> None:
        """The Thinking choice sits in a strip of its own at the top right, when shown."""
        control = self.thinking_control
        shown = not control.isHidden()
        height = control.sizeHint().height() + 8 if shown else 0
        self.setViewportMargins(0, height, 0, 0)
        if shown:
            hint = control.sizeHint()
            frame = self.frameWidth()
            control.setGeometry(self.width() - frame - hint.width() - SIDE_MARGIN, frame + 4,
                                hint.width(), hint.height())

    def _fit_column(self) -> None:
        # Long lines are hard to read: past COLUMN_MAX_WIDTH the column stays centred.
        side = max(SIDE_MARGIN, (self.viewport().width() - COLUMN_MAX_WIDTH) // 2)
        self._outer.setContentsMargins(side, 12, side, 12)

    @Slot(int)
    def _on_scroll_value_changed(self, value: int) -> None:
        bar = self.verticalScrollBar()
        if self._keep_from_bottom is not None or bar.maximum() <= 0:
            return
        at_end = self._last == len(self._messages)
        self._stick_to_bottom = at_end and value >= bar.maximum() - _NEAR_BOTTOM_PX
        if value <= _EDGE_PX and self._first > 0:
            self._load_older()
        elif value >= bar.maximum() - _EDGE_PX and not at_end:
            self._add_newer(PAGE)

    @Slot(int, int)
    def _on_scroll_range_changed(self, _minimum: int, maximum: int) -> None:
        bar = self.verticalScrollBar()
        if self._keep_from_bottom is not None:
            bar.setValue(maximum - self._keep_from_bottom)
        elif self._stick_to_bottom:
            bar.setValue(maximum)


def _settle_layouts() -> None:
    """Run now the layout passes a taller reply sets off, each level posting the next, so the
    window paints once per flush, not once before the scroll and again after it."""
    for _ in range(_LAYOUT_LEVELS):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
