"""One rule for the window tests: a Qt warning logged during a test fails it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QtMsgType

# The offscreen platform cannot resize or raise native windows and says so ("This plugin does
# not support raise()"); those are not warnings about the app.
QT_NOISE = ("This plugin does not support",)
_BAD = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)


def assert_no_qt_warnings(qtlog: Any) -> None:
    """Fail when pytest-qt's ``qtlog`` recorded a warning that is not offscreen noise."""
    bad = [r.message for r in qtlog.records
           if r.type in _BAD and not any(noise in r.message for noise in QT_NOISE)]
    assert not bad, f"Qt warnings: {bad}"
