"""The conversation list: the one way widgets change conversations, and the one change signal.

Widgets never write to the ``ConversationStore``: renaming, pinning, deleting, restoring and
importing go through ``ConversationService``, which says so once, with ``changed``. The chat
session uses the same service for the conversations it creates or deletes, and announces the
messages it adds (a count and an order changed) through ``notify_changed``, so the sidebar and
the window title follow every change from one signal.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.core.store.records import ConversationSummary, SearchHit


class ConversationService(QObject):
    """Lists, searches, exports and changes conversations of one store.

    Signals:
        changed(): the conversation list changed: one was added, renamed, pinned, deleted,
            restored or imported, or its messages (count, order) changed.
        deleting(int conv_id): that conversation goes to the bin next; whoever streams a
            reply into it stops and saves it now (the chat session does).
    """

    changed = Signal()
    deleting = Signal(int)

    def __init__(self, store: ConversationStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store

    # -- reads ------------------------------------------------------------------------------
    def list_conversations(self) -> list[ConversationSummary]:
        """Conversations not in the bin, pinned first, then the most recent."""
        return self._store.list_conversations()

    def get(self, conv_id: int) -> ConversationSummary:
        """One conversation's summary; raises StoreError when it no longer exists."""
        return self._store.get_conversation(conv_id)

    def search(self, query: str, limit: int) -> list[SearchHit]:
        """Titles and messages holding every word of ``query``."""
        return self._store.search(query, limit)

    def export_markdown(self, conv_id: int) -> str:
        return self._store.export_markdown(conv_id)

    def export_json(self, conv_id: int) -> dict[str, Any]:
        return self._store.export_json(conv_id)

    @property
    def recovery_notice(self) -> str | None:
        """One line when the database was damaged and recovered at opening, else None."""
        return self._store.recovery_notice

    def saved_state(self, key: str, default: Any = None) -> Any:
        """A value the app saved beside the conversations (window layout), or ``default``."""
        return self._store.get_state(key, default)

    def save_state(self, key: str, value: Any) -> None:
        """Save a JSON-ready value beside the conversations; not a conversation change."""
        self._store.set_state(key, value)

    # -- changes ----------------------------------------------------------------------------
    def create(self, settings: dict[str, Any] | None = None) -> int:
        """Add an empty conversation with its own ``settings``; returns its id."""
        conv_id = self._store.create_conversation(settings=settings or {})
        self.changed.emit()
        return conv_id

    def rename(self, conv_id: int, title: str) -> None:
        """Rename (a blank title becomes the default one); raises StoreError."""
        self._store.rename(conv_id, title)
        self.changed.emit()

    def set_pinned(self, conv_id: int, pinned: bool) -> None:
        self._store.set_pinned(conv_id, pinned)
        self.changed.emit()

    def delete(self, conv_id: int) -> None:
        """Move a conversation to the bin (``restore`` undoes it); its reply stops first."""
        self.deleting.emit(conv_id)
        self._store.delete(conv_id)
        self.changed.emit()

    def restore(self, conv_id: int) -> None:
        """Bring a conversation back from the bin."""
        self._store.restore(conv_id)
        self.changed.emit()

    def import_json(self, data: dict[str, Any]) -> int:
        """Add an exported conversation as a new one (all or nothing); returns its id.
        Raises OpenChatError with one line for data that is not a valid export."""
        conv_id = self._store.import_json(data)
        self.changed.emit()
        return conv_id

    def notify_changed(self) -> None:
        """Messages were added or removed elsewhere (the chat session): say so."""
        self.changed.emit()
