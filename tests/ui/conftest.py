"""Fixtures for the window: a whole app (context + main window) over a scripted fake engine.

Every window is closed and every context closed (worker thread ended, files shut) after the
test, and a Qt warning logged during a test fails it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeEngineFactory, fake_engine_factory
from pytestqt.qtbot import QtBot
from qt_warnings import assert_no_qt_warnings
from ui_helpers import App, AppMaker

from openchat_desktop.app import build_context
from openchat_desktop.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def no_qt_warnings(qtlog: Any) -> Iterator[None]:
    yield
    assert_no_qt_warnings(qtlog)


@pytest.fixture
def fake_model(openchat_home: Path) -> Path:
    """A file the fake engine "loads" (model choice only checks that it exists)."""
    openchat_home.mkdir(parents=True, exist_ok=True)
    path = openchat_home / "fake-model.gguf"
    path.write_bytes(b"GGUF")
    return path


@pytest.fixture
def make_app(qtbot: QtBot, fake_model: Path) -> Iterator[AppMaker]:
    """Build apps on the test's OPENCHAT_HOME; all are closed at the end, in order."""
    apps: list[App] = []

    def make(factory: Any = None, start: bool = True, **options: Any) -> App:
        engines = factory or fake_engine_factory(**options)
        ctx = build_context(engine_factory=engines)
        if not ctx.settings.get("model.default"):
            ctx.settings.set("model.default", str(fake_model))
        window = MainWindow(ctx)
        window.resize(1100, 720)
        window.show()
        app = App(ctx, window, engines if isinstance(engines, FakeEngineFactory) else None)
        apps.append(app)
        if start:
            window.start()
            if ctx.worker.status is None:
                qtbot.waitUntil(lambda: ctx.worker.status is not None, timeout=5000)
        return app

    yield make
    for app in reversed(apps):
        app.close()
    qtbot.wait(10)
