"""Retrieval quality on real text we did not write: keyword search alone must put the page that
answers a question among its first five files for at least 80 % of the questions.

The corpus is the Python Language Reference as CPython ships it (``pydoc_data.topics``), one
file per topic; the questions are in ``recall_questions.json`` (see ``tests/docs_corpus.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_corpus import (
    Question,
    measure_recall,
    page_id,
    pydoc_questions,
    pydoc_topics,
    write_pydoc_corpus,
)

from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.indexer import index_collection
from openchat_desktop.core.docs.search import search_collections
from openchat_desktop.core.docs.types import Passage

RECALL_FLOOR = 0.8


def test_every_question_has_its_answer_in_the_corpus() -> None:
    """The question set is sound for this Python: each answer topic holds its evidence, and
    the evidence is specific (a handful of pages, not half the corpus)."""
    questions = pydoc_questions()
    assert len(questions) >= 30
    assert len({question.text for question in questions}) == len(questions)
    for question in questions:
        assert 1 <= len(question.answers) <= 4, question


def test_keyword_recall_at_5_on_the_python_reference(tmp_path: Path) -> None:
    corpus = write_pydoc_corpus(tmp_path / "reference")
    library = DocsLibrary(tmp_path / "docs")
    library.create("Python reference", [corpus])
    report = index_collection(library, "Python reference")
    assert report.skipped == []
    assert report.added == len(pydoc_topics())

    recall = measure_recall(
        lambda text: search_collections(library, ["Python reference"], text, k=20),
        pydoc_questions(), lambda path: page_id(path, corpus))

    print(f"\ndocs_recall_at_5 {recall.at_k:.3f} (first 5 passages: "
          f"{recall.passages_at_k:.3f}) over {recall.questions} questions, "
          f"pydoc topics; misses:\n{recall.describe_misses()}")
    assert recall.at_k >= RECALL_FLOOR, recall.describe_misses()


def passage(path: str) -> Passage:
    return Passage(chunk_id=0, text="", path=Path(path), title="", score=1.0)


def test_recall_counts_distinct_files_not_passages() -> None:
    """Three passages of one file fill one of the five places, not three."""
    ranked = [passage("/c/a.txt")] * 3 + [passage(f"/c/{name}.txt") for name in "bcdef"]
    questions = [Question("q1", frozenset({"e"})), Question("q2", frozenset({"f"}))]

    recall = measure_recall(lambda _: ranked, questions, lambda path: path.stem, k=5)

    assert recall.at_k == pytest.approx(0.5)  # files a, b, c, d, e: f is sixth
    assert recall.passages_at_k == 0.0  # passages a, a, a, b, c
    assert recall.misses == [("q2", ["a", "b", "c", "d", "e"])]


def test_page_id_joins_a_page_and_its_source(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    assert page_id(root / "library" / "json.html", root) == "library/json"
    assert page_id(root / "_sources" / "library" / "json.rst.txt", root) == "library/json"
    assert page_id(root / "try.txt", root) == "try"
