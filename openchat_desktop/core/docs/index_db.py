"""The index of one collection: one SQLite file of files, chunks, an FTS5 table and vectors.

``files`` keeps each file's size, mtime and SHA-256 (so only changed files are read again),
its title and chunk count, or the reason it was skipped. ``chunks`` holds the text with its
location; ``chunks_fts`` indexes it with the file title and heading as weighted columns.
Its content comes from the ``chunks_searchable`` view (external content: the text is stored
once), which spaces CJK characters through the ``fts_text`` function each connection
registers. ``vectors`` holds float32 embeddings tagged with their model.

Every SQLite failure leaves as ``DocsError``; a file that is not a usable index is
``DamagedIndex``, and re-indexing (``open_for_indexing``) rebuilds it from the files.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openchat_desktop.core.docs.fts_query import spaced_cjk
from openchat_desktop.core.docs.types import Chunk, CollectionStats, DocsError, SkippedFile

SCHEMA_VERSION = 1
# Column weights of bm25(): a match in a heading or the title says more than one in the text.
BM25_WEIGHTS = (1.0, 2.0, 2.0)

_SCHEMA = (
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '', chunks INTEGER NOT NULL DEFAULT 0,
        skipped_reason TEXT, indexed_at REAL NOT NULL)""",
    """CREATE TABLE chunks(id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL, text TEXT NOT NULL, page INTEGER, heading TEXT,
        line INTEGER)""",
    "CREATE INDEX chunks_by_file ON chunks(file_id)",
    """CREATE VIEW chunks_searchable AS SELECT c.id AS id, fts_text(c.text) AS text,
        fts_text(coalesce(c.heading, '')) AS heading, fts_text(f.title) AS title
        FROM chunks c JOIN files f ON f.id = c.file_id""",
    """CREATE VIRTUAL TABLE chunks_fts USING fts5(text, heading, title,
        content='chunks_searchable', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TABLE vectors(chunk_id INTEGER PRIMARY KEY
        REFERENCES chunks(id) ON DELETE CASCADE, model TEXT NOT NULL, blob BLOB NOT NULL)""",
    "CREATE INDEX vectors_by_model ON vectors(model)",
)
_FTS_OF_FILE = """SELECT {op}s.id, s.text, s.heading, s.title FROM chunks_searchable s
    JOIN chunks c ON c.id = s.id WHERE c.file_id = ?"""


class DamagedIndex(DocsError):
    """The index file is not a usable index; re-indexing rebuilds it."""


class NewerIndex(DocsError):
    """The index was written by a newer OpenChat; re-indexing replaces it."""


class NotIndexed(DocsError):
    """The collection has no index yet (never indexed, or its first run is starting)."""


@dataclass(frozen=True)
class StoredFile:
    """What the index remembers of one file."""

    id: int
    size: int
    mtime_ns: int
    sha256: str
    skipped_reason: str | None


@dataclass(frozen=True)
class ChunkRow:
    """A chunk with the file it came from, as a search returns it."""

    chunk_id: int
    text: str
    page: int | None
    heading: str | None
    line: int | None
    path: str
    title: str


class DocIndex:
    """An open index of the collection ``label``; use it from one thread, then ``close()``."""

    def __init__(self, conn: sqlite3.Connection, path: Path, label: str) -> None:
        self._conn = conn
        self.path = path
        self.label = label

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, label: str, *, create: bool = False) -> DocIndex:
        """Open the index at ``path`` (made empty when ``create``); DamagedIndex if unusable."""
        if not create and not path.is_file():
            raise NotIndexed(f"'{label}' has not been indexed yet.")
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite_errors(label):
            index = cls(_connect(path), path, label)
        try:
            with index._guard():
                index._prepare(create)
        except BaseException:
            index.close()
            raise
        return index

    @classmethod
    def open_for_indexing(cls, path: Path, label: str) -> DocIndex:
        """Open or create the index to write it, replacing a damaged file by a new one."""
        try:
            index = cls.open(path, label, create=True)
        except (DamagedIndex, NewerIndex):
            delete_index_files(path)
            return cls.open(path, label, create=True)
        try:
            index._check_integrity()
        except DamagedIndex:
            index.close()
            delete_index_files(path)
            return cls.open(path, label, create=True)
        return index

    def _prepare(self, create: bool) -> None:
        tables = {row[0] for row in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if not tables and not create:
            raise NotIndexed(f"'{self.label}' has not been indexed yet.")
        if not tables:
            self._create_schema()
        elif "meta" not in tables:
            raise self._damaged()
        try:
            version = int(self.meta("schema_version") or 0)
        except ValueError:
            raise self._damaged() from None
        if version > SCHEMA_VERSION:
            raise NewerIndex(f"The index of '{self.label}' was made by a newer version of "
                             f"OpenChat; update OpenChat or re-index the collection.")
        if version != SCHEMA_VERSION:
            raise self._damaged()

    def _create_schema(self) -> None:
        self._conn.execute("PRAGMA journal_mode = WAL")
        with self._transaction():
            # Another process may have made it between our look and our write lock.
            if self._conn.execute("SELECT 1 FROM sqlite_master").fetchone() is None:
                for statement in _SCHEMA:
                    self._conn.execute(statement)
                self._set_meta("schema_version", str(SCHEMA_VERSION))

    def _check_integrity(self) -> None:
        with self._guard():
            if self._conn.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise self._damaged()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> DocIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- errors and transactions ---------------------------------------------------------
    def _damaged(self) -> DamagedIndex:
        return damaged(self.label)

    def _guard(self) -> AbstractContextManager[None]:
        return sqlite_errors(self.label)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One transaction of several writes, with SQLite errors turned into DocsError."""
        with self._guard(), self._transaction():
            yield

    # ---- meta ----------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def set_meta(self, key: str, value: str) -> None:
        with self.writing():
            self._set_meta(key, value)

    # ---- files ---------------------------------------------------------------------------
    def file_states(self) -> dict[str, StoredFile]:
        """Every file the index knows, by path."""
        with self._guard():
            rows = self._conn.execute(
                "SELECT path, id, size, mtime_ns, sha256, skipped_reason FROM files").fetchall()
        return {path: StoredFile(*rest) for path, *rest in rows}

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        """Record a new mtime for a file whose content has not changed."""
        with self.writing():
            self._conn.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?",
                               (size, mtime_ns, file_id))

    def store_file(self, path: str, size: int, mtime_ns: int, sha256: str, title: str,
                   chunks: Sequence[Chunk], skipped_reason: str | None = None) -> int:
        """Replace what the index holds for ``path`` in one transaction; the file's id."""
        with self.writing():
            self._drop_chunks_of(path)
            cursor = self._conn.execute(
                "INSERT INTO files(path, size, mtime_ns, sha256, title, chunks, skipped_reason,"
                " indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET"
                " size = excluded.size, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256,"
                " title = excluded.title, chunks = excluded.chunks,"
                " skipped_reason = excluded.skipped_reason, indexed_at = excluded.indexed_at"
                " RETURNING id",
                (path, size, mtime_ns, sha256, title, len(chunks), skipped_reason, time.time()))
            file_id = int(cursor.fetchone()[0])
            self._conn.executemany(
                "INSERT INTO chunks(file_id, ordinal, text, page, heading, line)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(file_id, c.ordinal, c.text, c.page, c.heading, c.line) for c in chunks])
            self._conn.execute("INSERT INTO chunks_fts(rowid, text, heading, title) "
                               + _FTS_OF_FILE.format(op=""), (file_id,))
        return file_id

    def remove_files(self, paths: Sequence[str]) -> None:
        """Forget files that are gone, with their chunks and vectors."""
        with self.writing():
            for path in paths:
                self._drop_chunks_of(path)
                self._conn.execute("DELETE FROM files WHERE path = ?", (path,))

    def _drop_chunks_of(self, path: str) -> None:
        row = self._conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            return
        # External content: FTS5 forgets a row only when told its old values.
        self._conn.execute("INSERT INTO chunks_fts(chunks_fts, rowid, text, heading, title) "
                           + _FTS_OF_FILE.format(op="'delete', "), (row[0],))
        if self._conn.execute("DELETE FROM vectors WHERE chunk_id IN "
                              "(SELECT id FROM chunks WHERE file_id = ?)", row).rowcount:
            self._bump_vectors()
        self._conn.execute("DELETE FROM chunks WHERE file_id = ?", row)

    # ---- vectors -------------------------------------------------------------------------
    def _bump_vectors(self) -> None:
        self._set_meta("vectors_generation", str(self.vectors_generation() + 1))

    def vectors_generation(self) -> int:
        """A number that changes whenever vectors are added or removed (for caches)."""
        return int(self.meta("vectors_generation") or 0)

    def use_embedding_model(self, model: str, dimensions: int) -> None:
        """Drop vectors of any other model (or size): they cannot be compared."""
        with self.writing():
            if self.meta("embedding_model") != model or \
                    self.meta("embedding_dimensions") != str(dimensions):
                self._conn.execute("DELETE FROM vectors")
                self._bump_vectors()
            self._set_meta("embedding_model", model)
            self._set_meta("embedding_dimensions", str(dimensions))

    def chunks_without_vectors(self, model: str, file_id: int,
                               limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` chunks of a file that have no vector of ``model`` yet."""
        with self._guard():
            return self._conn.execute(
                "SELECT c.id, c.text FROM chunks c LEFT JOIN vectors v ON v.chunk_id = c.id"
                " AND v.model = ? WHERE c.file_id = ? AND v.chunk_id IS NULL"
                " ORDER BY c.id LIMIT ?", (model, file_id, limit)).fetchall()

    def files_without_vectors(self, model: str) -> set[int]:
        """Files with at least one chunk that has no vector of ``model``."""
        with self._guard():
            return {row[0] for row in self._conn.execute(
                "SELECT DISTINCT c.file_id FROM chunks c LEFT JOIN vectors v"
                " ON v.chunk_id = c.id AND v.model = ? WHERE v.chunk_id IS NULL", (model,))}

    def store_vectors(self, model: str, rows: Sequence[tuple[int, bytes]]) -> None:
        with self.writing():
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors(chunk_id, model, blob) VALUES (?, ?, ?)",
                [(chunk_id, model, blob) for chunk_id, blob in rows])
            self._bump_vectors()

    def vector_blobs(self, model: str) -> tuple[list[int], bytes, int]:
        """Chunk ids, their vectors' bytes joined in that order, and the dimensions."""
        with self._guard():
            rows = self._conn.execute("SELECT chunk_id, blob FROM vectors WHERE model = ?"
                                      " ORDER BY chunk_id", (model,)).fetchall()
            dimensions = int(self.meta("embedding_dimensions") or 0)
        return [r[0] for r in rows], b"".join(r[1] for r in rows), dimensions

    # ---- search and statistics -----------------------------------------------------------
    def keyword_search(self, match: str, limit: int,
                       among: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """Chunks matching an FTS5 expression, best first, with their BM25 (higher better);
        with ``among``, only those chunks are ranked, with the scores the whole table gives."""
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        # The unary + keeps FTS5 from looking each id up on its own, which would restart
        # the count of every term's chunks that BM25 needs for each one.
        only = "" if among is None else f" AND +rowid IN ({', '.join('?' * len(among))})"
        with self._guard():
            rows = self._conn.execute(
                f"SELECT rowid, bm25(chunks_fts, {weights}) AS s FROM chunks_fts"
                f" WHERE chunks_fts MATCH ?{only} ORDER BY s LIMIT ?",
                (match, *(among or ()), limit)).fetchall()
        return [(int(chunk_id), -float(score)) for chunk_id, score in rows]

    def match_count(self, match: str) -> int:
        """How many chunks match an FTS5 expression (reads the term lists, ranks nothing)."""
        with self._guard():
            return int(self._conn.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts"
                                          " MATCH ?", (match,)).fetchone()[0])

    def search_stamp(self) -> tuple[int, int, float]:
        """(files, chunks, newest file write): changes whenever the searchable text does."""
        with self._guard():
            files, chunks, newest = self._conn.execute(
                "SELECT count(*), coalesce(sum(chunks), 0), coalesce(max(indexed_at), 0)"
                " FROM files").fetchone()
        return int(files), int(chunks), float(newest)

    def chunk_rows(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        """The chunks ``chunk_ids`` with their files, by id (ids not found are left out)."""
        marks = ", ".join("?" * len(chunk_ids))
        with self._guard():
            rows = self._conn.execute(
                "SELECT c.id, c.text, c.page, c.heading, c.line, f.path, f.title FROM chunks c"
                f" JOIN files f ON f.id = c.file_id WHERE c.id IN ({marks})",
                list(chunk_ids)).fetchall()
        return {row[0]: ChunkRow(*row) for row in rows}

    def stats(self) -> CollectionStats:
        with self._guard():
            files, chunks, size = self._conn.execute(
                "SELECT count(*), coalesce(sum(chunks), 0), coalesce(sum(size), 0) FROM files"
                " WHERE skipped_reason IS NULL").fetchone()
            skipped = [SkippedFile(Path(path), reason) for path, reason in self._conn.execute(
                "SELECT path, skipped_reason FROM files WHERE skipped_reason IS NOT NULL"
                " ORDER BY path")]
            has_vectors = self._conn.execute("SELECT 1 FROM vectors LIMIT 1").fetchone()
            indexed_at = self.meta("indexed_at")
            model = self.meta("embedding_model") if has_vectors else None
        return CollectionStats(files, chunks, size, skipped,
                               float(indexed_at) if indexed_at else None, model)


def damaged(label: str) -> DamagedIndex:
    return DamagedIndex(f"The index of '{label}' is damaged; re-index it.")


@contextmanager
def sqlite_errors(label: str) -> Iterator[None]:
    """Turn SQLite's exceptions into one human line about the index of ``label``."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise DocsError(f"The index of '{label}' is busy; try again.") from exc
        if any(word in text for word in ("disk is full", "readonly", "unable to open",
                                          "disk I/O error")):
            raise DocsError(f"Cannot write the index of '{label}': {text}.") from exc
        raise damaged(label) from exc
    except sqlite3.DatabaseError as exc:
        raise damaged(label) from exc
    except MemoryError as exc:  # SQLite reports some broken FTS5 structures as out of memory
        raise damaged(label) from exc


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                           timeout=5.0)
    conn.create_function("fts_text", 1, _fts_text, deterministic=True)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _fts_text(text: Any) -> str:
    return spaced_cjk(text) if isinstance(text, str) else ""


def delete_index_files(path: Path) -> None:
    """Delete an index file and SQLite's files beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
