"""Model downloads for the GUI: the core ``DownloadQueue`` behind Qt signals.

Workers report from their own threads several times a second. The service keeps only the
latest report of each download and emits ``progress`` from a 500 ms timer on the GUI thread
(qutebrowser refreshes its download view at that rate), so a fast download never floods the
event loop. State changes travel through one queued signal, so they arrive in the order the
worker made them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from openchat_desktop.core.errors import HubError
from openchat_desktop.core.models.download_queue import DownloadQueue, QueueItem
from openchat_desktop.core.models.download_types import DownloadProgress, DownloadState, RetryPolicy
from openchat_desktop.core.models.downloader import DownloadJob
from openchat_desktop.core.models.library import download_target
from openchat_desktop.core.models.partial import discard_partial
from openchat_desktop.core.models.partial import resume_pending as pending_downloads
from openchat_desktop.services.download_jobs import HeldJob
from openchat_desktop.services.hub_access import HubClients
from openchat_desktop.services.notifications import NotificationBus
from openchat_desktop.services.settings_bridge import SettingsBridge

REFRESH_MS = 500
SHUTDOWN_WAIT_S = 5.0
_STILL = DownloadProgress(0, None, 0.0, None, DownloadState.QUEUED)
_OVER = (DownloadState.DONE, DownloadState.CANCELLED)


@dataclass(frozen=True)
class DownloadItem:
    """What the view shows of one download."""

    id: int
    repo: str
    filename: str
    target: Path
    state: str
    progress: DownloadProgress
    error: str

    @property
    def name(self) -> str:
        """The file name, without the folders some repositories keep their files in."""
        return PurePosixPath(self.filename).name


class DownloadService(QObject):
    """The app's downloads, controlled from the GUI thread; resumable across restarts.

    With a ``bus``, each download that ends in success or failure is also told there (a
    status-bar line), so the user hears of it with the Model Manager closed.

    Signals:
        added(int id): a download was queued, or found unfinished on disk.
        progress(int id, object progress): its ``DownloadProgress``, at most every 500 ms.
        state_changed(int id, str state): a ``DownloadState`` value ("paused", "done", …).
        finished(int id, str path): the file was verified and installed at ``path``.
        failed(int id, str message): the download stopped; ``message`` is one line.
    """

    added = Signal(int)
    progress = Signal(int, object)
    state_changed = Signal(int, str)
    finished = Signal(int, str)
    failed = Signal(int, str)
    _state_posted = Signal(int, str, str)  # worker threads -> GUI thread, always queued

    def __init__(self, settings: SettingsBridge, parent: QObject | None = None, *,
                 bus: NotificationBus | None = None, hub_clients: HubClients | None = None,
                 max_parallel: int = 1, refresh_ms: int = REFRESH_MS,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._clients = hub_clients or HubClients(settings)
        self._owns_clients = hub_clients is None
        self._retry = retry
        self._queue = DownloadQueue(max_parallel, listener=self._on_queue_report)
        self._lock = threading.Lock()  # guards _latest and _posted (worker threads write)
        self._latest: dict[int, DownloadProgress] = {}
        self._posted: dict[int, DownloadState] = {}
        self._shown: dict[int, str] = {}
        self._emitted: dict[int, DownloadProgress] = {}
        self._errors: dict[int, str] = {}
        self._discard: set[int] = set()
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self._on_refresh_timer_timeout)
        self._state_posted.connect(self._on_state_posted, Qt.ConnectionType.QueuedConnection)

    # -- commands (GUI thread) -------------------------------------------------------------
    def pull(self, repo: str, filename: str) -> int:
        """Queue ``repo``/``filename``; returns its id. Raises HubError with one line."""
        target = download_target(repo, filename)
        for item in self._queue.items():
            if item.job.target == target and item.state not in _OVER:
                self.resume(item.id)  # pulling it again continues the unfinished one
                return item.id
        if target.exists():
            raise HubError(f"{PurePosixPath(filename).name} is already installed")
        return self._add(DownloadJob(self._clients.current(), repo, filename, target,
                                     retry=self._retry))

    def resume_pending(self) -> list[int]:
        """List downloads left unfinished by an earlier run, as paused; returns their ids."""
        known = {item.job.target for item in self._queue.items() if item.state not in _OVER}
        ids = []
        for pending in pending_downloads():
            if pending.target in known or pending.target.exists():
                continue
            ids.append(self._add(HeldJob(self._clients.current(), pending, retry=self._retry)))
        return ids

    def pause(self, item_id: int) -> None:
        """Pause a queued or running download; its partial file is kept."""
        self._queue.pause(item_id)
        self._reconcile()

    def resume(self, item_id: int) -> None:
        """Continue a paused or failed download from its partial file."""
        item = self._item(item_id)
        if self._closed or item.thread is not None or \
                item.state not in (DownloadState.PAUSED, DownloadState.FAILED):
            return
        # Posted before the queue may start it, so "queued" never arrives after "starting".
        self._post(item_id, DownloadState.QUEUED, "")
        self._errors.pop(item_id, None)
        self._queue.resume(item_id)
        self._timer.start()

    def cancel(self, item_id: int, keep_partial: bool) -> None:
        """Stop a download for good; the partial file is deleted unless ``keep_partial``."""
        if not keep_partial:
            self._discard.add(item_id)
        self._queue.cancel(item_id)
        self._reconcile()

    def items(self) -> list[DownloadItem]:
        """Every download of this session, oldest first."""
        with self._lock:
            latest = dict(self._latest)
        return [DownloadItem(item.id, item.job.repo, item.job.filename, item.job.target,
                             self._shown.get(item.id, DownloadState.QUEUED.value),
                             latest.get(item.id, _STILL), self._errors.get(item.id, ""))
                for item in self._queue.items()]

    def active_count(self) -> int:
        """Downloads queued or transferring (what a "quit anyway?" prompt would mention)."""
        return sum(1 for item in self._queue.items()
                   if item.thread is not None or item.state is DownloadState.QUEUED)

    def shutdown(self, timeout: float = SHUTDOWN_WAIT_S) -> None:
        """Pause every download, keeping its partial file, and wait for the workers to end."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self._queue.shutdown(timeout)
        if self._owns_clients:
            self._clients.close()

    # -- internals -------------------------------------------------------------------------
    def _add(self, job: DownloadJob) -> int:
        if self._closed:
            raise HubError("Downloads are shutting down")
        item_id = self._queue.add(job)
        self.added.emit(item_id)
        self._timer.start()
        return item_id

    def _item(self, item_id: int) -> QueueItem:
        return next(item for item in self._queue.items() if item.id == item_id)

    def _on_queue_report(self, item: QueueItem, progress: DownloadProgress) -> None:
        """Called on a worker thread: keep the report, forward state changes at once."""
        with self._lock:
            self._latest[item.id] = progress
        self._post(item.id, progress.state, progress.message)

    def _post(self, item_id: int, state: DownloadState, message: str) -> None:
        with self._lock:
            if self._posted.get(item_id) is state:
                return
            self._posted[item_id] = state
            self._state_posted.emit(item_id, state.value, message)

    def _reconcile(self) -> None:
        """Post the states the queue sets without a report: paused or cancelled before
        starting, and failures from outside the downloader."""
        for item in self._queue.items():
            state = item.state  # read before ``thread``: the queue clears it last
            if item.thread is None and state.finished:
                self._post(item.id, state, item.error or "")

    @Slot(int, str, str)
    def _on_state_posted(self, item_id: int, state: str, message: str) -> None:
        if self._shown.get(item_id) == state:
            return
        self._shown[item_id] = state
        if DownloadState(state).finished:
            self._emit_progress(item_id)  # the last numbers, before the state says "done"
        if state == DownloadState.CANCELLED and item_id in self._discard:
            discard_partial(self._item(item_id).job.target)
        if state == DownloadState.FAILED:
            self._errors[item_id] = message or "The download failed"
        self.state_changed.emit(item_id, state)
        if state == DownloadState.DONE:
            self._tell(f"Downloaded {self._item(item_id).job.target.name}")
            self.finished.emit(item_id, str(self._item(item_id).job.target))
        elif state == DownloadState.FAILED:
            self._tell(f"{self._item(item_id).job.target.name} was not downloaded: "
                       f"{self._errors[item_id]}", warning=True)
            self.failed.emit(item_id, self._errors[item_id])

    def _tell(self, text: str, warning: bool = False) -> None:
        """Tell the user through the bus: the Model Manager may well be closed."""
        if self._bus is not None:
            (self._bus.show_warning if warning else self._bus.show_info)(text)

    @Slot()
    def _on_refresh_timer_timeout(self) -> None:
        self._reconcile()
        with self._lock:
            ids = list(self._latest)
        for item_id in ids:
            self._emit_progress(item_id)
        if not self.active_count():
            self._timer.stop()

    def _emit_progress(self, item_id: int) -> None:
        with self._lock:
            latest = self._latest.get(item_id)
        if latest is not None and latest != self._emitted.get(item_id):
            self._emitted[item_id] = latest
            self.progress.emit(item_id, latest)
