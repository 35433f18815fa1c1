"""Guards against a Qt binding release that would crash the app after many streamed tokens."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    ping = Signal()


def test_signal_emit_keeps_reference_counts() -> None:
    # PySide6-Essentials 6.12.0 (Python < 3.12) drops a reference to True on every emit, and
    # after a few thousand tokens Python aborts with "bool_dealloc"; pyproject excludes it.
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(64):
        probe.ping.emit()
    assert sys.getrefcount(True) >= before
