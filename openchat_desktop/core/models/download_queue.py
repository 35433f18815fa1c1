"""A queue of downloads run a few at a time on plain threads (the GUI wraps it in a QObject).

Each job gets its own pause and cancel events. The listener is called from worker threads
with ``(item, progress)``; it must be quick and thread-safe (a Qt signal emit is both).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.models.download_types import DownloadProgress, DownloadState
from openchat_desktop.core.models.downloader import DownloadJob


@dataclass
class QueueItem:
    """A job in the queue, with its controls and last known state."""

    id: int
    job: DownloadJob
    state: DownloadState = DownloadState.QUEUED
    error: str | None = None
    pause_event: threading.Event = field(default_factory=threading.Event)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


Listener = Callable[[QueueItem, DownloadProgress], None]


class DownloadQueue:
    """Runs queued ``DownloadJob``s, at most ``max_parallel`` at once, in arrival order."""

    def __init__(self, max_parallel: int = 1, listener: Listener | None = None) -> None:
        self.max_parallel = max(1, max_parallel)
        self.listener = listener
        self._items: dict[int, QueueItem] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def add(self, job: DownloadJob) -> int:
        """Queue ``job``; returns its id. It starts as soon as a slot is free."""
        with self._lock:
            item = QueueItem(next(self._ids), job)
            self._items[item.id] = item
            self._pump()
        return item.id

    def items(self) -> list[QueueItem]:
        """Every job ever added, oldest first."""
        with self._lock:
            return list(self._items.values())

    def pause(self, item_id: int) -> None:
        """Pause a running or queued job; its partial file is kept."""
        with self._lock:
            item = self._items[item_id]
            item.pause_event.set()
            if item.thread is None and not item.state.finished:
                item.state = DownloadState.PAUSED
                self._changed.notify_all()

    def resume(self, item_id: int) -> None:
        """Queue a paused (or failed) job again; it continues from its partial file."""
        with self._lock:
            item = self._items[item_id]
            if item.thread is None and item.state in (DownloadState.PAUSED,
                                                      DownloadState.FAILED):
                item.pause_event.clear()
                item.state, item.error = DownloadState.QUEUED, None
                self._pump()

    def cancel(self, item_id: int) -> None:
        """Stop a job for good (its partial file stays until ``discard_partial``)."""
        with self._lock:
            item = self._items[item_id]
            item.cancel_event.set()
            if item.thread is None and item.state is not DownloadState.DONE:
                item.state = DownloadState.CANCELLED
                self._changed.notify_all()

    def shutdown(self, timeout: float | None = None) -> None:
        """Pause every job (so each resumes next time) and wait for the threads to end."""
        with self._lock:
            for item in self._items.values():
                item.pause_event.set()
                if item.thread is None and item.state is DownloadState.QUEUED:
                    item.state = DownloadState.PAUSED
            threads = [item.thread for item in self._items.values() if item.thread]
        for thread in threads:
            thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running; False if ``timeout`` ran out first."""
        with self._lock:
            return self._changed.wait_for(self._idle, timeout)

    def _idle(self) -> bool:
        return all(item.thread is None and item.state is not DownloadState.QUEUED
                   for item in self._items.values())

    def _pump(self) -> None:
        """Start queued jobs while slots are free. Caller holds the lock."""
        running = sum(1 for item in self._items.values() if item.thread is not None)
        for item in self._items.values():
            if running >= self.max_parallel:
                break
            if item.thread is None and item.state is DownloadState.QUEUED:
                item.state = DownloadState.STARTING
                item.thread = threading.Thread(target=self._work, args=(item,), daemon=True,
                                               name=f"download-{item.id}")
                item.thread.start()
                running += 1

    def _work(self, item: QueueItem) -> None:
        def report(progress: DownloadProgress) -> None:
            item.state = progress.state
            if self.listener is not None:
                self.listener(item, progress)

        try:
            state, error = item.job.run(report, item.pause_event, item.cancel_event), None
        except OpenChatError as exc:
            state, error = DownloadState.FAILED, str(exc)
        except Exception as exc:  # a bug must not leave the queue stuck with a dead slot
            state, error = DownloadState.FAILED, f"Download failed unexpectedly: {exc}"
        with self._lock:
            item.state, item.error, item.thread = state, error, None
            self._pump()
            self._changed.notify_all()
