"""The local documents a terminal command uses: the collections library, the embedding model
the settings name, and the passages of the attached collections for each chat question."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.context import DocsPrompt, build_docs_prompt, docs_budget_chars
from openchat_desktop.core.docs.indexer import collection_stats
from openchat_desktop.core.docs.search import search_collections
from openchat_desktop.core.docs.types import TextEmbedder
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.settings import Settings

if TYPE_CHECKING:
    from openchat_desktop.core.llm.embedder import LlamaEmbedder


def docs_library() -> DocsLibrary:
    """The collections of this profile (its data folder's ``docs``)."""
    return DocsLibrary(app_paths().docs_dir)


def open_embedder(settings: Settings) -> LlamaEmbedder | None:
    """The embedding model the ``docs.embedding_model`` setting names, loaded; None when the
    setting is empty (keyword search only). A missing or unusable file raises OpenChatError."""
    name = settings.get("docs.embedding_model")
    if not name:
        return None
    # Deferred: llama.cpp loads only when an embedding model is actually set.
    from openchat_desktop.core.llm.embedder import open_embedder as open_gguf_embedder

    return open_gguf_embedder(name, settings.get("models.extra_dirs"))


@contextmanager
def embedder_from(settings: Settings,
                  use: Literal["documents", "queries"]) -> Iterator[TextEmbedder | None]:
    """The setting's embedding model for the length of a ``with`` block, as the view for
    indexing ``documents`` or searching with ``queries`` (models trained with task prefixes
    need the right one); closed after it."""
    embedder = open_embedder(settings)
    if embedder is None:
        yield None
        return
    try:
        yield embedder.for_documents() if use == "documents" else embedder.for_queries()
    finally:
        embedder.close()


class DocsLookup:
    """Finds the passages of the attached collections for each question of a terminal chat
    and turns them into the prompt block and its sources.

    ``open`` checks every collection exists before anything heavy loads, so a misspelt name
    ends the command before the chat model is read.
    """

    def __init__(self, library: DocsLibrary, names: Sequence[str], *, top_k: int,
                 share: float, embedder: LlamaEmbedder | None = None) -> None:
        self.library = library
        self.names = list(names)
        self.top_k = top_k
        self.share = share
        self._embedder = embedder
        self.queries: TextEmbedder | None = embedder.for_queries() if embedder else None

    @classmethod
    def open(cls, names: Sequence[str], settings: Settings) -> DocsLookup:
        """Check the collections (DocsError names an unknown one), then load the embedding
        model when one is set."""
        library = docs_library()
        canonical = [library.get(name).name for name in names]
        unique = list(dict.fromkeys(canonical))
        return cls(library, unique, top_k=settings.get("docs.top_k"),
                   share=settings.get("docs.context_share"), embedder=open_embedder(settings))

    def never_indexed(self) -> list[str]:
        """The attached collections with nothing to find yet (never indexed, or empty)."""
        return [name for name in self.names
                if collection_stats(self.library, name).chunks == 0]

    def prompt_for(self, question: str, n_ctx: int) -> DocsPrompt:
        """The numbered passages for ``question`` within this share of ``n_ctx`` tokens."""
        passages = search_collections(self.library, self.names, question, k=self.top_k,
                                      embedder=self.queries)
        return build_docs_prompt(question, passages, max_passages=self.top_k,
                                 budget_chars=docs_budget_chars(n_ctx, self.share))

    def close(self) -> None:
        """Free the embedding model, if one was loaded."""
        if self._embedder is not None:
            self._embedder.close()
        self._embedder = self.queries = None
