"""Vectors: float32 blobs, the NumPy cosine scan, the cache, and sqlite-vec where it loads."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from openchat_desktop.core.docs.vectors import (
    VectorCache,
    VectorSet,
    load_sqlite_vec,
    normalised,
    sqlite_vec_top_k,
    to_blob,
)


def vector_set(rows: list[list[float]], ids: list[int] | None = None) -> VectorSet:
    ids = ids if ids is not None else list(range(1, len(rows) + 1))
    return VectorSet.from_blobs(ids, b"".join(to_blob(row) for row in rows), len(rows[0]))


def test_blobs_round_trip_as_float32() -> None:
    blob = to_blob([1.0, -2.5, 0.125])
    assert len(blob) == 12
    assert np.frombuffer(blob, dtype="<f4").tolist() == [1.0, -2.5, 0.125]


def test_top_k_ranks_by_cosine_whatever_the_length() -> None:
    vectors = vector_set([[1, 0, 0], [0, 10, 0], [1, 1, 0], [-1, 0, 0]], ids=[10, 20, 30, 40])
    hits = vectors.top_k([2, 0, 0], 3)
    assert [chunk for chunk, _ in hits] == [10, 30, 20]
    assert hits[0][1] == pytest.approx(1.0)
    assert hits[1][1] == pytest.approx(2 ** -0.5, rel=1e-5)
    assert vectors.top_k([0, 1, 0], 10)[-1] == (40, pytest.approx(0.0))
    assert len(vectors.top_k([0, 1, 0], 10)) == 4


def test_top_k_edges() -> None:
    empty = VectorSet.from_blobs([], b"", 0)
    assert len(empty) == 0 and empty.top_k([1.0], 5) == []
    vectors = vector_set([[0, 0], [1, 0]])
    assert vectors.top_k([1, 0], 0) == []
    assert vectors.top_k([1, 0], 1) == [(2, pytest.approx(1.0))]  # a zero row scores 0
    with pytest.raises(ValueError, match="dimensions"):
        vectors.top_k([1, 0, 0], 1)
    assert normalised([0.0, 0.0]).tolist() == [0.0, 0.0]


def test_top_k_agrees_with_a_brute_force_sort() -> None:
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(500, 16)).astype(np.float32)
    query = rng.normal(size=16)
    vectors = vector_set(rows.tolist())
    expected = np.argsort(-(rows / np.linalg.norm(rows, axis=1, keepdims=True)) @ query)[:10]
    assert [chunk - 1 for chunk, _ in vectors.top_k(query.tolist(), 10)] == expected.tolist()


def test_cache_keeps_recent_sets_and_drops_older_generations() -> None:
    cache = VectorCache(max_entries=2)
    loads: list[str] = []

    def loader(name: str) -> VectorSet:
        loads.append(name)
        return vector_set([[1.0, 0.0]])

    first = cache.get(("a", "m", 1), lambda: loader("a1"))
    assert cache.get(("a", "m", 1), lambda: loader("again")) is first
    cache.get(("a", "m", 2), lambda: loader("a2"))  # a newer generation replaces the old
    cache.get(("b", "m", 1), lambda: loader("b1"))
    cache.get(("a", "m", 1), lambda: loader("a1 reloaded"))
    assert loads == ["a1", "a2", "b1", "a1 reloaded"]


def test_sqlite_vec_matches_the_numpy_scan_where_it_loads() -> None:
    conn = sqlite3.connect(":memory:")
    if not load_sqlite_vec(conn):
        assert not hasattr(conn, "enable_load_extension") or _no_sqlite_vec()
        pytest.skip("this Python build cannot load SQLite extensions (the NumPy scan is used)")
    rows = [[1.0, 0.0, 0.0], [0.0, 3.0, 0.0], [1.0, 1.0, 0.0]]
    conn.execute("CREATE TABLE vectors(chunk_id INTEGER PRIMARY KEY, model TEXT, blob BLOB)")
    conn.executemany("INSERT INTO vectors VALUES (?, 'm', ?)",
                     [(i + 1, to_blob(row)) for i, row in enumerate(rows)])
    expected = vector_set(rows).top_k([1.0, 0.2, 0.0], 3)
    got = sqlite_vec_top_k(conn, "m", [1.0, 0.2, 0.0], 3)
    assert [c for c, _ in got] == [c for c, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-4)


def _no_sqlite_vec() -> bool:
    try:
        import sqlite_vec  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return True
    return False
