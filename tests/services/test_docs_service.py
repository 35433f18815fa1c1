"""DocsService over the real core/docs indexer and search, with its indexing thread:
background indexing with progress, cancel, remove, the queue, skipped files, searching,
the shared embedding model and a conversation's dropped files."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.types import DocsError, IndexProgress, IndexReport, Source
from openchat_desktop.core.store.records import Message
from openchat_desktop.services import docs as docs_module
from openchat_desktop.services.docs import (
    DocsService,
    chat_files_conversation,
    chat_files_name,
    message_sources,
)
from openchat_desktop.services.docs_embedding import SharedEmbedder
from openchat_desktop.services.settings_bridge import SettingsBridge

ServiceMaker = Callable[..., DocsService]
TOPICS = ("apple orchards", "river bridges", "violin making", "tide pools", "glass blowing")


def write_notes(folder: Path, count: int = 5) -> Path:
    """``count`` Markdown notes, each about its own topic, with a heading."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        topic = TOPICS[index % len(TOPICS)]
        (folder / f"note{index:03}.md").write_text(
            f"# Note {index} on {topic}\n\nThis note is about {topic}. " * 3
            + f"Its secret word is zebra{index}.\n", encoding="utf-8")
    return folder


class CountingEmbedder:
    """A TextEmbedder of 8 dimensions whose vectors depend on the letters of the text."""

    model_id = "counting-8"
    dimensions = 8

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.closed = False

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append((threading.current_thread().name, len(texts)))
        vectors = []
        for text in texts:
            raw = [float(sum(1 for c in text.lower() if ord(c) % 8 == i)) + 1.0
                   for i in range(8)]
            norm = sum(v * v for v in raw) ** 0.5
            vectors.append([v / norm for v in raw])
        return vectors

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def make_docs(qtbot: QtBot, tmp_path: Path, bridge: SettingsBridge) -> Iterator[ServiceMaker]:
    services: list[DocsService] = []

    def make(**options: Any) -> DocsService:
        services.append(DocsService(DocsLibrary(tmp_path / "docs"), bridge, **options))
        return services[-1]

    yield make
    for service in services:
        service.shutdown()


def index_and_wait(qtbot: QtBot, docs: DocsService, name: str,
                   paths: Sequence[Path]) -> IndexReport:
    with qtbot.waitSignal(docs.finished, timeout=20_000) as finished:
        docs.create(name, paths)
    assert finished.args is not None and finished.args[0] == name
    report = finished.args[1]
    assert isinstance(report, IndexReport)
    return report


def test_create_indexes_in_the_background_with_progress(
        qtbot: QtBot, make_docs: ServiceMaker, tmp_path: Path) -> None:
    docs = make_docs()
    folder = write_notes(tmp_path / "notes", 20)
    progress: list[IndexProgress] = []
    docs.progress.connect(lambda name, p: progress.append(p) if name == "Notes" else None)
    changed: list[int] = []
    docs.collections_changed.connect(lambda: changed.append(1))
    with qtbot.waitSignal(docs.finished, timeout=20_000) as finished:
        assert docs.create("Notes", [folder]) == "Notes"
        assert docs.is_indexing("Notes")  # create returned before indexing ended
        [summary] = docs.collections()
        assert summary.name == "Notes" and summary.indexing
    report = finished.args[1]
    assert (report.added, report.cancelled, report.skipped) == (20, False, [])
    assert progress and progress[0].files_total == 20
    assert not docs.is_indexing("Notes") and len(changed) >= 2  # created, then indexed
    [summary] = docs.collections()
    assert (summary.stats.files, summary.indexing, summary.chat_files) == (20, False, False)
    assert summary.stats.chunks >= 20 and summary.stats.indexed_at is not None
    assert summary.sources == (folder.resolve(),)


def test_search_finds_the_passage_with_its_file(qtbot: QtBot, make_docs: ServiceMaker,
                                                tmp_path: Path) -> None:
    docs = make_docs()
    index_and_wait(qtbot, docs, "Notes", [write_notes(tmp_path / "notes")])
    [best, *_] = docs.search(["Notes"], "zebra3", k=3)
    assert best.path.name == "note003.md" and "zebra3" in best.text
    found: list[Any] = []
    docs.search_in_background(["Notes"], "violin making", 2, found.append, found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=5000)
    assert [p.path.name for p in found[0]] and all("violin" in p.text for p in found[0])


def test_bad_input_raises_one_line(make_docs: ServiceMaker, tmp_path: Path) -> None:
    docs = make_docs()
    with pytest.raises(DocsError, match="No such file or folder"):
        docs.create("Notes", [tmp_path / "missing"])
    with pytest.raises(DocsError, match="needs a name"):
        docs.create("  ", [tmp_path])
    with pytest.raises(DocsError, match="No collection named"):
        docs.reindex("Nothing")
    assert docs.collections() == []


def test_cancel_stops_indexing_and_keeps_what_was_done(
        qtbot: QtBot, make_docs: ServiceMaker, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    gate, first_file = threading.Event(), threading.Event()
    real = docs_module.index_collection

    def held(library: DocsLibrary, name: str, **options: Any) -> IndexReport:
        report_progress = options["on_progress"]

        def on_progress(progress: IndexProgress) -> None:
            if progress.files_done >= 1:
                first_file.set()
                gate.wait(5)  # the test cancels here, a few files in
            report_progress(progress)

        return real(library, name, **{**options, "on_progress": on_progress})

    monkeypatch.setattr(docs_module, "index_collection", held)
    docs = make_docs()
    folder = write_notes(tmp_path / "notes", 50)
    docs.create("Notes", [folder])
    assert first_file.wait(10)
    with qtbot.waitSignal(docs.finished, timeout=10_000) as finished:
        docs.cancel("Notes")
        gate.set()
    report = finished.args[1]
    assert report.cancelled and 1 <= report.added < 50
    assert docs.collections()[0].stats.files == report.added  # what was done stays
    with qtbot.waitSignal(docs.finished, timeout=20_000) as again:
        docs.reindex("Notes")  # carries on where it stopped
    assert again.args[1].added == 50 - report.added


def test_remove_deletes_the_index(qtbot: QtBot, make_docs: ServiceMaker,
                                  tmp_path: Path) -> None:
    docs = make_docs()
    folder = write_notes(tmp_path / "notes")
    index_and_wait(qtbot, docs, "Notes", [folder])
    index_file = docs.library.index_file("Notes")
    assert index_file.is_file()
    with qtbot.waitSignal(docs.collections_changed, timeout=1000):
        docs.remove("Notes")
    assert not index_file.exists() and docs.collections() == [] and not docs.exists("Notes")
    assert len(list(folder.iterdir())) == 5  # the user's files stay


def test_remove_while_indexing_hides_it_at_once_and_deletes_it_after(
        qtbot: QtBot, make_docs: ServiceMaker, tmp_path: Path) -> None:
    docs = make_docs()
    docs.create("Notes", [write_notes(tmp_path / "notes", 200)])
    docs.remove("Notes")
    assert docs.collections() == [] and not docs.exists("Notes")
    qtbot.waitUntil(lambda: not docs.is_indexing("Notes"), timeout=10_000)
    assert docs.library.list() == []
    assert [p for p in (tmp_path / "docs").iterdir() if p.suffix == ".sqlite3"] == []


def test_jobs_queue_one_after_another(qtbot: QtBot, make_docs: ServiceMaker,
                                      tmp_path: Path) -> None:
    docs = make_docs()
    ended: list[str] = []
    docs.finished.connect(lambda name, _report: ended.append(name))
    docs.create("A", [write_notes(tmp_path / "a", 30)])
    docs.create("B", [write_notes(tmp_path / "b", 3)])
    assert docs.is_indexing("A") and docs.is_indexing("B")
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=20_000)
    assert ended == ["A", "B"]


def test_unreadable_files_are_skipped_with_their_reason(
        qtbot: QtBot, make_docs: ServiceMaker, tmp_path: Path) -> None:
    docs = make_docs()
    folder = write_notes(tmp_path / "notes", 2)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 64)
    report = index_and_wait(qtbot, docs, "Notes", [folder])
    assert report.added == 2
    skipped = {s.path.name: s.reason for s in docs.skipped("Notes")}
    assert set(skipped) == {"broken.docx", "blob.txt"} and all(skipped.values())


def test_reindex_reads_only_changed_files(qtbot: QtBot, make_docs: ServiceMaker,
                                          tmp_path: Path) -> None:
    docs = make_docs()
    folder = write_notes(tmp_path / "notes")
    index_and_wait(qtbot, docs, "Notes", [folder])
    (folder / "note001.md").write_text("# Changed\n\nNow about kiwi fruit.\n", encoding="utf-8")
    (folder / "note002.md").unlink()
    with qtbot.waitSignal(docs.finished, timeout=20_000) as finished:
        docs.reindex_changed_on_start()
    report = finished.args[1]
    assert (report.updated, report.removed, report.unchanged, report.added) == (1, 1, 3, 0)
    assert docs.search(["Notes"], "kiwi", k=1)[0].path.name == "note001.md"


def test_the_embedder_opens_on_the_indexing_thread_and_serves_searches(
        qtbot: QtBot, make_docs: ServiceMaker, bridge: SettingsBridge,
        tmp_path: Path) -> None:
    model = CountingEmbedder()
    opened: list[tuple[str, str]] = []

    def opener(name: str, extra_dirs: Sequence[str]) -> CountingEmbedder:
        opened.append((name, threading.current_thread().name))
        return model

    bridge.set("docs.embedding_model", "counting.gguf")
    docs = make_docs(embedder=SharedEmbedder(opener))
    index_and_wait(qtbot, docs, "Notes", [write_notes(tmp_path / "notes")])
    assert opened == [("counting.gguf", opened[0][1])]
    assert opened[0][1].startswith("docs-index")  # never the GUI thread
    assert model.calls and all(t.startswith("docs-index") for t, _ in model.calls)
    assert docs.collections()[0].stats.embedding_model == "counting-8"
    assert docs.search(["Notes"], "zebra2", k=2)  # keyword and vector ranks fused
    assert len(opened) == 1  # the search reused the open model
    docs.shutdown()
    assert model.closed


def test_an_embedding_model_that_cannot_open_leaves_keyword_search(
        qtbot: QtBot, make_docs: ServiceMaker, bridge: SettingsBridge,
        tmp_path: Path) -> None:
    def opener(name: str, extra_dirs: Sequence[str]) -> None:
        raise DocsError("The embedding model missing.gguf is not installed")

    bridge.set("docs.embedding_model", "missing.gguf")
    docs = make_docs(embedder=SharedEmbedder(opener))
    notices: list[str] = []
    docs.notice.connect(notices.append)
    index_and_wait(qtbot, docs, "Notes", [write_notes(tmp_path / "notes")])
    assert len(notices) == 1 and "missing.gguf is not installed" in notices[0]
    assert "keywords only" in notices[0]
    assert docs.search(["Notes"], "zebra4", k=1)[0].path.name == "note004.md"


def test_dropped_files_make_a_hidden_collection_of_the_conversation(
        qtbot: QtBot, make_docs: ServiceMaker, tmp_path: Path) -> None:
    docs = make_docs()
    folder = write_notes(tmp_path / "notes", 3)
    with qtbot.waitSignal(docs.finished, timeout=20_000):
        name = docs.attach_files(7, [folder / "note000.md"])
    assert name == chat_files_name(7) == "Chat files #7" and chat_files_conversation(name) == 7
    with qtbot.waitSignal(docs.finished, timeout=20_000):
        assert docs.attach_files(7, [folder / "note001.md"]) == name  # extended
    assert docs.collections() == []  # not in the main list
    [summary] = docs.collections(include_chat_files=True)
    assert summary.chat_files and summary.conversation == 7 and summary.stats.files == 2
    assert chat_files_conversation("Chat files #7 copy") is None


def test_start_up_removes_dropped_files_of_conversations_gone_for_good(
        qtbot: QtBot, make_docs: ServiceMaker, tmp_path: Path) -> None:
    live = {1}
    docs = make_docs(live_conversations=lambda: live)
    folder = write_notes(tmp_path / "notes", 2)
    for conv_id in (1, 2):
        with qtbot.waitSignal(docs.finished, timeout=20_000):
            docs.attach_files(conv_id, [folder])
    gone_index = docs.library.index_file(chat_files_name(2))
    with qtbot.waitSignal(docs.finished, timeout=20_000):
        docs.reindex_changed_on_start()
    assert [c.name for c in docs.collections(include_chat_files=True)] == ["Chat files #1"]
    assert not gone_index.exists()


def test_message_sources_reads_a_replys_meta() -> None:
    source = Source(1, Path("/docs/a.pdf"), "A", "p. 2", "text", chunk_id=4, page=2)
    meta = {"sources": [source.to_dict(), {"bad": 1}, "junk"]}
    message = Message(1, 1, None, "assistant", "See [1].", "complete", meta, 0.0)
    assert message_sources(message) == [source]
    assert message_sources(Message(2, 1, None, "assistant", "", "complete", {}, 0.0)) == []


def test_the_app_holds_the_service_and_stops_indexing_at_quit(
        qtbot: QtBot, make_app: Any, tmp_path: Path) -> None:
    app = make_app()
    docs = app.ctx.docs
    assert docs.library.root == app.ctx.paths.docs_dir
    docs.create("Notes", [write_notes(tmp_path / "notes", 300)])
    assert docs.is_indexing("Notes")
    app.close()  # cancels the job and waits for its thread
    assert not [t for t in threading.enumerate() if t.name.startswith("docs-index")]
    assert docs.library.get("Notes")  # a cancelled index is kept, to carry on next time


def test_choosing_an_embedding_model_embeds_every_collection(
        qtbot: QtBot, make_docs: ServiceMaker, bridge: SettingsBridge,
        tmp_path: Path) -> None:
    model = CountingEmbedder()
    docs = make_docs(embedder=SharedEmbedder(lambda name, dirs: model))
    index_and_wait(qtbot, docs, "Notes", [write_notes(tmp_path / "notes")])
    assert docs.collections()[0].stats.embedding_model is None and not model.calls
    with qtbot.waitSignal(docs.finished, timeout=20_000) as finished:
        bridge.set("docs.embedding_model", "counting.gguf")
    assert finished.args is not None and finished.args[1].unchanged == 5  # no file re-read
    assert docs.collections()[0].stats.embedding_model == "counting-8" and model.calls


def test_a_real_embedding_gguf_indexes_and_answers_through_the_service(
        qtbot: QtBot, make_docs: ServiceMaker, bridge: SettingsBridge, tmp_path: Path,
        tiny_embedding_gguf: Path) -> None:
    # llama.cpp over a random-weight model: the plumbing (open on the indexing thread, store
    # vectors of its id, embed the question on another thread), not the quality.
    bridge.set("docs.embedding_model", str(tiny_embedding_gguf))
    docs = make_docs()
    notices: list[str] = []
    docs.notice.connect(notices.append)
    index_and_wait(qtbot, docs, "Notes", [write_notes(tmp_path / "notes")])
    stats = docs.collections()[0].stats
    assert notices == [] and stats.embedding_model and "tiny-embed" in stats.embedding_model
    found: list[Any] = []
    docs.search_in_background(["Notes"], "zebra1", 3, found.append, found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=10_000)
    assert isinstance(found[0], list) and found[0][0].path.name == "note001.md"
