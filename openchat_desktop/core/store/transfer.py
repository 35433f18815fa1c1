"""Export a conversation as versioned JSON or Markdown, and write a validated import.

The JSON holds the whole message tree. Ids in the file are renumbered 1..n in creation order,
so exporting, importing and exporting again gives the same document. ``selected`` marks the
child each parent shows, which restores every version and branch choice on import.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.import_plan import FORMAT, FORMAT_VERSION, ImportPlan
from openchat_desktop.core.store.records import Message, json_dict
from openchat_desktop.core.store.tree import (
    CONTENT,
    CREATED,
    ID,
    META,
    PARENT,
    ROLE,
    SELECTED,
    STATUS,
    children_map,
    choose,
    conversation_rows,
    insert_row,
    set_selected,
)

_HEADINGS = {"system": "System prompt", "user": "You", "assistant": "Assistant"}
_NOTES = {"interrupted": "_(reply interrupted)_", "error": "_(reply failed)_"}


def _shown_ids(rows: list[Any], selected_root: int | None) -> set[int]:
    """Ids of the child each parent shows (including the shown first message)."""
    pointers: dict[int | None, int | None] = {row[ID]: row[SELECTED] for row in rows}
    pointers[None] = selected_root
    return {choose(kids, pointers.get(parent))[ID]
            for parent, kids in children_map(rows).items()}


def export_conversation(conn: sqlite3.Connection, conv_id: int) -> dict[str, Any]:
    """The whole conversation tree as a JSON-ready dict (format version 1)."""
    head = conn.execute("SELECT title, created_at, settings_json FROM conversations "
                        "WHERE id = ?", (conv_id,)).fetchone()
    if head is None:
        raise StoreError("That conversation no longer exists.")
    selected_root, rows = conversation_rows(conn, conv_id)
    number = {row[ID]: index + 1 for index, row in enumerate(rows)}
    shown = _shown_ids(rows, selected_root)
    messages = [{"id": number[row[ID]], "parent_id": number.get(row[PARENT]),
                 "role": row[ROLE], "content": row[CONTENT], "created_at": row[CREATED],
                 "status": row[STATUS], "meta": json_dict(row[META]),
                 "selected": row[ID] in shown} for row in rows]
    return {"format": FORMAT, "version": FORMAT_VERSION, "title": head[0],
            "created_at": head[1], "settings": json_dict(head[2]), "messages": messages}


def write_import(conn: sqlite3.Connection, plan: ImportPlan) -> int:
    """Insert a validated conversation (inside the caller's transaction); return its id."""
    cur = conn.execute("INSERT INTO conversations (title, created_at, updated_at, settings_json) "
                       "VALUES (?, ?, ?, ?)",
                       (plan.title, plan.created_at, time.time(), plan.settings_json))
    conv_id = cur.lastrowid
    if conv_id is None:  # pragma: no cover - SQLite always reports it after INSERT
        raise StoreError("The conversation could not be saved.")
    new_ids: dict[int, int] = {}
    for message in plan.messages:
        parent = None if message.parent is None else new_ids[message.parent]
        new_ids[message.key] = insert_row(conn, conv_id, parent, (
            message.role, message.content, message.created_at, message.status,
            message.meta_json))
        if message.selected:
            set_selected(conn, conv_id, parent, new_ids[message.key])
    return conv_id


def render_markdown(title: str, created_at: float, settings: dict[str, Any],
                    path: list[Message]) -> str:
    """The active path as Markdown: one heading per turn, content verbatim."""
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(created_at))
    parts = [f"# {title}", f"_Started {started}._"]
    prompt = settings.get("system_prompt")
    if isinstance(prompt, str) and prompt.strip() and not any(
            message.role == "system" for message in path):
        # The prompt lives in the settings, not the tree: note it so the export is complete.
        parts.append(f"## {_HEADINGS['system']}\n\n{prompt}")
    for message in path:
        section = f"## {_HEADINGS.get(message.role, message.role)}\n\n{message.content}"
        if message.status in _NOTES:
            section += f"\n\n{_NOTES[message.status]}"
        parts.append(section)
    return "\n\n".join(parts) + "\n"


def decode_state(text: object, default: Any) -> Any:
    """A stored app state value, or ``default`` when the stored text is not valid JSON."""
    try:
        return json.loads(text) if isinstance(text, str) else default
    except (ValueError, RecursionError):
        return default
