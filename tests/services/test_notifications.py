"""NotificationBus: the one path for user-visible notifications, and the exception hooks."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from openchat_desktop.core.errors import ModelFileError
from openchat_desktop.services.notifications import NotificationBus, install_excepthooks


@pytest.fixture
def bus() -> NotificationBus:
    return NotificationBus()


@pytest.fixture
def hooked(bus: NotificationBus) -> Iterator[NotificationBus]:
    uninstall = install_excepthooks(bus)
    yield bus
    uninstall()


def test_info_warning_error(qtbot: QtBot, bus: NotificationBus) -> None:
    with qtbot.waitSignals([bus.info, bus.warning, bus.error], order="strict"):
        bus.show_info("Model loaded")
        bus.show_warning("Settings reset")
        bus.show_error("Could not save", "disk full")


def test_messages_from_other_threads_arrive_on_the_gui_thread(qtbot: QtBot,
                                                              bus: NotificationBus) -> None:
    gui = threading.get_ident()
    seen: list[tuple[str, int]] = []
    bus.warning.connect(lambda text: seen.append((text, threading.get_ident())))
    thread = threading.Thread(target=bus.show_warning, args=("from afar",))
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    assert seen == [("from afar", gui)]


def test_uncaught_exception_becomes_an_error_with_details(
        qtbot: QtBot, hooked: NotificationBus, caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ModelFileError("The file is not a GGUF model.\nmore text")
    except ModelFileError as exc:
        error = exc
    with qtbot.waitSignal(hooked.error) as emitted, caplog.at_level(logging.ERROR):
        sys.excepthook(type(error), error, error.__traceback__)
    message, details = emitted.args or ["", ""]
    assert message == "The file is not a GGUF model."
    assert "Traceback" in details and "test_notifications.py" in details
    assert "The file is not a GGUF model." in caplog.text


def test_exception_in_a_thread_reaches_the_bus(qtbot: QtBot, hooked: NotificationBus) -> None:
    def crash() -> None:
        raise KeyError("gone")

    with qtbot.waitSignal(hooked.error, timeout=2000) as emitted:
        thread = threading.Thread(target=crash)
        thread.start()
        thread.join()
    assert (emitted.args or [""])[0] == "KeyError: 'gone'"


def test_uninstall_restores_the_previous_hooks(bus: NotificationBus) -> None:
    previous = sys.excepthook, threading.excepthook
    uninstall = install_excepthooks(bus)
    assert sys.excepthook is not previous[0]
    uninstall()
    assert (sys.excepthook, threading.excepthook) == previous
