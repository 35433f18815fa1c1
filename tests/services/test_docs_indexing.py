"""IndexingJobs: one job at a time on a plain thread, queued in order, cancellable, and
progress that reaches the GUI thread at most every 200 ms."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from openchat_desktop.core.docs.types import DocsError, IndexProgress, IndexReport, TextEmbedder
from openchat_desktop.services.docs_indexing import IndexingJobs

Reporter = Callable[[IndexProgress], None]


def no_embedder() -> TextEmbedder | None:
    return None


def progress(done: int, total: int = 1000) -> IndexProgress:
    return IndexProgress(done, total, done, total, 0.1, Path(f"f{done}.txt"))


class ScriptedRunner:
    """Indexes nothing: reports ``files`` files ``delay_s`` apart, honouring cancel."""

    def __init__(self, files: int = 3, delay_s: float = 0.0) -> None:
        self.files, self.delay_s = files, delay_s
        self.threads: list[str] = []
        self.order: list[str] = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, name: str, report: Reporter, cancel: threading.Event,
                 embedder: TextEmbedder | None) -> IndexReport:
        self.threads.append(threading.current_thread().name)
        self.order.append(name)
        self.gate.wait(5)
        for done in range(1, self.files + 1):
            if cancel.is_set():
                return IndexReport(added=done - 1, cancelled=True)
            report(progress(done, self.files))
            time.sleep(self.delay_s)
        return IndexReport(added=self.files)


def test_a_job_runs_on_its_own_thread_and_ends_with_its_report(qtbot: QtBot) -> None:
    runner = ScriptedRunner(files=3)
    jobs = IndexingJobs(runner)
    ended: list[tuple[str, IndexReport, str]] = []
    jobs.ended.connect(lambda *args: ended.append(args))
    with qtbot.waitSignals([jobs.started, jobs.ended], order="strict", timeout=5000):
        jobs.submit("notes", no_embedder)
        assert jobs.is_busy("notes") and jobs.running == "notes"
    [(name, report, error)] = ended
    assert (name, report.added, error) == ("notes", 3, "")
    assert runner.threads[0].startswith("docs-index") and runner.threads[0] != "MainThread"
    assert not jobs.is_busy("notes") and jobs.running is None


def test_progress_reaches_the_gui_thread_at_most_every_200_ms(qtbot: QtBot) -> None:
    runner = ScriptedRunner(files=400, delay_s=0.001)  # about half a second of reports
    jobs = IndexingJobs(runner)
    seen: list[IndexProgress] = []
    jobs.progress.connect(lambda _name, p: seen.append(p))
    started = time.monotonic()
    with qtbot.waitSignal(jobs.ended, timeout=10_000):
        jobs.submit("big", no_embedder)
    elapsed = time.monotonic() - started
    assert 1 <= len(seen) <= elapsed / 0.2 + 1
    assert seen[0].files_done == 1  # the first report goes out at once


def test_jobs_wait_their_turn_in_order_and_are_not_doubled(qtbot: QtBot) -> None:
    runner = ScriptedRunner(files=1)
    runner.gate.clear()
    jobs = IndexingJobs(runner)
    ended: list[str] = []
    jobs.ended.connect(lambda name, _r, _e: ended.append(name))
    jobs.submit("a", no_embedder)
    jobs.submit("b", no_embedder)
    jobs.submit("b", no_embedder)
    jobs.submit("c", no_embedder)
    assert jobs.running == "a" and jobs.is_busy("c")
    runner.gate.set()
    qtbot.waitUntil(lambda: len(ended) == 3, timeout=5000)
    assert ended == ["a", "b", "c"] == runner.order


def test_cancel_stops_the_running_job_and_drops_a_waiting_one(qtbot: QtBot) -> None:
    runner = ScriptedRunner(files=1000, delay_s=0.005)
    jobs = IndexingJobs(runner)
    reports: dict[str, IndexReport] = {}
    jobs.ended.connect(lambda name, report, _e: reports.__setitem__(name, report))
    with qtbot.waitSignal(jobs.progress, timeout=5000):
        jobs.submit("long", no_embedder)
    jobs.submit("next", no_embedder)
    assert jobs.cancel("next") and reports["next"].cancelled  # at once: it never ran
    assert jobs.cancel("long")
    qtbot.waitUntil(lambda: "long" in reports, timeout=5000)
    assert reports["long"].cancelled and reports["long"].added < 1000
    assert runner.order == ["long"]
    assert not jobs.cancel("long")  # nothing left to cancel


def test_an_error_ends_the_job_with_one_line_and_the_next_one_runs(qtbot: QtBot) -> None:
    def runner(name: str, report: Reporter, cancel: threading.Event,
               embedder: TextEmbedder | None) -> IndexReport:
        if name == "broken":
            raise DocsError("The index of 'broken' is damaged.")
        if name == "buggy":
            raise ValueError("unexpected")
        return IndexReport(added=1)

    jobs = IndexingJobs(runner)
    ended: list[tuple[str, object, str]] = []
    jobs.ended.connect(lambda *args: ended.append(args))
    for name in ("broken", "buggy", "fine"):
        jobs.submit(name, no_embedder)
    qtbot.waitUntil(lambda: len(ended) == 3, timeout=5000)
    assert ended[0] == ("broken", None, "The index of 'broken' is damaged.")
    assert ended[1][1] is None and ended[1][2] == "Indexing stopped: unexpected"
    assert ended[2][0] == "fine" and isinstance(ended[2][1], IndexReport)


def test_an_embedder_that_cannot_open_leaves_keyword_indexing(qtbot: QtBot) -> None:
    got: list[TextEmbedder | None] = []

    def runner(name: str, report: Reporter, cancel: threading.Event,
               embedder: TextEmbedder | None) -> IndexReport:
        got.append(embedder)
        return IndexReport(added=1)

    def broken_embedder() -> TextEmbedder | None:
        raise DocsError("no such embedding model: nomic.gguf")

    jobs = IndexingJobs(runner)
    told: list[str] = []
    jobs.embedder_failed.connect(told.append)
    with qtbot.waitSignals([jobs.embedder_failed, jobs.ended], timeout=5000):
        jobs.submit("notes", broken_embedder)
    assert told == ["no such embedding model: nomic.gguf"]
    assert got == [None]


def test_shutdown_cancels_and_waits_for_the_thread(qtbot: QtBot) -> None:
    runner = ScriptedRunner(files=100_000, delay_s=0.001)
    jobs = IndexingJobs(runner)
    with qtbot.waitSignal(jobs.progress, timeout=5000):
        jobs.submit("huge", no_embedder)
    jobs.submit("later", no_embedder)
    assert jobs.shutdown(5.0)
    assert runner.order == ["huge"]


def test_nothing_is_said_after_shutdown(qtbot: QtBot) -> None:
    runner = ScriptedRunner(files=100_000, delay_s=0.001)
    jobs = IndexingJobs(runner)
    said: list[str] = []
    for signal in (jobs.started, jobs.progress, jobs.ended, jobs.embedder_failed):
        signal.connect(lambda *args: said.append(str(args)))
    with qtbot.waitSignal(jobs.progress, timeout=5000):
        jobs.submit("huge", no_embedder)
    said.clear()
    assert jobs.shutdown(5.0)
    qtbot.wait(50)  # the job's last words were posted; they are dropped
    assert said == []
