"""Keyword search that stays fast on large indexes.

A question's ordinary words ("value", "function", "list") are in a large share of the chunks
of a big collection, so an OR of all its words matches most of the index, and FTS5 computes
BM25 for every match: the ranking, not the matching, is what costs (about a second at a
million chunks). So on an index of more than ``PRUNE_FROM_CHUNKS`` chunks a search takes two
steps:

1. candidates: BM25 over the words that are in at most ``COMMON_SHARE`` of the chunks (and
   the next rarest ones while these could not fill the results), the best ``CANDIDATES``;
2. those candidates ranked again by BM25 over all the words, scoring only them.

A common word has a low IDF, so a chunk that only common words match is rarely among the
best; step 2 gives every candidate its full score, so candidates come in the order (and with
the scores) one query over every word gives them. FTS5 clamps the IDF of a word in half the
chunks or more to 1e-6, so step 2 leaves such words out unless they found candidates: they
would only cost a pass over the longest term lists and break ties. How many chunks hold each
word is counted once per index and content, then cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openchat_desktop.core.docs.fts_query import any_of
from openchat_desktop.core.docs.index_db import DocIndex

# Below this size one query over every word already answers in well under 50 ms.
PRUNE_FROM_CHUNKS = 50_000
# A word in more than this share of the chunks does not choose candidates.
COMMON_SHARE = 0.2
# Candidates ranked again; scoring them costs little next to step 1.
CANDIDATES = 1000
_CACHED_INDEXES = 8
_CACHED_TERMS = 20_000

Stamp = tuple[int, int, float]


@dataclass(frozen=True)
class KeywordPlan:
    """The words that find candidates (``find``) and those that rank them (``rank``)."""

    find: list[str]
    rank: list[str]

    @property
    def one_step(self) -> bool:
        return self.find == self.rank


def plan(terms: Sequence[str], counts: Mapping[str, int], chunks: int,
         wanted: int) -> KeywordPlan | None:
    """Which of ``terms`` find and which rank, given how many of the ``chunks`` hold each
    term; None when no chunk holds any. The finding terms are the rare ones, with common
    ones added, rarest first, while fewer than ``wanted`` chunks could hold them."""
    present = sorted((term for term in terms if counts[term] > 0), key=lambda t: counts[t])
    if not present:
        return None
    find = [term for term in present if counts[term] <= COMMON_SHARE * chunks]
    for term in present[len(find):]:
        if find and sum(counts[t] for t in find) >= wanted:
            break
        find.append(term)
    # Every finding term ranks too, or a chunk found by a common one would be dropped.
    rank = [term for term in present if counts[term] * 2 < chunks or term in find]
    order = {term: n for n, term in enumerate(terms)}
    return KeywordPlan(sorted(find, key=order.__getitem__), sorted(rank, key=order.__getitem__))


class TermCounts:
    """How many chunks hold each word, per index file, forgotten when its content changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_index: OrderedDict[tuple[str, Stamp], dict[str, int]] = OrderedDict()

    def get(self, index: DocIndex, stamp: Stamp, terms: Sequence[str]) -> dict[str, int]:
        key = (str(index.path), stamp)
        with self._lock:
            known = self._by_index.setdefault(key, {})
            self._by_index.move_to_end(key)
            while len(self._by_index) > _CACHED_INDEXES:
                self._by_index.popitem(last=False)
            if len(known) > _CACHED_TERMS:
                known.clear()
            found = {term: known[term] for term in terms if term in known}
        # Counted outside the lock: two searches counting one word get the same number.
        missing = {term: index.match_count(any_of([term])) for term in terms
                   if term not in found}
        with self._lock:
            known.update(missing)
        return found | missing


shared_counts = TermCounts()


def ranked_chunks(index: DocIndex, terms: Sequence[str], limit: int,
                  counts: TermCounts = shared_counts) -> list[tuple[int, float]]:
    """The ``limit`` chunks of ``index`` best matching any of ``terms``, with BM25 (higher
    better), best first."""
    if not terms or limit <= 0:
        return []
    stamp = index.search_stamp()
    chunks = stamp[1]
    if chunks <= PRUNE_FROM_CHUNKS or len(terms) < 2:
        return index.keyword_search(any_of(terms), limit)
    chosen = plan(terms, counts.get(index, stamp, terms), chunks, limit)
    if chosen is None:
        return []
    if chosen.one_step:
        return index.keyword_search(any_of(chosen.find), limit)
    candidates = index.keyword_search(any_of(chosen.find), max(limit, CANDIDATES))
    return index.keyword_search(any_of(chosen.rank), limit,
                                among=[chunk_id for chunk_id, _ in candidates])
