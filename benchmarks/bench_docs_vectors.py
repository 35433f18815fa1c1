"""The embedding half of ``bench_docs.py``: how fast chunks are embedded, and how fast the stored
vectors are scanned, by NumPy and by sqlite-vec where the Python build can load it.

Not run on its own: ``bench_docs.py`` calls ``embedding_figures``.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import docs_corpus
import numpy as np
from figures import spread

from openchat_desktop.core.docs.chunking import chunk_document
from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.indexer import index_collection
from openchat_desktop.core.docs.readers import read_document
from openchat_desktop.core.docs.vectors import (
    VectorSet,
    load_sqlite_vec,
    sqlite_vec_top_k,
    to_blob,
)
from openchat_desktop.core.llm.embedder import LlamaEmbedder
from openchat_desktop.core.models.embedding_models import find_embedding_models

BATCH = 32
RUNS = 3  # llama.cpp's threads slow down badly when other processes want the cores
SCAN_VECTORS = 10_000
SCAN_DIMENSIONS = 384  # bge-small-en-v1.5's
SCAN_QUERIES = 200


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def corpus_chunks(tmp: Path) -> list[str]:
    """The chunk texts of the pydoc corpus, as the indexer cuts them."""
    folder = docs_corpus.write_pydoc_corpus(tmp / "embed-corpus")
    return [chunk.text for path in sorted(folder.iterdir())
            for chunk in chunk_document(read_document(path))]


def open_embedding_model(tmp: Path) -> tuple[Any, str]:
    """(embedder, what it is): an installed embedding model, else the tiny test model."""
    installed = find_embedding_models()
    if installed:
        return LlamaEmbedder(installed[0]), installed[0].name
    import embedding_gguf

    path = embedding_gguf.write_embedding_gguf(tmp / "tiny-embed.gguf")
    return LlamaEmbedder(path), "tiny random-weight test model (32 dims, 2 layers)"


def embed_speed(tmp: Path) -> dict[str, Any]:
    """Chunks/s of the model alone, and of a whole index run that embeds as it goes."""
    texts = corpus_chunks(tmp)
    embedder, name = open_embedding_model(tmp)
    try:
        embedder.embed_documents(texts[:BATCH])  # warm-up
        rates = []
        for _ in range(RUNS):
            started = time.perf_counter()
            for start in range(0, len(texts), BATCH):
                embedder.embed_documents(texts[start:start + BATCH])
            rates.append(len(texts) / (time.perf_counter() - started))
        library = DocsLibrary(tmp / "embed-library")
        library.create("embedded", [tmp / "embed-corpus"])
        indexed = index_collection(library, "embedded", embedder=embedder.for_documents())
    finally:
        embedder.close()
    return {**spread("docs_embed_chunks_per_s", rates), "docs_embed_chunks": len(texts),
            "docs_embed_index_chunks_per_s": indexed.chunks / indexed.elapsed_s,
            "docs_embed_model": name}


def _scan_times(top_k: Any, queries: np.ndarray) -> list[float]:
    for query in queries[:10]:
        top_k(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        top_k(query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def vector_scan() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((SCAN_VECTORS, SCAN_DIMENSIONS)).astype(np.float32)
    queries = rng.standard_normal((SCAN_QUERIES, SCAN_DIMENSIONS)).astype(np.float32)
    ids = list(range(1, SCAN_VECTORS + 1))
    vectors = VectorSet.from_blobs(ids, matrix.astype("<f4").tobytes(), SCAN_DIMENSIONS)
    figures: dict[str, Any] = {"docs_vector_scan_p95_ms": _p95(_scan_times(
        lambda q: vectors.top_k(q, 6), queries))}
    conn = sqlite3.connect(":memory:")
    if load_sqlite_vec(conn):
        conn.execute("CREATE TABLE vectors(chunk_id INTEGER, model TEXT, blob BLOB)")
        conn.executemany("INSERT INTO vectors VALUES (?, 'bench', ?)",
                         [(i, to_blob(row)) for i, row in zip(ids, matrix, strict=True)])
        figures["docs_vector_scan_sqlite_vec_p95_ms"] = _p95(_scan_times(
            lambda q: sqlite_vec_top_k(conn, "bench", q.tolist(), 6), queries))
    else:
        figures["docs_vector_scan_sqlite_vec_p95_ms"] = None
        figures["docs_vector_scan_sqlite_vec_note"] = (
            "this Python's sqlite3 cannot load extensions"
            if not hasattr(conn, "enable_load_extension") else "sqlite-vec is not installed")
    conn.close()
    return figures


def embedding_figures(tmp: Path) -> dict[str, Any]:
    return {**vector_scan(), **embed_speed(tmp)}
