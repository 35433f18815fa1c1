"""The chat's "Documents" button: which collections this conversation answers from.

A compact button beside the message box shows how many collections are attached; its menu
lists every collection with a check mark (ticking one attaches it to the open conversation,
through the chat session, which keeps the choice with the conversation) and ends with
"Manage documents…", which opens the documents window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from openchat_desktop.core.docs.types import IndexReport
from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.docs import (
    CollectionSummary,
    DocsService,
    chat_files_conversation,
)
from openchat_desktop.services.notifications import NotificationBus
from openchat_desktop.ui.i18n import Translator


def dropped_documents(mime: QMimeData) -> list[Path]:
    """The local files and folders being dragged, model files left out (those are for the
    model picker); [] when the drag holds none."""
    urls = mime.urls() if mime.hasUrls() else []
    paths = [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]
    return [path for path in paths if path.suffix.lower() != ".gguf"]


class DocsAttachButton(QToolButton):
    """Attach document collections to the open conversation.

    Signals:
        manage_requested(): "Manage documents…" was chosen.
    """

    manage_requested = Signal()

    def __init__(self, session: ChatSession, docs: DocsService, i18n: Translator,
                 bus: NotificationBus | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session, self._docs, self._i18n, self._bus = session, docs, i18n, bus
        self.setObjectName("docsAttachButton")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.menu_ = QMenu(self)
        self.menu_.aboutToShow.connect(self.rebuild_menu)
        self.setMenu(self.menu_)
        session.conversation_opened.connect(self._on_attachments_changed)
        session.conversation_settings_changed.connect(self._on_attachments_changed)
        docs.collections_changed.connect(self._on_attachments_changed)
        docs.finished.connect(self._on_docs_finished)
        self.retranslate()

    def offered(self) -> list[CollectionSummary]:
        """Every collection, and the files dropped on the open conversation (not those of
        other conversations)."""
        current = self._session.current_id
        return [summary for summary in self._docs.collections(include_chat_files=True)
                if summary.conversation is None or summary.conversation == current]

    def attached(self) -> list[str]:
        """The open conversation's attached collections that still exist."""
        known = {summary.name for summary in self.offered()}
        return [name for name in self._session.attached_collections() if name in known]

    def set_attached(self, name: str, on: bool) -> None:
        """Attach collection ``name`` to the open conversation, or detach it."""
        names = [n for n in self._session.attached_collections() if n != name]
        if on:
            names.append(name)
        try:
            self._session.set_attached_collections(names)
        except OpenChatError as exc:
            if self._bus is not None:
                self._bus.show_error(str(exc))
        self.retranslate()

    @Slot()
    def rebuild_menu(self) -> None:
        """The menu as it is now: one checkable entry per collection, then Manage."""
        tr, menu = self._i18n.tr, self.menu_
        menu.clear()
        chosen = set(self._session.attached_collections())
        summaries = self.offered()
        for summary in summaries:
            action = QAction(self._label(summary.name), menu)
            action.setCheckable(True)
            action.setChecked(summary.name in chosen)
            action.toggled.connect(lambda on, name=summary.name: self.set_attached(name, on))
            menu.addAction(action)
        if not summaries:
            empty = menu.addAction(tr("No collections yet"))
            empty.setEnabled(False)
        menu.addSeparator()
        manage = menu.addAction(tr("Manage documents…"))
        manage.triggered.connect(self.manage_requested)

    def _label(self, name: str) -> str:
        """A collection's name as the menu shows it; dropped files say what they are."""
        if chat_files_conversation(name) is not None:
            return self._i18n.tr("Files dropped on this chat")
        return name

    @Slot()
    def _on_attachments_changed(self, *_args: object) -> None:
        self.retranslate()

    @Slot(str, object)
    def _on_docs_finished(self, name: str, report: IndexReport) -> None:
        """Files dropped on a chat are read with the documents window closed: say here
        when they are ready, and which of them could not be read, and why."""
        if chat_files_conversation(name) is None or report.cancelled or self._bus is None:
            return
        tr = self._i18n.tr
        if report.skipped:
            first = report.skipped[0]
            self._bus.show_warning(tr("{count} dropped files could not be read, e.g. {file}: "
                                      "{reason}").format(count=len(report.skipped),
                                                         file=first.path.name,
                                                         reason=first.reason))
        else:
            self._bus.show_info(tr("The dropped files are ready; the answers now draw on "
                                   "them."))

    def retranslate(self) -> None:
        tr = self._i18n.tr
        count = len(self.attached())
        self.setText(tr("Documents ({count})").format(count=count) if count
                     else tr("Documents"))
        names = ", ".join(self._label(name) for name in self.attached())
        tip = (tr("Answers use these documents, with citations: {names}").format(names=names)
               if names else tr("Attach documents so the answers cite them"))
        self.setToolTip(tip)
        self.setAccessibleName(tr("Documents"))
        self.setAccessibleDescription(tip)
