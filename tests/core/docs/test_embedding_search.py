"""Indexing and search with the real LlamaEmbedder on the tiny random-weight GGUF.

Random weights make the ranking meaningless: these tests prove the plumbing (vectors are made
and stored under the model's id, the vector half of the search runs and fuses with the
keyword half, unchanged files are not embedded again, another model makes new vectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from embedding_gguf import write_embedding_gguf

from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.indexer import collection_stats, index_collection
from openchat_desktop.core.docs.search import search_collections
from openchat_desktop.core.docs.types import TextEmbedder
from openchat_desktop.core.llm.embedder import LlamaEmbedder

FILES = {
    "install.md": "# Install\n\nRun the installer and open the python module.\n\n"
                  "## Linux\n\nUse the package manager to install the file.\n",
    "lists.txt": "A list keeps items in order. Append adds one item to the end of the list.\n",
    "errors.md": "# Errors\n\nAn error is raised when a function cannot return a value.\n",
}


class CountingEmbedder:
    """Passes through to a real embedder and counts the texts it was asked to embed."""

    def __init__(self, inner: TextEmbedder) -> None:
        self.inner = inner
        self.texts = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture
def library(tmp_path: Path) -> DocsLibrary:
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    docs = DocsLibrary(tmp_path / "docs")
    docs.create("notes", [folder])
    return docs


def test_indexing_stores_vectors_and_search_fuses_them(
        library: DocsLibrary, tiny_embedder: LlamaEmbedder) -> None:
    documents = CountingEmbedder(tiny_embedder.for_documents())
    report = index_collection(library, "notes", embedder=documents)
    assert (report.added, report.skipped) == (3, [])
    assert documents.texts == report.chunks > 0  # every chunk embedded once
    stats = collection_stats(library, "notes")
    assert stats.embedding_model == tiny_embedder.model_id

    queries = tiny_embedder.for_queries()
    passages = search_collections(library, ["notes"], "install the python module", k=3,
                                  embedder=queries)
    assert 0 < len(passages) <= 3
    assert {p.path.name for p in passages} <= set(FILES)
    assert all(p.text and p.score > 0 for p in passages)

    # No word of this query is in any file: only the vector half can answer it.
    nonsense = "zzqx wvvk"
    assert search_collections(library, ["notes"], nonsense, k=3) == []
    by_meaning = search_collections(library, ["notes"], nonsense, k=3, embedder=queries)
    assert len(by_meaning) == min(3, report.chunks)


def test_unchanged_files_are_not_embedded_again_and_a_new_model_embeds_all(
        library: DocsLibrary, tiny_embedder: LlamaEmbedder, tmp_path: Path) -> None:
    first = index_collection(library, "notes", embedder=tiny_embedder.for_documents())
    again = CountingEmbedder(tiny_embedder.for_documents())
    report = index_collection(library, "notes", embedder=again)
    assert (report.unchanged, again.texts) == (3, 0)

    other_path = write_embedding_gguf(tmp_path / "other-embed.gguf", seed=7, dims=48)
    with LlamaEmbedder(other_path) as other:
        assert other.model_id != tiny_embedder.model_id
        counting = CountingEmbedder(other.for_documents())
        index_collection(library, "notes", embedder=counting)
        assert counting.texts == first.chunks  # vectors of the old model are not reused
        assert collection_stats(library, "notes").embedding_model == other.model_id
        passages = search_collections(library, ["notes"], "list", k=2,
                                      embedder=other.for_queries())
        assert passages and passages[0].path.name in FILES
