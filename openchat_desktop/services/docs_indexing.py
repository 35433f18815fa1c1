"""Indexing collections on a plain thread, one job at a time, cancellable.

Indexing a folder of thousands of files takes minutes, so it never runs on the GUI thread
or in the short-job pool (it would hold a pool thread that searches need). One thread runs
one job; jobs asked for meanwhile wait their turn in order. Each job has its own
``threading.Event``: cancelling sets it straight from the GUI thread, and the indexer checks
it between files. The indexer reports after every file; only one report per ``PROGRESS_S``
crosses to the GUI thread, so a folder of tiny files never floods the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal, Slot

from openchat_desktop.core.docs.types import IndexProgress, IndexReport, TextEmbedder
from openchat_desktop.core.errors import OpenChatError

log = logging.getLogger(__name__)
PROGRESS_S = 0.2
# What a job runs on its thread: (name, on_progress, cancel, embedder) -> report.
IndexRunner = Callable[[str, Callable[[IndexProgress], None], threading.Event,
                        "TextEmbedder | None"], IndexReport]
# Opens the embedding model for a job, on the job's thread; None means keyword search only.
EmbedderOpener = Callable[[], "TextEmbedder | None"]


@dataclass
class _Job:
    name: str
    embedder: EmbedderOpener
    cancel: threading.Event = field(default_factory=threading.Event)
    last_report: float = 0.0


class IndexingJobs(QObject):
    """The queue of indexing jobs and the one thread that runs them.

    Signals:
        started(str name): that collection's job began on the thread.
        progress(str name, object progress): its ``IndexProgress``, at most every 200 ms.
        ended(str name, object report, str error): the job ended: ``report`` (an
            ``IndexReport``, ``cancelled`` set when it was cancelled) and "" on success,
            else None and a one-line ``error``.
        embedder_failed(str message): the embedding model could not be opened; the job
            went on with keyword search only.
    """

    started = Signal(str)
    progress = Signal(str, object)
    ended = Signal(str, object, str)
    embedder_failed = Signal(str)
    # From the job's thread to the GUI thread; queued, so they arrive in the order sent.
    _started_posted = Signal(str)
    _progress_posted = Signal(str, object)
    _ended_posted = Signal(str, object, str)
    _embedder_failed_posted = Signal(str)

    def __init__(self, runner: IndexRunner, parent: QObject | None = None,
                 progress_s: float = PROGRESS_S) -> None:
        super().__init__(parent)
        self._runner, self._progress_s = runner, progress_s
        self._waiting: deque[_Job] = deque()
        self._running: _Job | None = None
        self._thread: threading.Thread | None = None
        self._closed = False  # after shutdown: nothing more is said (the app is going)
        queued = Qt.ConnectionType.QueuedConnection
        self._started_posted.connect(self._on_job_started, queued)
        self._progress_posted.connect(self._on_job_progress, queued)
        self._ended_posted.connect(self._on_job_ended, queued)
        self._embedder_failed_posted.connect(self._on_job_embedder_failed, queued)

    @property
    def running(self) -> str | None:
        """The collection being indexed now, if any."""
        return self._running.name if self._running is not None else None

    def is_busy(self, name: str) -> bool:
        """Whether ``name`` is being indexed or waits its turn."""
        return self.running == name or any(job.name == name for job in self._waiting)

    def submit(self, name: str, embedder: EmbedderOpener) -> None:
        """Index ``name`` after the jobs before it. A job already waiting is not doubled;
        a running one is queued once more, so files added meanwhile are read too."""
        if any(job.name == name for job in self._waiting):
            return
        self._waiting.append(_Job(name, embedder))
        self._start_next()

    def cancel(self, name: str) -> bool:
        """Stop ``name``'s job (its ``ended`` follows with a cancelled report); False when
        it had none."""
        found = False
        for job in [job for job in self._waiting if job.name == name]:
            self._waiting.remove(job)
            self.ended.emit(name, IndexReport(cancelled=True), "")
            found = True
        if self._running is not None and self._running.name == name:
            self._running.cancel.set()
            found = True
        return found

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Drop waiting jobs, cancel the running one and wait for its thread (at quit).
        Returns False when the thread did not end in time (it is a daemon thread). No
        signal follows: what listens may already be closed."""
        self._closed = True
        self._waiting.clear()
        if self._running is not None:
            self._running.cancel.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True

    def _start_next(self) -> None:
        if self._closed or self._running is not None or not self._waiting:
            return
        job = self._running = self._waiting.popleft()
        self._thread = threading.Thread(target=self._run, args=(job,), daemon=True,
                                        name=f"docs-index-{job.name}")
        self._thread.start()

    def _run(self, job: _Job) -> None:
        """On the job's thread: open the embedder, index, report how it ended."""
        self._started_posted.emit(job.name)
        embedder = self._open_embedder(job)
        try:
            report = self._runner(job.name, lambda p: self._report(job, p), job.cancel,
                                  embedder)
        except OpenChatError as exc:
            self._ended_posted.emit(job.name, None, str(exc))
        except Exception as exc:  # a bug must end the job, never the thread silently
            log.exception("indexing %s failed", job.name)
            self._ended_posted.emit(job.name, None, f"Indexing stopped: {exc}")
        else:
            self._ended_posted.emit(job.name, report, "")

    def _open_embedder(self, job: _Job) -> TextEmbedder | None:
        try:
            return job.embedder()
        except Exception as exc:  # the index still gets its keyword search
            log.warning("embedding model not opened: %s", exc)
            self._embedder_failed_posted.emit(str(exc))
            return None

    def _report(self, job: _Job, progress: IndexProgress) -> None:
        now = time.monotonic()
        if now - job.last_report >= self._progress_s:
            job.last_report = now
            self._progress_posted.emit(job.name, progress)

    @Slot(str)
    def _on_job_started(self, name: str) -> None:
        if not self._closed:
            self.started.emit(name)

    @Slot(str)
    def _on_job_embedder_failed(self, message: str) -> None:
        if not self._closed:
            self.embedder_failed.emit(message)

    @Slot(str, object)
    def _on_job_progress(self, name: str, progress: IndexProgress) -> None:
        if not self._closed and self._running is not None and self._running.name == name:
            self.progress.emit(name, progress)

    @Slot(str, object, str)
    def _on_job_ended(self, name: str, report: IndexReport | None, error: str) -> None:
        if self._thread is not None:
            self._thread.join(1.0)  # it is past its last statement
        self._running, self._thread = None, None
        if self._closed:
            return
        self.ended.emit(name, report, error)
        self._start_next()
