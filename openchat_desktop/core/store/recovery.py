"""Open the conversation database, rescuing what can still be read when it is damaged.

A damaged file (not a database, truncated, garbage pages) is first copied untouched to
``<name>.corrupt-<timestamp>``. Then every readable row of the known tables is copied, one
by one and skipping unreadable stretches, into a fresh database that replaces the damaged
one. A database from a newer schema is refused before anything is written to it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.salvage import write_salvage
from openchat_desktop.core.store.schema import (
    connect,
    migrate,
    refuse_newer,
    use_wal,
    user_version,
)

_DAMAGE_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt")
_TABLES = ("conversations", "messages", "app_state")
_LINEAR_MISSES = 4096  # failed seeks one id apart before jumping further
_JUMP_MISSES = 40  # then failed seeks at growing distances before giving up on a table
_MAX_ROWID = 2**63 - 1


class _Damaged(Exception):
    """The integrity check found problems."""


def _is_damage(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _DAMAGE_CODES:
        return True
    return any(word in str(exc).lower() for word in _DAMAGE_WORDS)


def _open_checked(path: Path) -> sqlite3.Connection:
    conn = connect(path)
    try:
        refuse_newer(user_version(conn))
        problems = conn.execute("PRAGMA quick_check").fetchall()
        if problems != [("ok",)]:
            raise _Damaged(str(problems[0][0]) if problems else "no result")
        use_wal(conn)
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _describe(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def open_database(path: Path) -> tuple[sqlite3.Connection, str | None]:
    """Open (creating, upgrading or recovering) the database; return it and any notice."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _open_checked(path), None
    except _Damaged:
        pass
    except sqlite3.Error as exc:
        if not _is_damage(exc):
            raise StoreError(f"Could not open the conversation database: {_describe(exc)}") from exc
    except OSError as exc:
        raise StoreError(f"Could not open the conversation database: {_describe(exc)}") from exc
    try:
        notice = recover(path)
        return _open_checked(path), notice
    except (sqlite3.Error, _Damaged, OSError) as exc:
        raise StoreError(f"The conversation database is damaged and could not be "
                         f"recovered: {_describe(exc)}") from exc


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _backup_path(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = _sidecar(path, f".corrupt-{stamp}")
    number = 1
    while candidate.exists():
        number += 1
        candidate = _sidecar(path, f".corrupt-{stamp}-{number}")
    return candidate


def _keep_copy(path: Path) -> Path:
    """Copy the damaged file (and its write-ahead log, which may hold rows) aside."""
    backup = _backup_path(path)
    try:
        shutil.copy2(path, backup)
        wal = _sidecar(path, "-wal")
        if wal.exists():
            shutil.copy2(wal, _sidecar(backup, "-wal"))
    except OSError as exc:
        # Without a copy, replacing the file could lose data for good: stop here.
        raise StoreError(f"The conversation database is damaged and a copy could not be "
                         f"made: {_describe(exc)}") from exc
    return backup


def _seek_offset(misses: int) -> int:
    # Ids are dense, so step one id at a time past a damaged page; after a long run of
    # failures, jump ever further ahead before giving up on the table.
    if misses <= _LINEAR_MISSES:
        return misses - 1
    return _LINEAR_MISSES + 2 ** (misses - _LINEAR_MISSES)


def _read_table(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` that can be read, seeking past unreadable stretches."""
    rows: list[dict[str, Any]] = []
    resume, misses = 0, 0
    while misses <= _LINEAR_MISSES + _JUMP_MISSES:
        start = resume + _seek_offset(misses)
        if start >= _MAX_ROWID:
            break
        try:
            cur = conn.execute(f"SELECT rowid AS salvage_rowid, * FROM {table} "
                               "WHERE rowid >= ? ORDER BY rowid", (start,))
            names = [column[0] for column in cur.description]
            for values in cur:
                rows.append(dict(zip(names, values, strict=True)))
                resume, misses = values[0] + 1, 0
            break
        except sqlite3.Error:
            misses += 1
    return rows


def _fix_page_count(path: Path) -> None:
    """Make a truncated copy's header agree with its length, so SQLite reads what is left."""
    with path.open("r+b") as handle:
        header = handle.read(100)
        if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
            return
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if page_size < 512 or page_size & (page_size - 1):
            return
        pages = handle.seek(0, os.SEEK_END) // page_size
        handle.truncate(pages * page_size)
        handle.seek(28)
        handle.write(pages.to_bytes(4, "big"))


def _read_all(path: Path) -> dict[str, list[dict[str, Any]]]:
    try:
        conn = sqlite3.connect(str(path), isolation_level=None)
    except sqlite3.Error:
        return {table: [] for table in _TABLES}
    # Damaged text may not be valid UTF-8; keep it readable rather than lose the row.
    conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        return {table: _read_table(conn, table) for table in _TABLES}
    finally:
        conn.close()


def salvage(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Read whatever rows of the known tables the damaged file still yields.

    Works on a scratch copy whose header is repaired, then removes the copy.
    """
    work = _sidecar(path, ".salvage")
    try:
        shutil.copyfile(path, work)
        if _sidecar(path, "-wal").exists():
            shutil.copyfile(_sidecar(path, "-wal"), _sidecar(work, "-wal"))
        _fix_page_count(work)
        return _read_all(work)
    except OSError:
        return {table: [] for table in _TABLES}
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            _sidecar(work, suffix).unlink(missing_ok=True)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def recover(path: Path) -> str:
    """Replace a damaged database with what can be rescued; return the notice for the user."""
    backup = _keep_copy(path)
    tables = salvage(path)
    fresh = _sidecar(path, ".recovering")
    for leftover in (fresh, _sidecar(fresh, "-journal")):
        leftover.unlink(missing_ok=True)
    conn = connect(fresh)
    try:
        migrate(conn)
        conversations, messages = write_salvage(conn, tables)
    finally:
        conn.close()
    # The old log belongs to the damaged file (a copy is kept); it must not meet the new one.
    for suffix in ("-wal", "-shm"):
        _sidecar(path, suffix).unlink(missing_ok=True)
    os.replace(fresh, path)
    kept = f"A copy of the damaged file was kept as {backup}."
    if conversations == 0:
        return ("The conversation database was damaged and nothing could be recovered; "
                f"starting with an empty one. {kept}")
    return (f"The conversation database was damaged; recovered "
            f"{_plural(conversations, 'conversation')} with {_plural(messages, 'message')}. "
            f"{kept}")
