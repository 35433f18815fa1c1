"""Free text to a safe FTS5 query, and CJK text spaced for the index."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchat_desktop.core.docs.fts_query import any_of, fts_match, query_terms, spaced_cjk


def test_words_are_quoted_lowercased_and_or_joined() -> None:
    assert fts_match("Parse JSON files") == '"parse" OR "json" OR "files"'


def test_any_of_quotes_each_term() -> None:
    assert any_of(["pump", 'say "hi"']) == '"pump" OR "say ""hi"""'
    assert any_of(query_terms("Coolant PUMP")) == fts_match("Coolant PUMP")


def test_stop_words_are_dropped_unless_nothing_else_is_left() -> None:
    assert query_terms("What is the GIL?") == ["gil"]
    assert query_terms("what is it") == ["what", "is", "it"]


def test_fts_operators_and_punctuation_are_plain_text() -> None:
    assert query_terms('"NEAR( AND OR NOT * ^ x:y -z') == ["near", "x", "y", "z"]
    assert fts_match("AND OR NOT") == '"and" OR "or" OR "not"'
    assert fts_match('"') is None
    assert fts_match("") is None
    assert fts_match("🙂 ✓") is None


def test_cjk_runs_become_two_character_phrases() -> None:
    assert query_terms("税务报表 tax") == ["tax", "税 务", "务 报", "报 表"]
    assert query_terms("税") == ["税"]
    assert spaced_cjk("我的税务 ok") == " 我  的  税  务  ok"
    assert spaced_cjk("plain text") == "plain text"


def test_terms_are_capped() -> None:
    assert len(query_terms(" ".join(f"w{i}" for i in range(100)))) == 32


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61')")
    conn.execute("INSERT INTO t(text) VALUES ('near and or not * the quick fox')")
    return conn


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_makes_a_valid_fts5_query(fts: sqlite3.Connection, text: str) -> None:
    match = fts_match(text)
    if match is not None:
        fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()
