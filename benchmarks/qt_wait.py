"""Waiting in a benchmark without stealing a core from llama.cpp."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer


def wait_until(condition: Callable[[], bool], timeout_s: float) -> None:
    """Run the event loop until ``condition()`` holds or ``timeout_s`` passes, sleeping while
    there is nothing to do.

    A loop of non-blocking ``processEvents`` calls would keep one core busy; on a 2-core
    machine that starves llama.cpp's OpenMP threads and triples generation time.
    """
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    timer = QTimer()
    timer.setInterval(min(100, max(1, int(timeout_s * 1000))))
    timer.start()  # wakes the blocking wait below to look at the condition and the clock
    while not condition() and time.perf_counter() < deadline:
        loop.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    timer.stop()
