"""The sidebar: search, the conversation list, and undo for a deletion.

Rename with F2 (or the context menu), delete with the Delete key; a deletion can be undone for
``UNDO_SECONDS`` from the bar that appears under the list. Every change goes through the
``ConversationService`` (``ctx.conversations``); the list reloads on its ``changed`` signal.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.conversation_model import (
    ID_ROLE,
    MESSAGE_ROLE,
    ConversationListModel,
    SearchHitsModel,
    TwoLineDelegate,
)
from openchat_desktop.ui.widgets import named

UNDO_SECONDS = 8
SEARCH_DELAY_MS = 150
SEARCH_LIMIT = 100


class ConversationList(QWidget):
    """Lists conversations and search hits and opens the one chosen.

    Signals:
        hit_activated(int conv_id, int message_id): a search hit was opened (0: a title hit).
        export_requested(int conv_id, str kind): "markdown" or "json" from the context menu.
    """

    hit_activated = Signal(int, int)
    export_requested = Signal(int, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._syncing = False
        self._deleted: tuple[int, str] | None = None
        self.model = ConversationListModel(ctx.i18n.tr, self)
        self.hits = SearchHitsModel(ctx.i18n.tr, self)
        self._build()
        self._connect()
        self.retranslate()
        self.refresh()

    def _build(self) -> None:
        self.new_button = QPushButton(self)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.view = named(QListView(self), "conversationList")
        self.view.setItemDelegate(TwoLineDelegate(self.view))
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setUniformItemSizes(True)
        self._delete_action = QAction(self.view)
        self._delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self._delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.view.addAction(self._delete_action)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self._build_undo_bar())

    def _build_undo_bar(self) -> QFrame:
        self.undo_bar = named(QFrame(self), "undoBar")
        self.undo_label = QLabel(self.undo_bar, wordWrap=True)
        self.undo_button = QPushButton(self.undo_bar)
        row = QHBoxLayout(self.undo_bar)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.undo_label, 1)
        row.addWidget(self.undo_button)
        self.undo_bar.hide()
        self._undo_timer = QTimer(self, singleShot=True, interval=UNDO_SECONDS * 1000)
        self._undo_timer.timeout.connect(self._on_undo_timer_timeout)
        return self.undo_bar

    def _connect(self) -> None:
        session = self._ctx.session
        self._ctx.conversations.changed.connect(self.refresh)
        session.conversation_opened.connect(self._on_session_conversation_opened)
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._on_search_return_pressed)
        self.view.activated.connect(self._on_view_activated)
        self.view.clicked.connect(self._on_view_activated)
        self.view.selectionModel().currentChanged.connect(self._on_view_current_changed)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu_requested)
        self.model.rename_requested.connect(self._on_model_rename_requested)
        self._delete_action.triggered.connect(self._on_delete_action_triggered)
        self.undo_button.clicked.connect(self._on_undo_button_clicked)

    # -- public -----------------------------------------------------------------------------
    @property
    def searching(self) -> bool:
        return self.view.model() is self.hits

    def refresh(self) -> None:
        """Reload the list, keeping the open conversation selected."""
        self.model.set_conversations(self._ctx.conversations.list_conversations())
        self._select_current()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def rename(self, conv_id: int) -> None:
        """Start editing the title in place."""
        row = self.model.row_of(conv_id)
        if row is not None and not self.searching:
            self.view.edit(self.model.index(row))

    def set_pinned(self, conv_id: int, pinned: bool) -> None:
        self._ctx.conversations.set_pinned(conv_id, pinned)

    def delete(self, conv_id: int) -> None:
        """Move a conversation to the bin and offer to undo it."""
        title = self._ctx.conversations.get(conv_id).title
        was_open = conv_id == self._ctx.session.current_id
        self._ctx.conversations.delete(conv_id)
        self._deleted = (conv_id, title)
        self._show_undo(title)
        if was_open:
            self._open_another()

    def undo_delete(self) -> None:
        if self._deleted is None:
            return
        conv_id, _title = self._deleted
        self._deleted = None
        self.undo_bar.hide()
        self._undo_timer.stop()
        self._ctx.conversations.restore(conv_id)
        self._ctx.session.open(conv_id)

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        self.new_button.setText(tr("New chat"))
        self.new_button.setAccessibleName(tr("New chat"))
        self.new_button.setToolTip(tr("Start a new conversation (Ctrl+N)"))
        self.search.setPlaceholderText(tr("Search chats (Ctrl+F)"))
        self.search.setAccessibleName(tr("Search conversations"))
        self.view.setAccessibleName(tr("Conversations"))
        self._delete_action.setText(tr("Delete"))
        self.undo_button.setText(tr("Undo"))
        self.undo_button.setAccessibleName(tr("Undo delete"))
        if self._deleted is not None:
            self.undo_label.setText(tr("Deleted “{title}”").format(title=self._deleted[1]))
        self.view.viewport().update()

    # -- helpers ----------------------------------------------------------------------------
    def _select_current(self) -> None:
        row = self.model.row_of(self._ctx.session.current_id or -1)
        if self.searching or row is None:
            return
        self._syncing = True
        try:
            self.view.setCurrentIndex(self.model.index(row))
        finally:
            self._syncing = False

    def _open_another(self) -> None:
        remaining = self._ctx.conversations.list_conversations()
        if remaining:
            self._ctx.session.open(remaining[0].id)
        else:
            self._ctx.session.new_conversation()

    def _show_undo(self, title: str) -> None:
        tr = self._ctx.i18n.tr
        self.undo_label.setText(tr("Deleted “{title}”").format(title=title))
        self.undo_bar.show()
        self._undo_timer.start()

    def _run(self, action: str, conv_id: int) -> None:
        try:
            if action == "delete":
                self.delete(conv_id)
            elif action in ("pin", "unpin"):
                self.set_pinned(conv_id, action == "pin")
            elif action == "rename":
                self.rename(conv_id)
            elif action in ("markdown", "json"):
                self.export_requested.emit(conv_id, action)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))

    # -- slots ------------------------------------------------------------------------------
    @Slot(int)
    def _on_session_conversation_opened(self, _conv_id: int) -> None:
        self._select_current()

    @Slot()
    def _on_new_button_clicked(self) -> None:
        self._ctx.session.new_conversation()

    @Slot()
    def _on_search_timer_timeout(self) -> None:
        query = self.search.text().strip()
        if not query:
            self.view.setModel(self.model)
            self.view.selectionModel().currentChanged.connect(self._on_view_current_changed)
            self._select_current()
            return
        self.hits.set_hits(self._ctx.conversations.search(query, SEARCH_LIMIT))
        if not self.searching:
            self.view.setModel(self.hits)

    @Slot()
    def _on_search_return_pressed(self) -> None:
        self._search_timer.stop()
        self._on_search_timer_timeout()
        if self.view.model().rowCount() > 0:
            self._on_view_activated(self.view.model().index(0, 0))

    @Slot(QModelIndex)
    def _on_view_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        conv_id = int(index.data(ID_ROLE))
        if self.searching:
            self.hit_activated.emit(conv_id, int(index.data(MESSAGE_ROLE) or 0))
        elif conv_id != self._ctx.session.current_id:
            self._ctx.session.open(conv_id)

    @Slot(QModelIndex, QModelIndex)
    def _on_view_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._syncing and not self.searching:
            self._on_view_activated(current)

    @Slot(QPoint)
    def _on_view_context_menu_requested(self, point: QPoint) -> None:
        index = self.view.indexAt(point)
        if not index.isValid() or self.searching:
            return
        self._context_menu(self.model.summary(index.row()).id,
                           self.model.summary(index.row()).pinned).popup(
            self.view.viewport().mapToGlobal(point))

    def _context_menu(self, conv_id: int, pinned: bool) -> QMenu:
        tr = self._ctx.i18n.tr
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        entries = [("rename", tr("Rename") + "\tF2"), ("unpin" if pinned else "pin",
                   tr("Unpin") if pinned else tr("Pin to top")),
                   ("markdown", tr("Export as Markdown…")), ("json", tr("Export as JSON…")),
                   ("delete", tr("Delete") + "\tDel")]
        for action, text in entries:
            menu.addAction(text, functools.partial(self._run, action, conv_id))
        return menu

    @Slot(int, str)
    def _on_model_rename_requested(self, conv_id: int, title: str) -> None:
        try:
            self._ctx.conversations.rename(conv_id, title)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))
            self.refresh()  # the edited title goes back to the stored one

    @Slot()
    def _on_delete_action_triggered(self) -> None:
        index = self.view.currentIndex()
        if index.isValid() and not self.searching:
            self._run("delete", int(index.data(ID_ROLE)))

    @Slot()
    def _on_undo_button_clicked(self) -> None:
        self.undo_delete()

    @Slot()
    def _on_undo_timer_timeout(self) -> None:
        self._deleted = None
        self.undo_bar.hide()
