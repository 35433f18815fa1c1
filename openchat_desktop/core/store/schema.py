"""Schema of the conversation database: tables, full-text indexes, version and migrations.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[n]`` upgrades a database
from version ``n - 1`` to ``n``; each step runs in its own transaction, so an interrupted
upgrade leaves the previous version intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from openchat_desktop.core.errors import StoreError

SCHEMA_VERSION = 1

# Messages form a tree: parent_id points up, selected_child_id remembers which child (version
# or branch) is shown. selected_child_id is deliberately not a foreign key: a stale pointer is
# harmless (the walk falls back to the newest child) and needs no index to keep it checked.
_V1_STATEMENTS = (
    """CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        pinned INTEGER NOT NULL DEFAULT 0,
        deleted_at REAL,
        settings_json TEXT NOT NULL DEFAULT '{}',
        selected_root_id INTEGER
    )""",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        parent_id INTEGER REFERENCES messages(id),
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL,
        created_at REAL NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')),
        meta_json TEXT NOT NULL DEFAULT '{}',
        selected_child_id INTEGER
    )""",
    "CREATE INDEX messages_by_conversation ON messages(conversation_id, id)",
    "CREATE INDEX messages_by_parent ON messages(parent_id)",
    "CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming'",
    "CREATE TABLE app_state (key TEXT PRIMARY KEY, value_json TEXT NOT NULL)",
    # trigram: case-insensitive substring search that also works for Chinese and Japanese,
    # which have no spaces between words. External content: the text is stored only once.
    """CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='messages', content_rowid='id', tokenize='trigram')""",
    """CREATE VIRTUAL TABLE titles_fts USING fts5(
        title, content='conversations', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
    END""",
    # "UPDATE OF content": switching versions or statuses must not re-index the text.
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END""",
    """CREATE TRIGGER titles_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO titles_fts(rowid, title) VALUES (new.id, new.title);
    END""",
    """CREATE TRIGGER titles_fts_delete AFTER DELETE ON conversations BEGIN
        INSERT INTO titles_fts(titles_fts, rowid, title) VALUES ('delete', old.id, old.title);
    END""",
    """CREATE TRIGGER titles_fts_update AFTER UPDATE OF title ON conversations BEGIN
        INSERT INTO titles_fts(titles_fts, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO titles_fts(rowid, title) VALUES (new.id, new.title);
    END""",
)


def _create_v1(conn: sqlite3.Connection) -> None:
    for statement in _V1_STATEMENTS:
        conn.execute(statement)


Migration = Callable[[sqlite3.Connection], None]

#: ``MIGRATIONS[n]`` takes a database from version ``n - 1`` to ``n``.
MIGRATIONS: dict[int, Migration] = {1: _create_v1}


def connect(path: Path) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode (transactions are explicit) with foreign keys on."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5.0)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL: readers never block, and NORMAL sync survives an app crash."""
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database file."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(version: int) -> None:
    """Raise when a database was written by a newer OpenChat; it is left untouched."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The conversation database was created by a newer version of OpenChat "
            f"(schema {version}, this version knows {SCHEMA_VERSION}); please update OpenChat."
        )


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to ``SCHEMA_VERSION``, one transaction per step."""
    version = user_version(conn)
    refuse_newer(version)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[target](conn)
            conn.execute(f"PRAGMA user_version = {int(target)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
