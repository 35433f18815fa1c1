"""Indexing a collection: read what changed, forget what is gone, keep going past bad files.

A file whose size and mtime match the index is not opened. One whose size or mtime differ
is hashed (streamed); only a different SHA-256 makes it read and chunked again, so touching
or copying a folder back costs a hash, not a re-index. Each file is one transaction, so a
cancel or a crash keeps every file done so far and the next run carries on. Memory holds one
file's text and chunks at a time (``ReadLimits`` caps a file's text).

With an embedder, each file's chunks are embedded in batches right after they are stored,
and vectors missing from earlier runs (cancelled, or made without an embedder, or by
another model, whose vectors are dropped) are filled in for unchanged files too.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from openchat_desktop.core.docs.chunking import chunk_document
from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.index_db import DocIndex, NotIndexed, StoredFile
from openchat_desktop.core.docs.readers import is_supported, read_document
from openchat_desktop.core.docs.scan import FoundFile, Scan, is_under, scan_sources
from openchat_desktop.core.docs.types import (
    Chunk,
    CollectionStats,
    DocsError,
    IndexProgress,
    IndexReport,
    SkippedFile,
    TextEmbedder,
    UnreadableFile,
)
from openchat_desktop.core.docs.vectors import to_blob

__all__ = ["CollectionStats", "collection_stats", "file_sha256", "index_collection"]

EMBED_BATCH = 32
_HASH_BLOCK = 1 << 20
_MISSING_SOURCE = ("not found; its passages stay in the index until it is back or "
                   "removed from the collection")

log = logging.getLogger(__name__)
ProgressCallback = Callable[[IndexProgress], None]


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _read_chunks(path: Path) -> tuple[str, list[Chunk]]:
    """The title and chunks of a file; UnreadableFile with the reason it cannot be read."""
    try:
        document = read_document(path)
        return document.title, chunk_document(document)
    except UnreadableFile:
        raise
    except Exception as exc:  # a reader's bug must not end the whole run
        log.warning("Reading %s failed", path, exc_info=True)
        raise UnreadableFile(f"could not be read: {type(exc).__name__}: {exc}") from exc


class _Run:
    """One indexing run over one open index."""

    def __init__(self, index: DocIndex, on_progress: ProgressCallback | None,
                 cancel: threading.Event | None, embedder: TextEmbedder | None) -> None:
        self.index = index
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()
        self.embedder = embedder
        self.report = IndexReport()
        self.started = time.monotonic()
        self.files_done = self.files_total = self.bytes_done = self.bytes_total = 0

    # ---- the plan ----------------------------------------------------------------------
    def run(self, scan: Scan) -> IndexReport:
        known = self.index.file_states()
        kept_roots = [*scan.missing, *(problem.path for problem in scan.problems)]
        self.report.skipped.extend(scan.problems)
        self.report.skipped.extend(SkippedFile(path, _MISSING_SOURCE) for path in scan.missing)
        present = {str(found.path) for found in scan.files}
        gone = [path for path in known
                if path not in present and not is_under(Path(path), kept_roots)]
        self.index.remove_files(gone)
        self.report.removed = len(gone)
        todo, unchanged = self._plan(scan.files, known)
        self.report.unchanged = len(scan.files) - len(todo) + len(unchanged)
        self.files_total = len(scan.files)
        self.files_done = self.files_total - len(todo)
        self.bytes_total = sum(found.size for found, _ in todo)
        self._progress(None)
        for found, stored in todo:
            if self.cancel.is_set():
                self.report.cancelled = True
                break
            self._do_file(found, stored, stored is not None and stored.id in unchanged)
        self.report.elapsed_s = time.monotonic() - self.started
        return self.report

    def _plan(self, files: list[FoundFile], known: dict[str, StoredFile]
              ) -> tuple[list[tuple[FoundFile, StoredFile | None]], set[int]]:
        """Files to look at (new, changed, or missing vectors) and the unchanged among them."""
        needs_vectors: set[int] = set()
        if self.embedder is not None:
            self.index.use_embedding_model(self.embedder.model_id, self.embedder.dimensions)
            needs_vectors = self.index.files_without_vectors(self.embedder.model_id)
        todo: list[tuple[FoundFile, StoredFile | None]] = []
        unchanged: set[int] = set()
        for found in files:
            stored = known.get(str(found.path))
            if stored is None or (stored.size, stored.mtime_ns) != (found.size, found.mtime_ns):
                todo.append((found, stored))
            elif stored.id in needs_vectors:
                todo.append((found, stored))
                unchanged.add(stored.id)
        return todo, unchanged

    # ---- one file ----------------------------------------------------------------------
    def _do_file(self, found: FoundFile, stored: StoredFile | None, same: bool) -> None:
        if same and stored is not None:  # only its vectors are missing
            self._embed(stored.id)
        else:
            self._read_file(found, stored)
        self.files_done += 1
        self.bytes_done += found.size
        self._progress(found.path)

    def _read_file(self, found: FoundFile, stored: StoredFile | None) -> None:
        path = str(found.path)
        try:
            digest = file_sha256(found.path)
        except FileNotFoundError:  # deleted since the walk
            self.index.remove_files([path])
            self.report.removed += stored is not None
            return
        except OSError as exc:
            # No mtime is kept, so the next run tries again (a permission fix leaves the
            # mtime as it was).
            retry = FoundFile(found.path, found.size, -1)
            self._skip(retry, stored, "", f"cannot be opened: {exc.strerror or exc}")
            return
        self.report.bytes_read += found.size
        if stored is not None and stored.sha256 == digest:
            self.index.touch_file(stored.id, found.size, found.mtime_ns)
            self.report.unchanged += 1
            self._embed(stored.id)
            return
        try:
            title, chunks = _read_chunks(found.path)
        except UnreadableFile as exc:
            self._skip(found, stored, digest, str(exc))
            return
        file_id = self.index.store_file(path, found.size, found.mtime_ns, digest, title, chunks)
        if stored is None:
            self.report.added += 1
        else:
            self.report.updated += 1
        self.report.chunks += len(chunks)
        del chunks
        self._embed(file_id)

    def _skip(self, found: FoundFile, stored: StoredFile | None, digest: str,
              reason: str) -> None:
        self.index.store_file(str(found.path), found.size, found.mtime_ns, digest,
                              found.path.name, [], skipped_reason=reason)
        self.report.skipped.append(SkippedFile(found.path, reason))

    def _embed(self, file_id: int) -> None:
        """Embed the file's chunks that have no vector yet, a batch at a time."""
        embedder = self.embedder
        if embedder is None:
            return
        while not self.cancel.is_set():
            rows = self.index.chunks_without_vectors(embedder.model_id, file_id, EMBED_BATCH)
            if not rows:
                return
            try:
                vectors = embedder.embed([text for _, text in rows])
            except DocsError:
                raise
            except Exception as exc:
                raise DocsError(f"The embedding model failed: {exc}") from exc
            if len(vectors) != len(rows) or any(len(v) != embedder.dimensions
                                                for v in vectors):
                raise DocsError("The embedding model returned vectors of the wrong shape.")
            ids = [chunk_id for chunk_id, _ in rows]
            self.index.store_vectors(embedder.model_id, [
                (chunk_id, to_blob(vector)) for chunk_id, vector in zip(ids, vectors, strict=True)])
        self.report.cancelled = True

    def _progress(self, current: Path | None) -> None:
        if self.on_progress is not None:
            self.on_progress(IndexProgress(self.files_done, self.files_total, self.bytes_done,
                                           self.bytes_total, time.monotonic() - self.started,
                                           current))


def index_collection(library: DocsLibrary, name: str, *,
                     on_progress: ProgressCallback | None = None,
                     cancel: threading.Event | None = None,
                     embedder: TextEmbedder | None = None) -> IndexReport:
    """Bring the index of collection ``name`` up to date with its files (see the module)."""
    collection = library.get(name)
    scan = scan_sources(collection.sources, is_supported)
    path = library.index_file(collection.name, collection)
    with DocIndex.open_for_indexing(path, collection.name) as index:
        report = _Run(index, on_progress, cancel, embedder).run(scan)
        if not report.cancelled:
            index.set_meta("indexed_at", repr(time.time()))
    return report


def collection_stats(library: DocsLibrary, name: str) -> CollectionStats:
    """What the index of ``name`` holds; empty figures when it was never indexed."""
    collection = library.get(name)
    try:
        index = DocIndex.open(library.index_file(collection.name, collection), collection.name)
    except NotIndexed:
        return CollectionStats()
    with index:
        return index.stats()
