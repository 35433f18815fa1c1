"""Local-document collections for the window: indexing in the background, searching off the GUI
thread, and the per-conversation collections of files dropped on a chat.

``DocsService`` is the one way widgets and the chat session reach ``core/docs``. Quick
changes (create, add files, remove) happen at once and raise ``DocsError`` with one line for
a bad name or a missing file; indexing runs on ``IndexingJobs``' thread, one collection at a
time, and searches run on the task pool, so the GUI thread never reads a file or waits on a
model. Files dropped on a conversation go into a collection of its own, "Chat files #<id>",
which is left out of the main list and deleted once its conversation is gone for good.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from openchat_desktop.core.docs.collections import Collection as StoredCollection
from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.indexer import collection_stats, index_collection
from openchat_desktop.core.docs.search import search_collections
from openchat_desktop.core.docs.types import (
    CollectionStats,
    DocsError,
    IndexProgress,
    IndexReport,
    Passage,
    SkippedFile,
    Source,
    TextEmbedder,
)
from openchat_desktop.core.store.records import Message
from openchat_desktop.services.docs_embedding import SharedEmbedder
from openchat_desktop.services.docs_indexing import IndexingJobs
from openchat_desktop.services.settings_bridge import SettingsBridge
from openchat_desktop.services.tasks import run_in_background

log = logging.getLogger(__name__)
EMBEDDING_MODEL_KEY = "docs.embedding_model"
EXTRA_DIRS_KEY = "models.extra_dirs"
CHAT_FILES_PREFIX = "Chat files #"
_CHAT_FILES = re.compile(r"Chat files #(\d+)\Z")


def chat_files_name(conv_id: int) -> str:
    """The name of the collection of files dropped on conversation ``conv_id``."""
    return f"{CHAT_FILES_PREFIX}{conv_id}"


def chat_files_conversation(name: str) -> int | None:
    """The conversation a "Chat files #<id>" collection belongs to; None for any other."""
    found = _CHAT_FILES.match(name)
    return int(found.group(1)) if found else None


def message_sources(message: Message) -> list[Source]:
    """The numbered sources a reply was given (``meta["sources"]``), in order; [] for none.
    Entries that are not valid (an imported conversation) are left out."""
    raw = message.meta.get("sources")
    sources: list[Source] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            sources.append(Source.from_dict(item))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return sources


@dataclass(frozen=True)
class CollectionSummary:
    """One collection as the documents dialog lists it.

    ``chat_files`` marks a conversation's dropped files (``conversation`` is its id);
    ``indexing`` is True while it is indexed or waits its turn.
    """

    name: str
    sources: tuple[Path, ...]
    created_at: float
    stats: CollectionStats
    indexing: bool
    conversation: int | None = None

    @property
    def chat_files(self) -> bool:
        return self.conversation is not None


class DocsService(QObject):
    """The collections under the app's docs folder, their indexing and their searches.

    Signals:
        collections_changed(): a collection was added, changed, removed or (re)indexed.
        progress(str name, object progress): ``IndexProgress`` of the running job, at most
            every 200 ms.
        finished(str name, object report): an indexing job ended (``IndexReport``;
            ``cancelled`` when it was cancelled).
        failed(str name, str message): an indexing job stopped on an error (one line).
        notice(str message): a one-line remark (the embedding model could not be opened,
            so the search is by keywords only).
    """

    collections_changed = Signal()
    progress = Signal(str, object)
    finished = Signal(str, object)
    failed = Signal(str, str)
    notice = Signal(str)

    def __init__(self, library: DocsLibrary, settings: SettingsBridge,
                 parent: QObject | None = None, *,
                 embedder: SharedEmbedder | None = None,
                 live_conversations: Callable[[], Collection[int]] | None = None) -> None:
        super().__init__(parent)
        self.library, self._settings = library, settings
        self._embedder = embedder or SharedEmbedder()
        self._live_conversations = live_conversations
        self._removing: set[str] = set()  # removed while indexing: deleted when it stops
        self._jobs = IndexingJobs(self._index, parent=self)
        self._jobs.progress.connect(self.progress)
        self._jobs.ended.connect(self._on_jobs_ended)
        self._jobs.embedder_failed.connect(self._on_jobs_embedder_failed)
        settings.changed.connect(self._on_settings_changed)

    # -- reads ------------------------------------------------------------------------------
    def collections(self, include_chat_files: bool = False) -> list[CollectionSummary]:
        """The collections, oldest first; a conversation's dropped files only on request.
        Raises DocsError when the list of collections is damaged."""
        summaries = []
        for found in self.library.list():
            conversation = chat_files_conversation(found.name)
            if found.name in self._removing or (conversation is not None
                                                and not include_chat_files):
                continue
            summaries.append(CollectionSummary(
                found.name, found.sources, found.created_at, self._stats(found.name),
                self._jobs.is_busy(found.name), conversation))
        return summaries

    def exists(self, name: str) -> bool:
        """Whether a collection ``name`` is there (one being removed is not)."""
        try:
            self.library.get(name)
        except DocsError:
            return False
        return name not in self._removing

    def is_indexing(self, name: str) -> bool:
        """Whether ``name`` is being indexed now or waits its turn."""
        return self._jobs.is_busy(name)

    def skipped(self, name: str) -> list[SkippedFile]:
        """The files ``name``'s index left out, each with its reason."""
        return list(self._stats(name).skipped)

    def _stats(self, name: str) -> CollectionStats:
        try:
            return collection_stats(self.library, name)
        except DocsError as exc:  # a damaged index still lists its collection
            log.warning("collection %s: %s", name, exc)
            return CollectionStats()

    # -- changes ----------------------------------------------------------------------------
    def create(self, name: str, paths: Iterable[Path | str]) -> str:
        """Add a collection and index it in the background; returns its name as stored.
        Raises DocsError for a bad or taken name or a missing path."""
        created = self.library.create(name, paths)
        self.collections_changed.emit()
        self.reindex(created.name)
        return created.name

    def add_paths(self, name: str, paths: Iterable[Path | str]) -> None:
        """Add files or folders to ``name`` and index what is new (DocsError if unknown)."""
        self.library.add_sources(name, paths)
        self.collections_changed.emit()
        self.reindex(name)

    def remove_source(self, name: str, path: Path | str) -> None:
        """Take a file or folder out of ``name``; its passages go when it is re-indexed."""
        self.library.remove_source(name, path)
        self.collections_changed.emit()
        self.reindex(name)

    def reindex(self, name: str) -> None:
        """Read the added and changed files of ``name`` again, drop the deleted ones."""
        stored = self.library.get(name).name
        self._jobs.submit(stored, self._embedder_opener())

    def cancel(self, name: str) -> None:
        """Stop indexing ``name``; what was indexed so far stays searchable."""
        self._jobs.cancel(name)

    def remove(self, name: str) -> None:
        """Forget the collection and delete its index (never the user's files). While it is
        being indexed it disappears from the list at once and goes when the job stops."""
        stored = self.library.get(name).name
        if self._jobs.cancel(stored) and self._jobs.running == stored:
            self._removing.add(stored)
        else:
            self.library.remove(stored)
        self.collections_changed.emit()

    def reindex_changed_on_start(self) -> None:
        """At start-up: delete the dropped files of conversations gone for good, then
        re-index every collection (only changed files are read again)."""
        live = set(self._live_conversations()) if self._live_conversations else None
        for found in self._listed():
            conversation = chat_files_conversation(found.name)
            if live is not None and conversation is not None and conversation not in live:
                self.remove(found.name)
            else:
                self._jobs.submit(found.name, self._embedder_opener())

    def _listed(self) -> list[StoredCollection]:
        """The collections, or none (said once, in a notice) when the list is damaged."""
        try:
            return self.library.list()
        except DocsError as exc:
            self.notice.emit(str(exc))
            return []

    def attach_files(self, conv_id: int, paths: Sequence[Path | str]) -> str:
        """Put ``paths`` into conversation ``conv_id``'s own collection (made on first use)
        and index them; returns the collection's name. Raises DocsError for a missing path."""
        name = chat_files_name(conv_id)
        if self.exists(name):
            self.add_paths(name, paths)
            return name
        return self.create(name, paths)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel indexing, wait for its thread, free the embedding model (at quit)."""
        if not self._jobs.shutdown(timeout_s):
            log.warning("indexing did not stop within %.0f s", timeout_s)
        self._embedder.close()

    # -- searching --------------------------------------------------------------------------
    def search(self, names: Sequence[str], query: str, k: int) -> list[Passage]:
        """The ``k`` best passages of ``names`` for ``query``; runs where it is called (a
        background thread: with an embedding model the question is embedded first)."""
        return self._search(names, query, k, self._embedding_model())

    def search_in_background(self, names: Sequence[str], query: str, k: int,
                             on_done: Callable[[list[Passage]], None],
                             on_error: Callable[[BaseException], None]) -> None:
        """``search`` on the task pool; ``on_done``/``on_error`` run on this thread."""
        model = self._embedding_model()  # read here, on the GUI thread
        run_in_background(lambda: self._search(names, query, k, model), on_done, on_error)

    def _search(self, names: Sequence[str], query: str, k: int,
                model: tuple[str, list[str]]) -> list[Passage]:
        return search_collections(self.library, names, query, k=k,
                                  embedder=self._open_for_queries(model))

    def _open_for_queries(self, model: tuple[str, list[str]]) -> TextEmbedder | None:
        """The shared embedder; a model that cannot be opened means keywords only."""
        try:
            return self._embedder.get(*model, queries=True)
        except Exception as exc:  # the reason was told when indexing; keep searching
            log.warning("embedding model not opened for a search: %s", exc)
            return None

    def _embedding_model(self) -> tuple[str, list[str]]:
        """The embedding model setting and the extra model folders it may be in."""
        extra = self._settings.get(EXTRA_DIRS_KEY) or []
        return (str(self._settings.get(EMBEDDING_MODEL_KEY) or ""),
                [str(folder) for folder in extra])

    def _embedder_opener(self) -> Callable[[], TextEmbedder | None]:
        model = self._embedding_model()  # read here, on the GUI thread
        return lambda: self._embedder.get(*model)

    # -- the indexing thread ------------------------------------------------------------------
    def _index(self, name: str, on_progress: Callable[[IndexProgress], None],
               cancel: threading.Event, embedder: TextEmbedder | None) -> IndexReport:
        return index_collection(self.library, name, on_progress=on_progress, cancel=cancel,
                                embedder=embedder)

    @Slot(str, object, str)
    def _on_jobs_ended(self, name: str, report: IndexReport | None, error: str) -> None:
        if name in self._removing:
            self._removing.discard(name)
            self._remove_quietly(name)
        elif report is not None:
            self.finished.emit(name, report)
        else:
            self.failed.emit(name, error)
        self.collections_changed.emit()

    def _remove_quietly(self, name: str) -> None:
        try:
            self.library.remove(name)
        except DocsError as exc:
            self.failed.emit(name, str(exc))

    @Slot(str, object)
    def _on_settings_changed(self, key: str, value: Any) -> None:
        # Another embedding model: the indexer gives every chunk a vector of the new model
        # (only the vectors are made; unchanged files are not read again).
        if key == EMBEDDING_MODEL_KEY and value:
            for found in self._listed():
                self._jobs.submit(found.name, self._embedder_opener())

    @Slot(str)
    def _on_jobs_embedder_failed(self, message: str) -> None:
        self.notice.emit(f"The embedding model could not be opened ({message}); documents "
                         "are searched by keywords only.")

