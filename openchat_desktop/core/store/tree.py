"""The message tree: adding replies, switching versions, walking the active path, pruning.

Every message keeps the id of its selected child (``selected_child_id``) and each conversation
keeps its selected first message (``selected_root_id``). Switching the version at depth k
rewrites one pointer, so the path below continues with that version's own remembered choices.
A missing or stale pointer falls back to the newest child.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.records import Message, json_dict

Row = Sequence[Any]
COLUMNS = ("id, conversation_id, parent_id, role, content, status, meta_json, created_at, "
           "selected_child_id")
ID, CONV, PARENT, ROLE, CONTENT, STATUS, META, CREATED, SELECTED = range(9)


def to_message(row: Row, index: int = 1, count: int = 1) -> Message:
    """Build a Message from a row selected with ``COLUMNS``."""
    return Message(id=row[ID], conversation_id=row[CONV], parent_id=row[PARENT], role=row[ROLE],
                   content=row[CONTENT], status=row[STATUS], meta=json_dict(row[META]),
                   created_at=row[CREATED], version_index=index, version_count=count)


def children_map(rows: Sequence[Row]) -> dict[int | None, list[Row]]:
    """Group rows (ordered by id) under their parent id, so each list is oldest first."""
    known = {row[ID] for row in rows}
    children: dict[int | None, list[Row]] = {}
    for row in rows:
        parent = row[PARENT] if row[PARENT] in known else None
        children.setdefault(parent, []).append(row)
    return children


def choose(kids: Sequence[Row], wanted: int | None) -> Row:
    """The selected child among ``kids``: the remembered one, else the newest."""
    return next((kid for kid in kids if kid[ID] == wanted), kids[-1])


def walk(rows: Sequence[Row], selected_root: int | None) -> list[Message]:
    """The active path, root to leaf, following each node's selected child."""
    children = children_map(rows)
    path: list[Message] = []
    seen: set[int] = set()
    kids = children.get(None, [])
    wanted = selected_root
    while kids:
        if len(kids) == 1:  # most nodes: no other version to choose from or count
            node, index, count = kids[0], 1, 1
        else:
            node = choose(kids, wanted)
            same_role = [kid[ID] for kid in kids if kid[ROLE] == node[ROLE]]
            index, count = same_role.index(node[ID]) + 1, len(same_role)
        if node[ID] in seen:  # cannot happen in a valid tree; never loop forever
            break
        seen.add(node[ID])
        path.append(to_message(node, index, count))
        kids = children.get(node[ID], [])
        wanted = node[SELECTED]
    return path


def conversation_rows(conn: sqlite3.Connection, conv_id: int) -> tuple[int | None, list[Row]]:
    """The conversation's selected root and all its messages, in one read each."""
    found = conn.execute("SELECT selected_root_id FROM conversations WHERE id = ?",
                         (conv_id,)).fetchone()
    if found is None:
        raise StoreError("That conversation no longer exists.")
    rows = conn.execute(f"SELECT {COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id",
                        (conv_id,)).fetchall()
    return found[0], rows


def message_row(conn: sqlite3.Connection, message_id: int) -> Row:
    """The row of one message, or a StoreError when it is gone."""
    row = conn.execute(f"SELECT {COLUMNS} FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise StoreError("That message no longer exists.")
    return tuple(row)


def siblings(conn: sqlite3.Connection, message_id: int) -> list[Message]:
    """The versions of a message: same parent, same role, oldest first (itself included)."""
    row = message_row(conn, message_id)
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM messages WHERE conversation_id = ? AND parent_id IS ? "
        "AND role = ? ORDER BY id", (row[CONV], row[PARENT], row[ROLE])).fetchall()
    return [to_message(r, i + 1, len(rows)) for i, r in enumerate(rows)]


def set_selected(conn: sqlite3.Connection, conv_id: int, parent_id: int | None,
                 child_id: int | None) -> None:
    """Remember ``child_id`` as the shown child of ``parent_id`` (None: the first message)."""
    if parent_id is None:
        conn.execute("UPDATE conversations SET selected_root_id = ? WHERE id = ?",
                     (child_id, conv_id))
    else:
        conn.execute("UPDATE messages SET selected_child_id = ? WHERE id = ?",
                     (child_id, parent_id))


def insert_row(conn: sqlite3.Connection, conv_id: int, parent_id: int | None,
               values: tuple[str, str, float, str, str]) -> int:
    """Insert (role, content, created_at, status, meta_json) without selecting it."""
    cur = conn.execute(
        "INSERT INTO messages (conversation_id, parent_id, role, content, created_at, status, "
        "meta_json) VALUES (?, ?, ?, ?, ?, ?, ?)", (conv_id, parent_id, *values))
    if cur.lastrowid is None:  # pragma: no cover - SQLite always reports it after INSERT
        raise StoreError("The message could not be saved.")
    return cur.lastrowid


def check_parent(conn: sqlite3.Connection, conv_id: int, parent_id: int | None) -> None:
    """Refuse a parent that is missing or belongs to another conversation."""
    if conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conv_id,)).fetchone() is None:
        raise StoreError("That conversation no longer exists.")
    if parent_id is None:
        return
    found = conn.execute("SELECT conversation_id FROM messages WHERE id = ?",
                         (parent_id,)).fetchone()
    if found is None or found[0] != conv_id:
        raise StoreError("The message being answered no longer exists in this conversation.")


def select_path(conn: sqlite3.Connection, message_id: int) -> None:
    """Select ``message_id`` and every ancestor, so the message is on the active path."""
    chain = conn.execute(
        "WITH RECURSIVE up(id, parent_id, conversation_id) AS ("
        " SELECT id, parent_id, conversation_id FROM messages WHERE id = ?"
        " UNION SELECT m.id, m.parent_id, m.conversation_id FROM messages m"
        " JOIN up ON m.id = up.parent_id) SELECT id, parent_id, conversation_id FROM up",
        (message_id,)).fetchall()
    if not chain:
        raise StoreError("That message no longer exists.")
    for child_id, parent_id, conv_id in chain:
        set_selected(conn, conv_id, parent_id, child_id)


def shown_child(conn: sqlite3.Connection, conv_id: int, parent_id: int | None) -> int | None:
    """The child of ``parent_id`` (None: the first message) that the active path shows."""
    if parent_id is None:
        wanted = conn.execute("SELECT selected_root_id FROM conversations WHERE id = ?",
                              (conv_id,)).fetchone()[0]
    else:
        wanted = message_row(conn, parent_id)[SELECTED]
    kids = conn.execute("SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? "
                        "ORDER BY id", (conv_id, parent_id)).fetchall()
    return choose(kids, wanted)[ID] if kids else None


def delete_subtree(conn: sqlite3.Connection, message_id: int) -> int | None:
    """Delete a message and its replies; return the id now shown at its depth, if any."""
    row = message_row(conn, message_id)
    versions = [m.id for m in siblings(conn, message_id)]
    place = versions.index(message_id)
    others = versions[:place] + versions[place + 1:]
    # The next version slides into the deleted one's place; past the end, the previous one.
    neighbour = others[min(place, len(others) - 1)] if others else None
    was_shown = shown_child(conn, row[CONV], row[PARENT]) == message_id
    conn.execute(
        "WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT m.id FROM messages m"
        " JOIN sub ON m.parent_id = sub.id) DELETE FROM messages WHERE id IN sub",
        (message_id,))
    if was_shown:
        set_selected(conn, row[CONV], row[PARENT], neighbour)
    return shown_child(conn, row[CONV], row[PARENT])
