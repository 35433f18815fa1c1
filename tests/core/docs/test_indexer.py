"""Indexing a collection: incremental by mtime and hash, bad files skipped, cancel, vectors."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from docs_bow_embedder import BagOfWordsEmbedder
from docs_files import make_pdf

from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.index_db import DocIndex
from openchat_desktop.core.docs.indexer import collection_stats, file_sha256, index_collection
from openchat_desktop.core.docs.types import DocsError, IndexProgress

TOPICS = ["apples and orchards", "volcanoes and lava", "sailing boats", "chess openings",
          "bread baking", "tax returns"]


def write(path: Path, text: str, mtime_s: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime_s is not None:
        os.utime(path, ns=(mtime_s * 10**9, mtime_s * 10**9))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    for n, topic in enumerate(TOPICS):
        suffix = ".md" if n % 2 else ".txt"
        write(root / f"sub{n % 2}" / f"note{n}{suffix}",
              f"# Note {n}\n\nThis note is about {topic}.\n\n" + "Filler words. " * 40,
              mtime_s=1_700_000_000)
    write(root / "picture.png", "not read")  # unsupported types are ignored silently
    return root


@pytest.fixture
def library(tmp_path: Path, folder: Path) -> DocsLibrary:
    library = DocsLibrary(tmp_path / "docs")
    library.create("Notes", [folder])
    return library


def chunk_ids(library: DocsLibrary) -> dict[str, list[int]]:
    with DocIndex.open(library.index_file("Notes"), "Notes") as index:
        rows = index._conn.execute(
            "SELECT f.path, c.id FROM chunks c JOIN files f ON f.id = c.file_id ORDER BY c.id")
        result: dict[str, list[int]] = {}
        for path, chunk_id in rows:
            result.setdefault(Path(path).name, []).append(chunk_id)
        return result


def test_first_run_reads_every_supported_file(library: DocsLibrary, folder: Path) -> None:
    progress: list[IndexProgress] = []
    report = index_collection(library, "Notes", on_progress=progress.append)
    assert (report.added, report.updated, report.removed, report.unchanged) == (6, 0, 0, 0)
    assert report.skipped == [] and not report.cancelled
    assert report.chunks >= 6 and report.bytes_read > 0
    stats = collection_stats(library, "notes")
    assert (stats.files, stats.chunks, stats.skipped) == (6, report.chunks, [])
    assert stats.indexed_at is not None and stats.embedding_model is None
    assert progress[0].files_done == 0 and progress[-1].files_done == 6
    assert [p.files_done for p in progress] == sorted(p.files_done for p in progress)
    assert progress[-1].bytes_done == progress[-1].bytes_total == report.bytes_read
    assert progress[-1].files_total == 6 and progress[-1].current is not None


def test_only_changed_added_and_deleted_files_are_read(library: DocsLibrary,
                                                       folder: Path) -> None:
    index_collection(library, "Notes")
    before = chunk_ids(library)
    changed = write(folder / "sub0" / "note0.txt", "Now about glaciers.", mtime_s=1_800_000_000)
    (folder / "sub1" / "note1.md").unlink()
    write(folder / "sub1" / "new.md", "# New\n\nFresh words.")
    report = index_collection(library, "Notes")
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 4)
    assert report.bytes_read == changed.stat().st_size + (folder / "sub1/new.md").stat().st_size
    after = chunk_ids(library)
    assert "note1.md" not in after and "new.md" in after
    assert after["note0.txt"] != before["note0.txt"]
    for name in ("note2.txt", "note3.md", "note4.txt", "note5.md"):
        assert after[name] == before[name]  # untouched files keep their chunks

    again = index_collection(library, "Notes")
    assert (again.added, again.updated, again.removed, again.unchanged, again.bytes_read) == \
        (0, 0, 0, 6, 0)


def test_a_touched_but_unchanged_file_is_hashed_not_read(library: DocsLibrary,
                                                         folder: Path) -> None:
    index_collection(library, "Notes")
    before = chunk_ids(library)
    touched = folder / "sub0" / "note2.txt"
    os.utime(touched, ns=(1_900_000_000 * 10**9, 1_900_000_000 * 10**9))
    report = index_collection(library, "Notes")
    assert (report.updated, report.unchanged, report.chunks) == (0, 6, 0)
    assert report.bytes_read == touched.stat().st_size  # hashed once
    assert chunk_ids(library) == before
    # The new mtime is remembered, so the next run does not even hash it.
    assert index_collection(library, "Notes").bytes_read == 0


def test_unreadable_files_are_listed_and_retried_only_when_changed(
        library: DocsLibrary, folder: Path, tmp_path: Path) -> None:
    binary = folder / "sub0" / "binary.txt"
    binary.write_bytes(b"\x00\x01 not text" * 100)
    make_pdf(folder / "secret.pdf", ["hidden"], encrypted=True)
    odd = write(tmp_path / "data.xyz", "named directly")
    library.add_sources("Notes", [odd])
    report = index_collection(library, "Notes")
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert reasons.keys() == {"binary.txt", "secret.pdf", "data.xyz"}
    assert "binary" in reasons["binary.txt"] and "encrypted" in reasons["secret.pdf"]
    assert "unsupported file type .xyz" in reasons["data.xyz"]
    assert report.added == 6  # the others were indexed all the same
    stats = collection_stats(library, "Notes")
    assert {s.path.name for s in stats.skipped} == reasons.keys() and stats.files == 6

    again = index_collection(library, "Notes")
    assert again.skipped == [] and again.unchanged == 9 and again.bytes_read == 0

    write(binary, "Readable at last: meteorites.", mtime_s=1_800_000_000)
    fixed = index_collection(library, "Notes")
    assert fixed.updated == 1 and fixed.skipped == []
    assert {s.path.name for s in collection_stats(library, "Notes").skipped} == {
        "secret.pdf", "data.xyz"}


def test_pdf_pages_are_indexed_with_their_page(library: DocsLibrary, folder: Path) -> None:
    make_pdf(folder / "manual.pdf", ["Introduction to widgets", "Calibrating the sprocket"])
    index_collection(library, "Notes")
    with DocIndex.open(library.index_file("Notes"), "Notes") as index:
        row = index._conn.execute("SELECT c.page FROM chunks c WHERE c.text LIKE "
                                  "'%sprocket%'").fetchone()
    assert row == (2,)


def test_cancel_keeps_finished_files_and_the_next_run_completes(library: DocsLibrary) -> None:
    cancel = threading.Event()

    def on_progress(progress: IndexProgress) -> None:
        if progress.files_done >= 2:
            cancel.set()

    report = index_collection(library, "Notes", on_progress=on_progress, cancel=cancel)
    assert report.cancelled and report.added == 2
    stats = collection_stats(library, "Notes")
    assert stats.files == 2 and stats.indexed_at is None  # never fully indexed yet

    rest = index_collection(library, "Notes")
    assert not rest.cancelled and (rest.added, rest.unchanged) == (4, 2)
    assert collection_stats(library, "Notes").indexed_at is not None


def test_a_missing_source_keeps_its_passages(library: DocsLibrary, folder: Path,
                                             tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    write(drive / "far.txt", "Files on a drive that is sometimes unplugged.")
    library.add_sources("Notes", [drive])
    assert index_collection(library, "Notes").added == 7
    (drive / "far.txt").rename(tmp_path / "far.txt")
    drive.rmdir()
    report = index_collection(library, "Notes")
    assert report.removed == 0
    assert [(s.path, s.reason.split(";")[0]) for s in report.skipped] == [(drive, "not found")]
    assert collection_stats(library, "Notes").files == 7
    library.remove_source("Notes", drive)
    assert index_collection(library, "Notes").removed == 1


def test_damaged_index_is_rebuilt_by_indexing(library: DocsLibrary) -> None:
    index_collection(library, "Notes")
    path = library.index_file("Notes")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(DocsError, match=r"The index of 'Notes' is damaged; re-index it\."):
        collection_stats(library, "Notes")
    assert index_collection(library, "Notes").added == 6
    assert collection_stats(library, "Notes").files == 6


def test_never_indexed_collection_has_empty_stats(library: DocsLibrary) -> None:
    stats = collection_stats(library, "Notes")
    assert (stats.files, stats.chunks, stats.indexed_at) == (0, 0, None)


def test_file_sha256_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * (3 * 2**20 + 5))
    import hashlib
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_embedder_vectors_for_every_chunk_and_model_changes(library: DocsLibrary,
                                                           folder: Path) -> None:
    embedder = BagOfWordsEmbedder("bow-a")
    report = index_collection(library, "Notes", embedder=embedder)
    assert sum(embedder.calls) == report.chunks and max(embedder.calls) <= 32
    stats = collection_stats(library, "Notes")
    assert stats.embedding_model == "bow-a"
    with DocIndex.open(library.index_file("Notes"), "Notes") as index:
        assert len(index.vector_blobs("bow-a")[0]) == stats.chunks

    # Nothing changed: nothing embedded again.
    index_collection(library, "Notes", embedder=embedder)
    assert sum(embedder.calls) == report.chunks

    other = BagOfWordsEmbedder("bow-b", dimensions=16)
    again = index_collection(library, "Notes", embedder=other)
    assert again.unchanged == 6 and sum(other.calls) == stats.chunks
    assert collection_stats(library, "Notes").embedding_model == "bow-b"
    with DocIndex.open(library.index_file("Notes"), "Notes") as index:
        assert index.vector_blobs("bow-a")[0] == []


def test_keyword_only_run_then_embedder_fills_in(library: DocsLibrary) -> None:
    index_collection(library, "Notes")
    embedder = BagOfWordsEmbedder()
    report = index_collection(library, "Notes", embedder=embedder)
    stats = collection_stats(library, "Notes")
    assert report.unchanged == 6 and sum(embedder.calls) == stats.chunks


def test_cancel_during_embedding_then_resume(library: DocsLibrary, folder: Path) -> None:
    write(folder / "long.txt", "\n\n".join(f"Paragraph {n} " + "word " * 200
                                          for n in range(120)))
    cancel = threading.Event()

    class Cancelling(BagOfWordsEmbedder):
        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            if len(self.calls) == 2:
                cancel.set()
            return super().embed(texts)

    first = Cancelling()
    assert index_collection(library, "Notes", cancel=cancel, embedder=first).cancelled
    second = BagOfWordsEmbedder()
    index_collection(library, "Notes", embedder=second)
    stats = collection_stats(library, "Notes")
    assert first.calls == [32, 32, 32]  # cancel is seen between batches
    assert sum(first.calls) + sum(second.calls) == stats.chunks  # none embedded twice
    with DocIndex.open(library.index_file("Notes"), "Notes") as index:
        assert len(index.vector_blobs("bag-of-words")[0]) == stats.chunks


def test_a_failing_embedder_is_one_line_and_keeps_the_keyword_index(
        library: DocsLibrary) -> None:
    with pytest.raises(DocsError, match="The embedding model failed: the model fell over"):
        index_collection(library, "Notes", embedder=BagOfWordsEmbedder(fail_after=1))
    assert collection_stats(library, "Notes").files >= 1


def test_a_file_that_cannot_be_opened_is_tried_again_next_time(
        library: DocsLibrary, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openchat_desktop.core.docs import indexer

    locked = folder / "sub0" / "note2.txt"
    real_hash = indexer.file_sha256

    def refuse(path: Path) -> str:
        if path == locked:
            raise PermissionError(13, "Permission denied")
        return real_hash(path)

    monkeypatch.setattr(indexer, "file_sha256", refuse)
    report = index_collection(library, "Notes")
    assert [(s.path, s.reason) for s in report.skipped] == [
        (locked, "cannot be opened: Permission denied")]
    monkeypatch.setattr(indexer, "file_sha256", real_hash)  # the permission was fixed
    again = index_collection(library, "Notes")
    assert (again.updated, again.skipped) == (1, [])
    assert collection_stats(library, "Notes").files == 6


def test_a_file_name_that_is_not_utf8_is_listed_not_fatal(library: DocsLibrary,
                                                         folder: Path) -> None:
    raw = os.fsencode(folder) + b"/caf\xe9.txt"  # Latin-1 bytes: not UTF-8
    with open(raw, "wb") as handle:
        handle.write(b"old file name")
    report = index_collection(library, "Notes")
    assert report.added == 6
    assert [(s.path.name, s.reason) for s in report.skipped] == [
        ("caf\ufffd.txt", "its name is not valid UTF-8; rename it to index it")]
