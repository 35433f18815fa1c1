"""Fixtures of the reliability suite: real apps (context + main window, offscreen) on any
engine factory, closed in order after each test; a Qt warning logged during a test fails it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from qt_warnings import assert_no_qt_warnings
from reliability_helpers import RealApp

from openchat_desktop.app import build_context
from openchat_desktop.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def no_qt_warnings(qtlog: Any) -> Iterator[None]:
    yield
    assert_no_qt_warnings(qtlog)


@pytest.fixture
def no_blocking_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Error dialogs are recorded instead of shown; the list gets each one's message."""
    shown: list[str] = []
    monkeypatch.setattr("openchat_desktop.ui.error_dialog.ErrorDialog.open",
                        lambda self: shown.append(self.message))
    return shown


@pytest.fixture
def make_real_app(qtbot: QtBot) -> Iterator[Callable[..., RealApp]]:
    apps: list[RealApp] = []

    def make(factory: Any = None) -> RealApp:
        ctx = build_context(engine_factory=factory)
        window = MainWindow(ctx)
        window.resize(1000, 700)
        window.show()
        app = RealApp(ctx, window)
        apps.append(app)
        return app

    yield make
    for app in reversed(apps):
        app.close()
    qtbot.wait(10)
