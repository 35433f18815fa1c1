"""Finding the passages of one or more collections that answer a question.

Keyword search is FTS5 BM25 over each collection's index (free text made safe by
``fts_query``; on a big index in two steps, see ``keyword``); results of several collections
are merged by score, each collection that matches keeping at least its best passage. With an
embedder whose vectors the index holds, the query is embedded too, the nearest chunks are
found by a cosine scan (``vectors``), and the two rankings are fused by reciprocal rank
fusion, across all collections at once so that scores stay comparable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.fts_query import query_terms
from openchat_desktop.core.docs.fusion import reciprocal_rank_fusion
from openchat_desktop.core.docs.index_db import ChunkRow, DocIndex, NotIndexed
from openchat_desktop.core.docs.keyword import ranked_chunks
from openchat_desktop.core.docs.types import DocsError, Passage, TextEmbedder
from openchat_desktop.core.docs.vectors import VectorSet, shared_cache

# Candidates each ranking brings to the fusion, as a multiple of the passages asked for.
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 20

Key = tuple[int, int]  # (position of the collection in the request, chunk id)
Ranked = list[tuple[float, Key]]


class _Query:
    """The query as each part of the search needs it; embedded at most once, when needed."""

    def __init__(self, text: str, embedder: TextEmbedder | None, depth: int) -> None:
        self.text = text
        self.terms = query_terms(text)
        self.embedder = embedder
        self.depth = depth
        self._vector: list[float] | None = None

    def vector(self) -> list[float]:
        if self._vector is None:
            assert self.embedder is not None
            try:
                self._vector = list(self.embedder.embed([self.text])[0])
            except DocsError:
                raise
            except Exception as exc:
                raise DocsError(f"The embedding model failed: {exc}") from exc
        return self._vector


def _vectors(index: DocIndex, model: str) -> VectorSet:
    key = (str(index.path), model, index.vectors_generation())

    def load() -> VectorSet:
        ids, blob, dimensions = index.vector_blobs(model)
        return VectorSet.from_blobs(ids, blob, dimensions)

    return shared_cache.get(key, load)


def _search_one(index: DocIndex, position: int, query: _Query,
                keyword: Ranked, nearest: Ranked) -> dict[Key, ChunkRow]:
    """Add one index's candidates to both rankings; their rows, by key."""
    found: list[int] = []
    if query.terms:
        for chunk_id, score in ranked_chunks(index, query.terms, query.depth):
            keyword.append((score, (position, chunk_id)))
            found.append(chunk_id)
    if query.embedder is not None:
        vectors = _vectors(index, query.embedder.model_id)
        if len(vectors):
            try:
                hits = vectors.top_k(query.vector(), query.depth)
            except ValueError as exc:  # the model changed size under the same name
                raise DocsError(f"The index of '{index.label}' was embedded with another "
                                f"model; re-index it.") from exc
            for chunk_id, score in hits:
                nearest.append((score, (position, chunk_id)))
                found.append(chunk_id)
    rows = index.chunk_rows(list(dict.fromkeys(found))) if found else {}
    return {(position, chunk_id): row for chunk_id, row in rows.items()}


def _best_of_each(ranked: list[tuple[Key, float]], k: int) -> list[tuple[Key, float]]:
    """The first ``k`` of ``ranked``, but with the best match of every collection that has one.

    BM25 scores of different indexes are not on one scale: in a collection of one short file
    every word is in "all the documents", so SQLite's BM25 gives it almost no weight, and a
    file dropped on the chat would never beat a large collection. So a collection's best
    passage takes the place of the lowest one of a collection that has several.
    """
    chosen = ranked[:k]
    for key, score in ranked[k:]:
        counts = Counter(item[0] for item, _ in chosen)
        if key[0] in counts:
            continue
        removable = [i for i, (item, _) in enumerate(chosen) if counts[item[0]] > 1]
        if not removable:
            break
        del chosen[removable[-1]]
        chosen.append((key, score))
    return chosen


def _passage(row: ChunkRow, score: float) -> Passage:
    return Passage(chunk_id=row.chunk_id, text=row.text, path=Path(row.path), title=row.title,
                   score=score, page=row.page, heading=row.heading, line=row.line)


def search_collections(library: DocsLibrary, names: Sequence[str], query: str, *,
                       k: int = 5, embedder: TextEmbedder | None = None) -> list[Passage]:
    """The ``k`` best passages for ``query`` in the collections ``names``, best first.

    Raises DocsError for an unknown collection or a damaged index; a collection not indexed
    yet has nothing to find. Any text is a valid query: FTS syntax in it is plain text.
    """
    if k <= 0 or not query.strip():
        return []
    found = [library.get(name) for name in names]
    collections = list({collection.name: collection for collection in found}.values())
    request = _Query(query, embedder, max(k * CANDIDATES_PER_RESULT, MIN_CANDIDATES))
    if not request.terms and embedder is None:
        return []
    keyword: Ranked = []
    nearest: Ranked = []
    rows: dict[Key, ChunkRow] = {}
    for position, collection in enumerate(collections):
        try:
            index = DocIndex.open(library.index_file(collection.name, collection),
                                  collection.name)
        except NotIndexed:
            continue
        with index:
            rows.update(_search_one(index, position, request, keyword, nearest))
    keyword.sort(key=lambda pair: -pair[0])
    nearest.sort(key=lambda pair: -pair[0])
    if nearest:
        ranked = reciprocal_rank_fusion([[key for _, key in keyword],
                                         [key for _, key in nearest]])
    else:
        ranked = [(key, score) for score, key in keyword]
    return [_passage(rows[key], score) for key, score in _best_of_each(ranked, k)
            if key in rows]
