"""Short background jobs (hashing, GGUF inspection, hub queries) off the GUI thread.

Modelled on Anki's ``taskman.run_in_background``: the task runs on a ``QThreadPool``; its
result or exception comes back to the thread that started it through one queued signal, so
``on_done`` and ``on_error`` may touch widgets. Failures without an ``on_error`` go to one
error path: the manager's notification bus, or ``sys.excepthook`` (which ``install_excepthooks``
routes to the bus) for the plain function.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from openchat_desktop.services.notifications import NotificationBus

T = TypeVar("T")
ErrorHandler = Callable[[BaseException], None]
log = logging.getLogger(__name__)
# Jobs whose callback has not run yet; holding them keeps their QObject (the queued signal's
# receiver) alive until the result has been delivered.
_in_flight: set[_Job] = set()


class _Job(QObject):
    """One task's trip to the pool and back. Signals: settled(object result, object error)."""

    settled = Signal(object, object)

    def __init__(self, task: Callable[[], Any], on_done: Callable[[Any], None],
                 on_error: ErrorHandler, on_settled: Callable[[], None] | None) -> None:
        super().__init__()
        self._task, self._on_done, self._on_error = task, on_done, on_error
        self._on_settled = on_settled
        # The job lives in the starting thread, so this connection is queued from the pool.
        self.settled.connect(self._on_job_settled)

    def run(self) -> None:
        """Called on a pool thread."""
        try:
            result = self._task()
        except Exception as exc:
            self.settled.emit(None, exc)
        else:
            self.settled.emit(result, None)

    @Slot(object, object)
    def _on_job_settled(self, result: Any, error: BaseException | None) -> None:
        _in_flight.discard(self)
        try:
            if error is None:
                self._on_done(result)
            else:
                self._on_error(error)
        finally:
            if self._on_settled is not None:
                self._on_settled()
            self.deleteLater()


def _to_excepthook(error: BaseException) -> None:
    sys.excepthook(type(error), error, error.__traceback__)


def run_in_background(task: Callable[[], T], on_done: Callable[[T], None],
                      on_error: ErrorHandler | None = None, *,
                      pool: QThreadPool | None = None,
                      _on_settled: Callable[[], None] | None = None) -> None:
    """Run ``task()`` on a pool thread, then ``on_done(result)`` on the calling thread.

    An exception goes to ``on_error`` (on the calling thread), else to ``sys.excepthook``.
    The calling thread must run a Qt event loop (the GUI thread does).
    """
    job = _Job(task, on_done, on_error or _to_excepthook, _on_settled)
    _in_flight.add(job)
    (pool or QThreadPool.globalInstance()).start(job.run)


class TaskManager(QObject):
    """Runs background jobs on its own pool; failures default to ``bus.error``.

    Signals:
        pending_changed(int): the number of jobs whose callback has not run yet.
    """

    pending_changed = Signal(int)

    def __init__(self, bus: NotificationBus | None = None, max_threads: int = 2,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    def run_in_background(self, task: Callable[[], T], on_done: Callable[[T], None],
                          on_error: ErrorHandler | None = None) -> None:
        """Like the module function, on this manager's pool and error path."""
        self._set_pending(self._pending + 1)
        run_in_background(task, on_done, on_error or self._report, pool=self._pool,
                          _on_settled=lambda: self._set_pending(self._pending - 1))

    def wait_for_done(self, timeout_ms: int = 5000) -> bool:
        """Block until the running tasks end (at quit); callbacks still need the event loop."""
        return bool(self._pool.waitForDone(timeout_ms))

    def _report(self, error: BaseException) -> None:
        if self._bus is not None:
            self._bus.report_exception(error)
        else:
            _to_excepthook(error)

    def _set_pending(self, count: int) -> None:
        self._pending = count
        self.pending_changed.emit(count)
