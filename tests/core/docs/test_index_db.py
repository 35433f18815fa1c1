"""The SQLite index of one collection: schema, files and chunks, FTS, vectors, damage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openchat_desktop.core.docs.fts_query import fts_match
from openchat_desktop.core.docs.index_db import (
    SCHEMA_VERSION,
    DamagedIndex,
    DocIndex,
    NotIndexed,
)
from openchat_desktop.core.docs.types import Chunk, DocsError
from openchat_desktop.core.docs.vectors import to_blob


@pytest.fixture
def index(tmp_path: Path) -> Iterator[DocIndex]:
    with DocIndex.open(tmp_path / "c.sqlite3", "Notes", create=True) as opened:
        yield opened


def chunks(*texts: str, heading: str | None = None) -> list[Chunk]:
    return [Chunk(ordinal=i, text=t, heading=heading, line=i + 1) for i, t in enumerate(texts)]


def hits(index: DocIndex, query: str) -> list[int]:
    match = fts_match(query)
    assert match is not None
    return [chunk_id for chunk_id, _ in index.keyword_search(match, 10)]


def test_new_index_has_schema_version_and_wal(index: DocIndex) -> None:
    assert index.meta("schema_version") == str(SCHEMA_VERSION)
    assert index._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_search_replace_and_remove_a_file(index: DocIndex) -> None:
    file_id = index.store_file("/d/a.md", 10, 1, "h1", "Apples", chunks(
        "Granny Smith apples are green", "Bananas are yellow", heading="Fruit › Colours"))
    assert file_id > 0
    first = hits(index, "green apples")
    assert len(first) == 2  # the title "Apples" matches both chunks; the green one ranks first
    row = index.chunk_rows(first)[first[0]]
    assert (row.text, row.title, row.heading, row.line, row.path) == (
        "Granny Smith apples are green", "Apples", "Fruit › Colours", 1, "/d/a.md")
    assert hits(index, "colours") == hits(index, "fruit") and len(hits(index, "fruit")) == 2
    assert len(hits(index, "apple")) == 2  # the title "Apples" stems to apple for both chunks

    index.store_file("/d/a.md", 12, 2, "h2", "Pears", chunks("Conference pears are brown"))
    assert hits(index, "granny") == [] and len(hits(index, "brown")) == 1
    state = index.file_states()["/d/a.md"]
    assert (state.id, state.size, state.mtime_ns, state.sha256) == (file_id, 12, 2, "h2")

    index.remove_files(["/d/a.md"])
    assert index.file_states() == {} and hits(index, "brown") == []
    assert index._conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == 0


def test_porter_stemming_and_diacritics(index: DocIndex) -> None:
    index.store_file("/d/b.txt", 1, 1, "h", "b", chunks("Running the café indexes quickly"))
    assert len(hits(index, "run index")) == 1
    assert len(hits(index, "cafe")) == 1


def test_chinese_text_is_found_by_its_words(index: DocIndex) -> None:
    index.store_file("/d/z.txt", 1, 1, "h", "z", chunks("今年的税务报表已经提交", "天气很好"))
    found = hits(index, "税务报表")
    assert len(found) == 1
    assert index.chunk_rows(found)[found[0]].text == "今年的税务报表已经提交"
    assert hits(index, "报税") == []  # characters in another order are another word


def test_skipped_files_and_stats(index: DocIndex) -> None:
    index.store_file("/d/a.txt", 100, 1, "h", "a", chunks("one", "two"))
    index.store_file("/d/bad.pdf", 50, 1, "h", "bad.pdf", [], skipped_reason="encrypted PDF")
    index.set_meta("indexed_at", "123.5")
    stats = index.stats()
    assert (stats.files, stats.chunks, stats.bytes, stats.indexed_at) == (1, 2, 100, 123.5)
    assert [(s.path, s.reason) for s in stats.skipped] == [(Path("/d/bad.pdf"), "encrypted PDF")]
    assert stats.embedding_model is None


def test_vectors_follow_their_chunks_and_model(index: DocIndex) -> None:
    file_id = index.store_file("/d/a.txt", 1, 1, "h", "a", chunks("one", "two", "three"))
    index.use_embedding_model("m1", 2)
    todo = index.chunks_without_vectors("m1", file_id, 2)
    assert [text for _, text in todo] == ["one", "two"]
    generation = index.vectors_generation()
    index.store_vectors("m1", [(chunk_id, to_blob([1.0, 0.0])) for chunk_id, _ in todo])
    assert index.vectors_generation() > generation
    assert index.files_without_vectors("m1") == {file_id}
    ids, blob, dimensions = index.vector_blobs("m1")
    assert ids == [c for c, _ in todo] and len(blob) == 16 and dimensions == 2
    assert index.stats().embedding_model == "m1"

    index.use_embedding_model("m1", 2)  # the same model keeps its vectors
    assert len(index.vector_blobs("m1")[0]) == 2
    index.use_embedding_model("m2", 2)  # another model's vectors are dropped
    assert index.vector_blobs("m1")[0] == [] and index.files_without_vectors("m2") == {file_id}

    index.store_vectors("m2", [(c, to_blob([0.0, 1.0])) for c, _ in
                               index.chunks_without_vectors("m2", file_id, 10)])
    generation = index.vectors_generation()
    index.store_file("/d/a.txt", 2, 2, "h2", "a", chunks("new"))  # re-read: vectors go
    assert index.vector_blobs("m2")[0] == [] and index.vectors_generation() > generation


def test_missing_and_empty_files_are_not_indexed_yet(tmp_path: Path) -> None:
    with pytest.raises(NotIndexed, match="'Notes' has not been indexed yet"):
        DocIndex.open(tmp_path / "none.sqlite3", "Notes")
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    with pytest.raises(NotIndexed):
        DocIndex.open(tmp_path / "empty.sqlite3", "Notes")


def test_damaged_file_is_one_clear_line_and_rebuilt_for_indexing(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(DamagedIndex, match=r"^The index of 'Notes' is damaged; re-index it\.$"):
        DocIndex.open(path, "Notes")
    with DocIndex.open_for_indexing(path, "Notes") as rebuilt:
        assert rebuilt.file_states() == {}
    DocIndex.open(path, "Notes").close()


def test_a_foreign_sqlite_file_or_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with DocIndex.open(path, "Notes", create=True) as index:
        index.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(DocsError, match="newer version"):
        DocIndex.open(path, "Notes")
    with DocIndex.open_for_indexing(path, "Notes") as replaced:  # re-indexing replaces it
        assert replaced.meta("schema_version") == str(SCHEMA_VERSION)
    other = tmp_path / "other.sqlite3"
    import sqlite3
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE x(y)")
    conn.close()
    with pytest.raises(DamagedIndex):
        DocIndex.open(other, "Notes")


def test_corrupted_pages_are_caught_by_the_integrity_check(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with DocIndex.open(path, "Notes", create=True) as index:
        for n in range(200):
            index.store_file(f"/d/{n}.txt", 1, 1, "h", "t", chunks(f"text number {n} " * 50))
        index._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 3, len(data) - 4096, 4096):
        data[offset + 100: offset + 400] = b"\xff" * 300  # scribble over most pages
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedIndex), DocIndex.open(path, "Notes") as index:
        hits(index, "number")
        index.file_states()
        index._check_integrity()
    with DocIndex.open_for_indexing(path, "Notes") as rebuilt:
        assert rebuilt.file_states() == {}


def test_two_openers_of_a_new_index_do_not_collide(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with DocIndex.open(path, "Notes", create=True) as first:
        first.store_file("/d/a.txt", 1, 1, "h", "a", chunks("kept"))
        with DocIndex.open(path, "Notes", create=True) as second:
            second._create_schema()  # as if it had looked before the first one wrote
            assert list(second.file_states()) == ["/d/a.txt"]
