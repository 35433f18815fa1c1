"""The one embedding model that indexing and questions share, opened off the GUI thread.

An embedding model takes a second or more to open and holds tens to hundreds of MB, so it is
opened once, on whichever background thread first needs it, and kept until another model is
chosen or the app quits. llama.cpp contexts are not safe to use from two threads at once:
every call goes through one lock, held for one batch at a time, so a question waits at most
one indexing batch for its own embedding.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from openchat_desktop.core.docs.types import TextEmbedder

log = logging.getLogger(__name__)
# (setting value, extra model folders) -> an open embedder, or None for "keyword search only".
Opener = Callable[[str, Sequence[str]], Any]


def default_opener(model: str, extra_dirs: Sequence[str]) -> Any:
    """llama.cpp's embedder (imported here: the engine stays out of start-up)."""
    from openchat_desktop.core.llm.embedder import open_embedder

    return open_embedder(model, extra_dirs)


def _view(embedder: Any, queries: bool) -> TextEmbedder:
    """The embedder with the model's task prefix for questions or for passages (Nomic's
    "search_query: "), where it has such views; else the embedder itself."""
    name = "for_queries" if queries else "for_documents"
    make = getattr(embedder, name, None)
    return make() if callable(make) else embedder


class _Locked:
    """A ``TextEmbedder`` whose every call holds the shared lock."""

    def __init__(self, inner: TextEmbedder, lock: threading.Lock) -> None:
        self._inner, self._lock = inner, lock

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            return self._inner.embed(texts)


class SharedEmbedder:
    """Opens the embedding model named by the setting, once, for every thread that asks.

    ``get`` runs on background threads only; it raises the opener's error (a missing or
    unreadable model) for the caller to report.
    """

    def __init__(self, opener: Opener = default_opener) -> None:
        self._opener = opener
        self._lock = threading.Lock()  # guards the open model and every call into it
        self._open: tuple[str, Any] | None = None

    def get(self, model: str, extra_dirs: Sequence[str] = (), *,
            queries: bool = False) -> TextEmbedder | None:
        """The open embedder for ``model`` (opening it, closing another), for questions
        (``queries``) or for passages; None for "" (keyword search only)."""
        with self._lock:
            if self._open is None or self._open[0] != model:
                self._close_locked()
                embedder = self._opener(model, extra_dirs) if model else None
                if embedder is None:
                    return None
                self._open = (model, embedder)
            return _Locked(_view(self._open[1], queries), self._lock)

    def close(self) -> None:
        """Free the model (at quit, or when the setting changes); it reopens on next use."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._open is None:
            return
        _, embedder = self._open
        self._open = None
        close = getattr(embedder, "close", None)
        if callable(close):
            try:
                close()
            except Exception as exc:  # freeing must never stop the caller
                log.warning("embedding model not closed cleanly: %s", exc)
