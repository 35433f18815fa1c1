"""Searching collections: BM25 keyword search, hostile queries, several collections, vector
search fused with it by reciprocal rank fusion, and the two-step keyword search of big indexes."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from docs_bow_embedder import BagOfWordsEmbedder

from openchat_desktop.core.docs import index_db, keyword
from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.fts_query import any_of, query_terms
from openchat_desktop.core.docs.indexer import index_collection
from openchat_desktop.core.docs.keyword import KeywordPlan, TermCounts, plan, ranked_chunks
from openchat_desktop.core.docs.search import _best_of_each, search_collections
from openchat_desktop.core.docs.types import Chunk, DocsError
from openchat_desktop.core.llm.embedder import LlamaEmbedder

WORDS = ["river", "mountain", "lantern", "copper", "violet", "harbour", "meadow", "pepper",
         "thunder", "velvet", "marble", "falcon", "canyon", "orchard", "saddle", "walnut",
         "cobalt", "ember", "glacier", "juniper"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_library(tmp_path: Path) -> DocsLibrary:
    rng = random.Random(5)
    folder = tmp_path / "many"
    for n in range(150):  # many files of the same filler words ...
        filler = " ".join(rng.choice(WORDS) for _ in range(150))
        write(folder / f"file{n:03}.txt", f"Memo {n}\n\n{filler}\n")
    # ... and the one that answers the question.
    write(folder / "deep" / "reactor.md",
          "# Plant\n\n## Cooling\n\n" + " ".join(rng.choice(WORDS) for _ in range(100))
          + "\n\nThe reactor coolant pump must be inspected every 90 days.\n")
    library = DocsLibrary(tmp_path / "docs")
    library.create("Many", [folder])
    index_collection(library, "Many")
    return library


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> DocsLibrary:
    """One library for the tests that only search it."""
    return build_library(tmp_path_factory.mktemp("search"))


@pytest.fixture
def library(tmp_path: Path) -> DocsLibrary:
    """A library of its own, for a test that changes it."""
    return build_library(tmp_path)


def test_finds_the_right_file_among_many(shared: DocsLibrary) -> None:
    passages = search_collections(shared, ["many"], "How often is the coolant pump inspected?")
    assert passages, "nothing found"
    best = passages[0]
    assert best.path.name == "reactor.md"
    assert "coolant pump" in best.text
    assert best.heading == "Plant › Cooling" and best.line is not None and best.page is None
    assert best.title and best.score > 0
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_k_bounds_the_results(shared: DocsLibrary) -> None:
    assert len(search_collections(shared, ["Many"], "river lantern", k=3)) == 3
    assert len(search_collections(shared, ["Many"], "river lantern", k=12)) == 12
    assert search_collections(shared, ["Many"], "river", k=0) == []


@pytest.mark.parametrize("query", [
    '"', "'", "AND OR NOT", "*", "NEAR(", "NEAR(river lantern, 2)", "river*", "^river",
    "col:river", "🙂🙃", "", "   ", "-", "(", ")", "river AND", "' OR 1=1 --",
    "x" * 5000, "\x00\x01\x7f", "河流", "río crème brûlée", "{river}", "river + - lantern",
])
def test_hostile_queries_never_raise(shared: DocsLibrary, query: str) -> None:
    passages = search_collections(shared, ["Many"], query, k=5)
    assert len(passages) <= 5


def test_operators_typed_by_the_user_are_searched_as_words(library: DocsLibrary,
                                                         tmp_path: Path) -> None:
    write(tmp_path / "ops" / "logic.txt", "Use NOT and NEAR carefully in boolean logic.")
    library.create("Ops", [tmp_path / "ops"])
    index_collection(library, "Ops")
    passages = search_collections(library, ["Ops"], "NOT NEAR")
    assert [p.path.name for p in passages] == ["logic.txt"]


def test_unknown_and_unindexed_collections(library: DocsLibrary, tmp_path: Path) -> None:
    with pytest.raises(DocsError, match="No collection named 'Nope'"):
        search_collections(library, ["Many", "Nope"], "river")
    write(tmp_path / "later" / "a.txt", "coolant")
    library.create("Later", [tmp_path / "later"])
    assert search_collections(library, ["Later"], "coolant") == []  # not indexed yet


def test_several_collections_merge_by_score(library: DocsLibrary, tmp_path: Path) -> None:
    write(tmp_path / "second" / "pumps.txt", "Coolant pump inspection checklist: coolant pump "
          "seals, coolant pump bearings, inspection dates.")
    library.create("Second", [tmp_path / "second"])
    index_collection(library, "Second")
    passages = search_collections(library, ["Many", "Second"], "coolant pump inspection", k=4)
    names = [p.path.name for p in passages]
    assert set(names[:2]) == {"reactor.md", "pumps.txt"}
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    # The same collection named twice is searched once.
    twice = search_collections(library, ["Second", "second"], "coolant", k=10)
    assert len(twice) == 1


def test_a_one_file_collection_is_not_drowned_by_a_big_one(library: DocsLibrary,
                                                           tmp_path: Path) -> None:
    # Every word of the query is in the one file: BM25 gives it next to no weight there.
    write(tmp_path / "dropped" / "memo.txt", "Copper lantern inventory for the harbour.")
    library.create("Dropped", [tmp_path / "dropped"])
    index_collection(library, "Dropped")
    passages = search_collections(library, ["Many", "Dropped"], "copper lantern harbour", k=4)
    assert len(passages) == 4 and passages[-1].path.name == "memo.txt"
    assert all(p.path.name.startswith("file") for p in passages[:3])


def test_best_of_each_collection_keeps_order_and_k() -> None:
    ranked = [((0, 1), 9.0), ((0, 2), 8.0), ((0, 3), 7.0), ((1, 7), 0.1), ((2, 5), 0.05)]
    assert _best_of_each(ranked, 3) == [((0, 1), 9.0), ((1, 7), 0.1), ((2, 5), 0.05)]
    assert _best_of_each(ranked, 4) == [((0, 1), 9.0), ((0, 2), 8.0), ((1, 7), 0.1),
                                        ((2, 5), 0.05)]
    assert _best_of_each(ranked, 1) == [((0, 1), 9.0)]  # no room: the best stays
    assert _best_of_each(ranked[:3], 2) == ranked[:2]


def test_damaged_index_is_one_clear_line(library: DocsLibrary) -> None:
    path = library.index_file("Many")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"\x00garbage" * 500)
    with pytest.raises(DocsError, match=r"^The index of 'Many' is damaged; re-index it\.$"):
        search_collections(library, ["Many"], "coolant")


@pytest.fixture
def cars(tmp_path: Path) -> DocsLibrary:
    folder = tmp_path / "garage"
    write(folder / "car.txt", "The car needs new tyres before winter.")
    write(folder / "bike.txt", "The bicycle chain needs oil before winter.")
    write(folder / "boat.txt", "Winter storage for the boat: drain the engine.")
    library = DocsLibrary(tmp_path / "docs2")
    library.create("Garage", [folder])
    return library


SYNONYMS = {"automobile": "car", "vehicle": "car"}


def test_vector_search_finds_what_keywords_miss(cars: DocsLibrary) -> None:
    embedder = BagOfWordsEmbedder(synonyms=SYNONYMS)
    index_collection(cars, "Garage", embedder=embedder)
    assert search_collections(cars, ["Garage"], "automobile") == []  # no such word
    passages = search_collections(cars, ["Garage"], "automobile", embedder=embedder, k=3)
    assert passages[0].path.name == "car.txt"
    # Fused: a passage both rankings like beats one only the keywords like.
    fused = search_collections(cars, ["Garage"], "vehicle winter", embedder=embedder, k=3)
    assert fused[0].path.name == "car.txt"
    assert fused[0].score > 1 / 61  # no single ranking gives more than its first place


def test_without_vectors_of_the_model_search_is_keyword_only(cars: DocsLibrary) -> None:
    index_collection(cars, "Garage")  # no embedder: no vectors
    embedder = BagOfWordsEmbedder(synonyms=SYNONYMS)
    plain = search_collections(cars, ["Garage"], "winter tyres")
    with_model = search_collections(cars, ["Garage"], "winter tyres", embedder=embedder)
    assert plain == with_model and plain[0].path.name == "car.txt"
    assert embedder.calls == []  # the query is not embedded when nothing can use it


def test_vectors_are_cached_until_the_index_changes(cars: DocsLibrary, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = BagOfWordsEmbedder(synonyms=SYNONYMS)
    index_collection(cars, "Garage", embedder=embedder)
    loads: list[str] = []
    original = index_db.DocIndex.vector_blobs

    def counting(self: index_db.DocIndex, model: str) -> tuple[list[int], bytes, int]:
        loads.append(model)
        return original(self, model)

    monkeypatch.setattr(index_db.DocIndex, "vector_blobs", counting)
    for _ in range(3):
        search_collections(cars, ["Garage"], "automobile", embedder=embedder)
    assert len(loads) == 1
    write(tmp_path / "garage" / "van.txt", "The van, a vehicle for moving house.")
    index_collection(cars, "Garage", embedder=embedder)
    names = [p.path.name for p in
             search_collections(cars, ["Garage"], "automobile", embedder=embedder)]
    assert len(loads) == 2 and set(names[:2]) == {"car.txt", "van.txt"}


def test_a_failing_query_embedding_is_one_line(cars: DocsLibrary) -> None:
    index_collection(cars, "Garage", embedder=BagOfWordsEmbedder())
    broken = BagOfWordsEmbedder(fail_after=0)
    with pytest.raises(DocsError, match="The embedding model failed"):
        search_collections(cars, ["Garage"], "winter", embedder=broken)


def test_the_real_gguf_embedder_goes_through_indexing_and_search(
        cars: DocsLibrary, tiny_embedder: LlamaEmbedder) -> None:
    """Plumbing only: the tiny model has random weights, so its ranking means nothing."""
    report = index_collection(cars, "Garage", embedder=tiny_embedder.for_documents())
    with index_db.DocIndex.open(cars.index_file("Garage"), "Garage") as index:
        ids, blob, dimensions = index.vector_blobs(tiny_embedder.model_id)
    assert len(ids) == report.chunks == 3 and dimensions == tiny_embedder.dimensions
    assert len(blob) == 3 * dimensions * 4
    # No word of the query is in any file: whatever comes back came from the vectors.
    passages = search_collections(cars, ["Garage"], "zebra", k=2,
                                  embedder=tiny_embedder.for_queries())
    assert len(passages) == 2 and all(0 < p.score <= 1 / 61 for p in passages)


# ---- big indexes: candidates found by the rare words, ranked by all of them -----------------
BIG_FILES, CHUNKS_PER_FILE = 110, 500  # 55,000 chunks: over keyword.PRUNE_FROM_CHUNKS
# Shares of the chunks that hold each word: over half, between a fifth and a half, a few.
SHARES = {"value": 0.6, "function": 0.3, "pump": 0.01}
NEEDLE = "The coolant pump must be inspected every 90 days; its value function is logged."


def filler_chunk(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=25) + [f"w{rng.randrange(5000)}" for _ in range(5)]
    return " ".join(words + [word for word, share in SHARES.items() if rng.random() < share])


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> DocsLibrary:
    """A collection over the pruning size, written straight into its index (a few seconds)."""
    root = tmp_path_factory.mktemp("big")
    folder = root / "files"
    folder.mkdir()
    library = DocsLibrary(root / "docs")
    library.create("Big", [folder])
    rng = random.Random(11)
    with index_db.DocIndex.open(library.index_file("Big"), "Big", create=True) as index:
        for n in range(BIG_FILES):
            chunks = [Chunk(i, filler_chunk(rng)) for i in range(CHUNKS_PER_FILE)]
            index.store_file(str(folder / f"part{n:03}.txt"), 1, 1, "", f"Part {n}", chunks)
        index.store_file(str(folder / "pump.txt"), 1, 1, "", "Pump", [Chunk(0, NEEDLE)])
        assert index.search_stamp()[1] > keyword.PRUNE_FROM_CHUNKS
    return library


@pytest.fixture
def big_index(big: DocsLibrary) -> Iterator[index_db.DocIndex]:
    with index_db.DocIndex.open(big.index_file("Big"), "Big") as index:
        yield index


class Spy:
    """Records the FTS5 expressions (and ``among`` lists) DocIndex is asked to rank or count."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.searches: list[tuple[str, list[int] | None]] = []
        self.counts: list[str] = []
        search, count = index_db.DocIndex.keyword_search, index_db.DocIndex.match_count

        def spied_search(index: index_db.DocIndex, match: str, limit: int,
                         among: list[int] | None = None) -> list[tuple[int, float]]:
            self.searches.append((match, among))
            return search(index, match, limit, among)

        def spied_count(index: index_db.DocIndex, match: str) -> int:
            self.counts.append(match)
            return count(index, match)

        monkeypatch.setattr(index_db.DocIndex, "keyword_search", spied_search)
        monkeypatch.setattr(index_db.DocIndex, "match_count", spied_count)


def test_plan_finds_with_rare_words_and_ranks_without_the_commonest() -> None:
    counts = {"pump": 10, "coolant": 2, "function": 300, "value": 600, "nowhere": 0}
    terms = list(counts)
    assert plan(terms, counts, 1000, wanted=5) == KeywordPlan(
        find=["pump", "coolant"], rank=["pump", "coolant", "function"])
    # The rare words could not fill the results: common ones join, rarest first.
    assert plan(terms, counts, 1000, wanted=24) == KeywordPlan(
        find=["pump", "coolant", "function"], rank=["pump", "coolant", "function"])
    # Only common words: the rarest finds; with all in half the chunks, all of them rank.
    assert plan(["value", "function"], counts, 1000, 5) == KeywordPlan(["function"],
                                                                        ["function"])
    assert plan(["value"], counts, 1000, 5) == KeywordPlan(["value"], ["value"])
    # A word in half the chunks that had to find candidates ranks them too.
    assert plan(["coolant", "value"], counts, 1000, 24) == KeywordPlan(["coolant", "value"],
                                                                       ["coolant", "value"])
    assert plan(["nowhere"], counts, 1000, 5) is None


def test_the_index_ranks_only_the_chunks_asked_with_whole_table_scores(
        big_index: index_db.DocIndex) -> None:
    match = any_of(["pump", "function"])
    full = big_index.keyword_search(match, 200)
    among = [chunk_id for chunk_id, _ in full[150:]] + [chunk_id for chunk_id, _ in full[:3]]
    assert big_index.keyword_search(match, 10, among=among) == full[:3] + full[150:157]
    assert big_index.keyword_search(match, 10, among=[]) == []
    assert big_index.match_count(any_of(["pump"])) == pytest.approx(550, rel=0.2)


def assert_same_ranking(got: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    """The same scores in the same order, chunks swapping places only among equal scores: a
    word in half the chunks or more, which FTS5 weighs 1e-6, is left out of the second step,
    so only the order of ties can change (and which tie the limit cuts off)."""
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-4)

    def by_score(ranked: list[tuple[int, float]]) -> dict[float, set[int]]:
        groups: dict[float, set[int]] = {}
        for chunk_id, score in ranked:
            groups.setdefault(round(score, 4), set()).add(chunk_id)
        groups.pop(round(ranked[-1][1], 4), None)
        return groups

    if expected:
        assert by_score(got) == by_score(expected)


@pytest.mark.parametrize(("query", "first_step"), [
    ("coolant pump value function", '"coolant" OR "pump"'),
    ("pump function river", '"pump"'),
    ("value function lantern copper", None),  # the rarest word is in a fifth: one query
    ("How often is the pump inspected?", None),  # only "pump" is in the index
    ("value function", None),
    ("zzz pump", None),
    ("coolant river", None),  # "river" (in most chunks) fills the places "coolant" leaves
])
def test_two_steps_rank_like_one_query_over_every_word(
        big_index: index_db.DocIndex, monkeypatch: pytest.MonkeyPatch, query: str,
        first_step: str | None) -> None:
    terms = query_terms(query)
    one_step = big_index.keyword_search(any_of(terms), 24)
    spy = Spy(monkeypatch)
    two_steps = ranked_chunks(big_index, terms, 24, TermCounts())
    assert_same_ranking(two_steps, one_step)
    if first_step is None:
        assert len(spy.searches) == 1 and spy.searches[0][1] is None
        return
    (first, among_first), (second, among) = spy.searches
    assert first == first_step and among_first is None
    assert among is not None and 24 <= len(among) <= keyword.CANDIDATES
    assert '"value"' not in second and '"function"' in second


def test_a_big_collection_still_finds_the_one_passage(big: DocsLibrary,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    passages = search_collections(big, ["Big"], "What value function is logged for the "
                                  "coolant pump?", k=6)
    assert passages[0].path.name == "pump.txt" and passages[0].text == NEEDLE
    assert len(passages) == 6  # common words fill the places the rare ones leave
    assert '"value"' not in spy.searches[0][0] and spy.searches[1][1] is not None


def test_a_small_index_is_searched_with_every_word_at_once(
        shared: DocsLibrary, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    search_collections(shared, ["Many"], "coolant pump river lantern copper")
    assert spy.searches == [('"coolant" OR "pump" OR "river" OR "lantern" OR "copper"', None)]
    assert spy.counts == []


def test_word_counts_are_cached_until_the_index_changes(
        big: DocsLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(big.index_file("Big"), copy)
    counts = TermCounts()
    spy = Spy(monkeypatch)
    with index_db.DocIndex.open(copy, "Copy") as index:
        for _ in range(3):
            ranked_chunks(index, ["pump", "function"], 6, counts)
        assert sorted(spy.counts) == ['"function"', '"pump"']
        index.store_file("/new/pumps.txt", 1, 1, "", "Pumps", [Chunk(0, "pump pump pump")])
        found = ranked_chunks(index, ["pump", "function"], 6, counts)
        assert len(spy.counts) == 4
        assert index.chunk_rows([found[0][0]])[found[0][0]].path == "/new/pumps.txt"


@pytest.mark.parametrize("query", ['"', "NEAR(value function", "value* OR pump", "🙂", "-"])
def test_hostile_queries_on_a_big_index(big: DocsLibrary, query: str) -> None:
    assert len(search_collections(big, ["Big"], query, k=5)) <= 5
