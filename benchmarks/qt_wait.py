"""Waiting in a benchmark without stealing a core from llama.cpp."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer


def wait_until(condition: Callable[[], bool], timeout_s: float) -> None:
    """Run an event loop, as the app's own, until ``condition()`` holds or ``timeout_s``
    passes.

    A loop of non-blocking ``processEvents`` calls would keep one core busy (on a 2-core
    machine that starves llama.cpp's OpenMP threads and triples generation time), and
    ``processEvents`` outside a running loop never deletes what ``deleteLater`` was asked to,
    so widgets would pile up as they never do in the app.
    """
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s

    def look() -> None:
        if condition() or time.perf_counter() >= deadline:
            loop.quit()

    timer = QTimer()
    timer.setInterval(min(10, max(1, int(timeout_s * 1000))))
    timer.timeout.connect(look)
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
