"""Background tasks: work runs on a pool thread, callbacks come back on the calling thread."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from openchat_desktop.services.notifications import NotificationBus
from openchat_desktop.services.tasks import TaskManager, run_in_background


def test_result_comes_back_on_the_calling_thread(qtbot: QtBot) -> None:
    caller = threading.get_ident()
    ran_on: list[int] = []
    results: list[tuple[int, int]] = []

    def task() -> int:
        ran_on.append(threading.get_ident())
        return 42

    run_in_background(task, lambda value: results.append((value, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == [(42, caller)] and ran_on != [caller]


def test_failure_goes_to_on_error_on_the_calling_thread(qtbot: QtBot) -> None:
    errors: list[tuple[BaseException, int]] = []

    def task() -> None:
        raise ValueError("bad file")

    run_in_background(task, lambda _: pytest.fail("on_done must not run"),
                      lambda exc: errors.append((exc, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    error, thread = errors[0]
    assert isinstance(error, ValueError) and thread == threading.get_ident()


def test_failure_without_handler_goes_to_the_excepthook(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, exc, tb: seen.append(exc))
    run_in_background(lambda: 1 / 0, lambda _: None)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert isinstance(seen[0], ZeroDivisionError)


def test_task_manager_reports_to_the_bus_and_counts_pending(qtbot: QtBot) -> None:
    bus = NotificationBus()
    manager = TaskManager(bus)
    counts: list[int] = []
    manager.pending_changed.connect(counts.append)
    release = threading.Event()

    def task() -> None:
        release.wait(5)
        raise KeyError("missing")

    with qtbot.waitSignal(bus.error, timeout=5000) as error:
        manager.run_in_background(task, lambda _: None)
        assert manager.pending == 1
        release.set()
    message, details = error.args or ["", ""]
    assert message == "KeyError: 'missing'" and "Traceback" in details
    assert counts == [1, 0] and manager.wait_for_done(1000)
