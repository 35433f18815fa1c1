"""The conversation store: every chat, every version of every reply, kept in one SQLite file.

Messages form a tree, so regenerating a reply or editing an earlier message adds a sibling
instead of overwriting anything. Each write is one committed transaction (WAL mode), so a
crash loses at most the reply text streamed since the last ``update_message``.

This package's ``store*`` modules are the only ones in the app that talk to SQLite.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store import search as store_search
from openchat_desktop.core.store import transfer as store_io
from openchat_desktop.core.store import tree as store_tree
from openchat_desktop.core.store.import_plan import parse_import
from openchat_desktop.core.store.records import (
    DEFAULT_TITLE,
    ROLES,
    STATUSES,
    ConversationSummary,
    Message,
    SearchHit,
    check_choice,
    clean_text,
    clean_title,
    json_dict,
    to_json,
)
from openchat_desktop.core.store.recovery import open_database

__all__ = ["ConversationStore", "ConversationSummary", "Message", "SearchHit"]

_MONTH_S = 30 * 24 * 3600.0
_SUMMARY_SQL = (
    "SELECT c.id, c.title, c.created_at, c.updated_at, c.pinned, "
    "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id), c.deleted_at "
    "FROM conversations c")


def _summary(row: Any) -> ConversationSummary:
    return ConversationSummary(id=row[0], title=row[1], created_at=row[2], updated_at=row[3],
                               pinned=bool(row[4]), message_count=row[5], deleted_at=row[6])


class ConversationStore:
    """Conversations and their message trees in one SQLite database file.

    Safe to share between threads (one connection behind a lock). Opening a damaged file
    recovers what it can and sets ``recovery_notice``; every failure is a StoreError.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        conn, notice = open_database(self.path)
        self._conn: sqlite3.Connection | None = conn
        #: One human line when the file was damaged and recovered at open, else None.
        self.recovery_notice: str | None = notice

    def close(self) -> None:
        """Close the database; further calls raise StoreError. Safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise StoreError("The conversation database is closed.")
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise StoreError(f"Conversation database error: {' '.join(str(exc).split())}"
                                 ) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction; any error rolls all of it back."""
        with self._read() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # -- conversations -------------------------------------------------------------------

    def create_conversation(self, title: str = DEFAULT_TITLE,
                            settings: dict[str, Any] | None = None) -> int:
        """Start an empty conversation; return its id."""
        values = (clean_title(title), to_json(settings or {}, "conversation settings"))
        now = time.time()
        with self._write() as conn:
            cur = conn.execute("INSERT INTO conversations (title, created_at, updated_at, "
                               "settings_json) VALUES (?, ?, ?, ?)", (values[0], now, now,
                                                                      values[1]))
            return int(cur.lastrowid or 0)

    def list_conversations(self, include_deleted: bool = False) -> list[ConversationSummary]:
        """Conversations, pinned first, then most recently updated first."""
        where = "" if include_deleted else " WHERE c.deleted_at IS NULL"
        with self._read() as conn:
            rows = conn.execute(f"{_SUMMARY_SQL}{where} "
                                "ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC")
            return [_summary(row) for row in rows.fetchall()]

    def get_conversation(self, conv_id: int) -> ConversationSummary:
        """One conversation's summary (also when it is in the bin)."""
        with self._read() as conn:
            row = conn.execute(f"{_SUMMARY_SQL} WHERE c.id = ?", (conv_id,)).fetchone()
        if row is None:
            raise StoreError("That conversation no longer exists.")
        return _summary(row)

    def _update_conversation(self, conv_id: int, assignment: str, value: Any) -> None:
        with self._write() as conn:
            cur = conn.execute(f"UPDATE conversations SET {assignment} WHERE id = ?",
                               (value, conv_id))
            if cur.rowcount == 0:
                raise StoreError("That conversation no longer exists.")

    def rename(self, conv_id: int, title: str) -> None:
        """Rename a conversation (blank becomes the default title)."""
        self._update_conversation(conv_id, "title = ?", clean_title(title))

    def set_pinned(self, conv_id: int, pinned: bool) -> None:
        """Pin (keep at the top of the list) or unpin a conversation."""
        self._update_conversation(conv_id, "pinned = ?", 1 if pinned else 0)

    def delete(self, conv_id: int) -> None:
        """Move a conversation to the bin; ``restore`` undoes it until it is purged."""
        self._update_conversation(conv_id, "deleted_at = COALESCE(deleted_at, ?)", time.time())

    def restore(self, conv_id: int) -> None:
        """Bring a deleted conversation back."""
        self._update_conversation(conv_id, "deleted_at = ?", None)

    def purge_deleted(self, older_than_s: float = _MONTH_S) -> int:
        """Erase conversations deleted at least ``older_than_s`` ago; return how many."""
        cutoff = time.time() - older_than_s
        with self._write() as conn:
            ids = [row[0] for row in conn.execute(
                "SELECT id FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                (cutoff,)).fetchall()]
            for conv_id in ids:
                # One statement per conversation removes a whole tree at once, so the
                # parent_id foreign key is satisfied when the statement ends.
                conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conv_id,))
                conn.execute("DELETE FROM conversations WHERE id = ?", (conv_id,))
        return len(ids)

    def conversation_settings(self, conv_id: int) -> dict[str, Any]:
        """The conversation's own settings (model, system prompt, sampling...)."""
        with self._read() as conn:
            row = conn.execute("SELECT settings_json FROM conversations WHERE id = ?",
                               (conv_id,)).fetchone()
        if row is None:
            raise StoreError("That conversation no longer exists.")
        return json_dict(row[0])

    def set_conversation_settings(self, conv_id: int, settings: dict[str, Any]) -> None:
        """Replace the conversation's settings dict."""
        self._update_conversation(conv_id, "settings_json = ?",
                                  to_json(settings, "conversation settings"))

    # -- messages ------------------------------------------------------------------------

    def add_message(self, conv_id: int, parent_id: int | None, role: str, content: str,
                    status: str = "complete", meta: dict[str, Any] | None = None) -> Message:
        """Add a message under ``parent_id`` (None: a first message) and show it."""
        values = (check_choice(role, ROLES, "role"), clean_text(content, "message"),
                  time.time(), check_choice(status, STATUSES, "status"),
                  to_json(meta or {}, "message details"))
        with self._write() as conn:
            store_tree.check_parent(conn, conv_id, parent_id)
            new_id = store_tree.insert_row(conn, conv_id, parent_id, values)
            store_tree.set_selected(conn, conv_id, parent_id, new_id)
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                         (values[2], conv_id))
            versions = store_tree.siblings(conn, new_id)
        return versions[-1]

    def update_message(self, message_id: int, content: str, status: str | None = None,
                       meta: dict[str, Any] | None = None) -> None:
        """Save a streaming reply's text so far (and status/meta when given); committed."""
        text = clean_text(content, "message")
        state = None if status is None else check_choice(status, STATUSES, "status")
        details = None if meta is None else to_json(meta, "message details")
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE messages SET content = ?, status = COALESCE(?, status), "
                "meta_json = COALESCE(?, meta_json) WHERE id = ?",
                (text, state, details, message_id))
            if cur.rowcount == 0:
                raise StoreError("That message no longer exists.")

    def active_path(self, conv_id: int) -> list[Message]:
        """The messages shown, first to last, following each node's selected child."""
        with self._read() as conn:
            selected_root, rows = store_tree.conversation_rows(conn, conv_id)
        return store_tree.walk(rows, selected_root)

    def siblings(self, message_id: int) -> list[Message]:
        """All versions of a message (same parent, same role), oldest first."""
        with self._read() as conn:
            return store_tree.siblings(conn, message_id)

    def select_message(self, message_id: int) -> None:
        """Show this version or branch; below it, its own remembered choices come back."""
        with self._write() as conn:
            store_tree.select_path(conn, message_id)

    def delete_message(self, message_id: int) -> int | None:
        """Delete a message and all its replies; return the id now shown in its place."""
        with self._write() as conn:
            return store_tree.delete_subtree(conn, message_id)

    def mark_interrupted_streams(self) -> int:
        """After a crash: replies left 'streaming' become 'interrupted' (text kept)."""
        with self._write() as conn:
            return conn.execute("UPDATE messages SET status = 'interrupted' "
                                "WHERE status = 'streaming'").rowcount

    # -- search, state, export -----------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Titles and messages containing every word of ``query`` (any text is safe)."""
        with self._read() as conn:
            return store_search.search(conn, clean_text(query, "search"), limit)

    def get_state(self, key: str, default: Any = None) -> Any:
        """A saved app state value (JSON), or ``default``."""
        with self._read() as conn:
            row = conn.execute("SELECT value_json FROM app_state WHERE key = ?",
                               (key,)).fetchone()
        return default if row is None else store_io.decode_state(row[0], default)

    def set_state(self, key: str, value: Any) -> None:
        """Save an app state value; it must be JSON-serialisable."""
        text = to_json(value, "app state")
        with self._write() as conn:
            conn.execute("INSERT INTO app_state (key, value_json) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json",
                         (clean_text(key, "state key"), text))

    def export_json(self, conv_id: int) -> dict[str, Any]:
        """The whole conversation tree as a versioned, JSON-ready dict."""
        with self._read() as conn:
            return store_io.export_conversation(conn, conv_id)

    def import_json(self, data: dict[str, Any]) -> int:
        """Import an exported conversation as a new one; all or nothing. Returns its id."""
        plan = parse_import(data)
        with self._write() as conn:
            return store_io.write_import(conn, plan)

    def export_markdown(self, conv_id: int) -> str:
        """The active path as Markdown, content verbatim."""
        summary = self.get_conversation(conv_id)
        path = self.active_path(conv_id)
        return store_io.render_markdown(summary.title, summary.created_at,
                                        self.conversation_settings(conv_id), path)
