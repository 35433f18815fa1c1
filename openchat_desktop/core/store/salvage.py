"""Write rows rescued from a damaged database into a fresh one, trusting none of them.

Rows read from damaged pages may hold garbage, so every value is checked and coerced; a row
that cannot be made valid is skipped. Messages whose conversation was lost get a placeholder
conversation, and messages whose parent was lost become first messages, so no readable text
is thrown away.
"""

from __future__ import annotations

import math
import sqlite3
import time
from typing import Any

from openchat_desktop.core.store.records import (
    ROLES,
    STATUSES,
    clean_text,
    clean_title,
    json_dict,
    to_json,
)

RECOVERED_TITLE = "Recovered chat"


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: object, default: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            stamp = float(value)
        except OverflowError:
            return default
        return stamp if math.isfinite(stamp) else default
    return default


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return clean_text(value) if isinstance(value, str) else None


def _conversation(row: dict[str, Any], now: float) -> tuple[Any, ...] | None:
    conv_id = _int(row.get("id"))
    if conv_id is None:
        return None
    created = _time(row.get("created_at"), now)
    deleted = row.get("deleted_at")
    return (conv_id, clean_title(_text(row.get("title")) or RECOVERED_TITLE), created,
            _time(row.get("updated_at"), created), 1 if row.get("pinned") else 0,
            None if deleted is None else _time(deleted, now),
            to_json(json_dict(row.get("settings_json")), "settings"),
            _int(row.get("selected_root_id")))


def _message(row: dict[str, Any], known: set[int], now: float) -> tuple[Any, ...] | None:
    msg_id, conv_id = _int(row.get("id")), _int(row.get("conversation_id"))
    role, content = row.get("role"), _text(row.get("content"))
    if msg_id is None or conv_id is None or role not in ROLES or content is None:
        return None
    status = row.get("status")
    # A reply that was streaming, or whose status is unreadable, did not finish.
    if status not in STATUSES or status == "streaming":
        status = "interrupted"
    parent = _int(row.get("parent_id"))
    return (msg_id, conv_id, parent if parent in known else None, role, content,
            _time(row.get("created_at"), now), status,
            to_json(json_dict(row.get("meta_json")), "details"),
            _int(row.get("selected_child_id")))


def _insert(conn: sqlite3.Connection, sql: str, values: tuple[Any, ...]) -> bool:
    try:
        return conn.execute(sql, values).rowcount == 1
    except sqlite3.Error:
        return False


_CONVERSATION_SQL = (
    "INSERT OR IGNORE INTO conversations (id, title, created_at, updated_at, pinned, "
    "deleted_at, settings_json, selected_root_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_MESSAGE_SQL = (
    "INSERT OR IGNORE INTO messages (id, conversation_id, parent_id, role, content, "
    "created_at, status, meta_json, selected_child_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _write_messages(conn: sqlite3.Connection, rows: list[dict[str, Any]],
                    conversations: set[int], now: float) -> int:
    known: set[int] = set()
    # Parents were always written before their replies, so id order puts them first.
    for row in sorted(rows, key=lambda r: _int(r.get("id")) or 0):
        values = _message(row, known, now)
        if values is None:
            continue
        if values[1] not in conversations and _insert(conn, _CONVERSATION_SQL, (
                values[1], RECOVERED_TITLE, values[5], values[5], 0, None, "{}", None)):
            conversations.add(values[1])
        if _insert(conn, _MESSAGE_SQL, values):
            known.add(values[0])
    return len(known)


def write_salvage(conn: sqlite3.Connection, tables: dict[str, list[dict[str, Any]]]
                  ) -> tuple[int, int]:
    """Insert rescued rows in one transaction; return (conversations, messages) written."""
    now = time.time()
    conversations: set[int] = set()
    conn.execute("BEGIN")
    for row in tables.get("conversations", []):
        values = _conversation(row, now)
        if values is not None and _insert(conn, _CONVERSATION_SQL, values):
            conversations.add(values[0])
    messages = _write_messages(conn, tables.get("messages", []), conversations, now)
    for row in tables.get("app_state", []):
        key, value = _text(row.get("key")), _text(row.get("value_json"))
        if key is not None and value is not None:
            _insert(conn, "INSERT OR IGNORE INTO app_state VALUES (?, ?)", (key, value))
    conn.execute("COMMIT")
    return len(conversations), messages
