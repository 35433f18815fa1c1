"""Reciprocal rank fusion: one ranking from several (keyword and vector search).

RRF (Cormack, Clarke and Büttcher, 2009) scores an item ``sum(1 / (k + rank))`` over the
rankings it appears in. It needs no score calibration, which BM25 and cosine similarity lack,
and ``k = 60`` keeps one list's top item from drowning the other's.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

RRF_K = 60

Key = TypeVar("Key", bound=Hashable)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Key]], *,
                           k: int = RRF_K) -> list[tuple[Key, float]]:
    """Items of all ``rankings`` (each best first), best fused score first; ties keep the
    order in which items were first met. A repeated item counts at its best rank only."""
    if k < 0:
        raise ValueError("k must not be negative")
    scores: dict[Key, float] = {}
    for ranking in rankings:
        seen: set[Key] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    order = {item: position for position, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))
