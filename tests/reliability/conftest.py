"""Fixtures of the reliability suite: a Qt warning logged during a test fails it, and error
dialogs are recorded instead of shown. Apps come from ``make_real_app`` (fixtures/apps.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from qt_warnings import assert_no_qt_warnings


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
