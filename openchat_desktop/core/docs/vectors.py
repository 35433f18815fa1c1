"""Embedding vectors: stored as float32 blobs, searched by cosine similarity.

The search is a NumPy scan of one compact ``float32`` matrix per index, kept in a small cache
keyed by the index file, the model and the index's vector generation (bumped by every write),
so a query costs one matrix-vector product: about 2 ms for 10,000 vectors of 384 floats.
Where the Python build can load SQLite extensions, ``sqlite-vec`` offers the same scan inside
SQLite (``sqlite_vec_top_k``) without loading the matrix into memory.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


def to_blob(vector: Sequence[float]) -> bytes:
    """One vector as the bytes stored in the index (little-endian float32)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def normalised(vector: Sequence[float]) -> FloatArray:
    """``vector`` scaled to length 1 (a zero vector stays zero)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


@dataclass(frozen=True)
class VectorSet:
    """The vectors of one index for one model: ``ids[i]`` is the chunk of row ``i``."""

    ids: npt.NDArray[np.int64]
    matrix: FloatArray

    @classmethod
    def from_blobs(cls, ids: Sequence[int], blob: bytes, dimensions: int) -> VectorSet:
        """Rows from the concatenated blobs of ``ids``; each row normalised for cosine."""
        matrix = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        matrix = matrix.reshape(len(ids), dimensions) if len(ids) else matrix.reshape(0, 0)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True) if len(ids) else None
        if norms is not None:
            matrix = (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return cls(np.asarray(ids, dtype=np.int64), matrix)

    def __len__(self) -> int:
        return len(self.ids)

    def top_k(self, query: Sequence[float], k: int) -> list[tuple[int, float]]:
        """The ``k`` chunks most similar to ``query``, best first, with their cosine."""
        if not len(self) or k <= 0:
            return []
        q = normalised(query)
        if q.shape[0] != self.matrix.shape[1]:
            raise ValueError(f"query has {q.shape[0]} dimensions, the index "
                             f"{self.matrix.shape[1]}")
        scores = self.matrix @ q
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in best]


class VectorCache:
    """The last few ``VectorSet`` s loaded, keyed by (index file, model, generation)."""

    def __init__(self, max_entries: int = 4) -> None:
        self._entries: OrderedDict[tuple[str, str, int], VectorSet] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, int], load: Callable[[], VectorSet]) -> VectorSet:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        vectors = load()
        with self._lock:
            stale = [k for k in self._entries if k[:2] == key[:2]]
            for old in stale:  # an older generation of the same index is never asked again
                del self._entries[old]
            self._entries[key] = vectors
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return vectors


#: The vectors of recently searched indexes, shared by every search in the process.
shared_cache = VectorCache()


def load_sqlite_vec(conn: sqlite3.Connection) -> bool:
    """Load the sqlite-vec extension into ``conn``; False where the Python build cannot load
    extensions (many, this project's included) or the package is not installed."""
    if not hasattr(conn, "enable_load_extension"):
        return False
    try:
        import sqlite_vec  # type: ignore[import-not-found,unused-ignore]

        conn.enable_load_extension(True)
        try:
            sqlite_vec.load(conn)
        finally:
            conn.enable_load_extension(False)
    except (ImportError, sqlite3.Error, AttributeError, OSError):
        return False
    return True


def sqlite_vec_top_k(conn: sqlite3.Connection, model: str, query: Sequence[float],
                     k: int) -> list[tuple[int, float]]:
    """The same as ``VectorSet.top_k``, scanned inside SQLite by sqlite-vec (loaded into
    ``conn`` with ``load_sqlite_vec``); the stored vectors need not be normalised."""
    rows = conn.execute(
        "SELECT chunk_id, vec_distance_cosine(blob, ?) AS d FROM vectors WHERE model = ? "
        "ORDER BY d LIMIT ?", (to_blob(normalised(query).tolist()), model, k)).fetchall()
    return [(int(chunk_id), 1.0 - float(distance)) for chunk_id, distance in rows]
