"""The one path for notifications the user sees: information, warnings and errors.

Every part of the app reports through a ``NotificationBus`` instead of opening dialogs itself,
so the UI decides how to show them (status bar, banner, error dialog) and tests can listen in.
``install_excepthooks`` routes unexpected exceptions, from any thread, to the same bus.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from openchat_desktop.core.errors import OpenChatError

log = logging.getLogger(__name__)


class NotificationBus(QObject):
    """Carries user-visible messages to whoever shows them; callable from any thread.

    Signals:
        info(str): something the user may like to know ("Model loaded").
        warning(str): something went wrong but the app carries on.
        error(str message, str details): a failure; ``message`` is one line, ``details``
            (often a traceback) is for the "Copy details" button and may be empty.

    The signals are always emitted on the bus's own (GUI) thread.
    """

    info = Signal(str)
    warning = Signal(str)
    error = Signal(str, str)
    # Messages posted from other threads hop to the bus's thread through this queued signal.
    _posted = Signal(str, str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._posted.connect(self._on_message_posted, Qt.ConnectionType.QueuedConnection)

    def show_info(self, text: str) -> None:
        self._post("info", text, "")

    def show_warning(self, text: str) -> None:
        log.warning("%s", text)
        self._post("warning", text, "")

    def show_error(self, message: str, details: str = "") -> None:
        log.error("%s%s", message, f"\n{details}" if details else "")
        self._post("error", message, details)

    def report_exception(self, error: BaseException) -> None:
        """Show ``error`` as an error message with its traceback as the details."""
        self.show_error(one_line_reason(error), format_details(error))

    def _post(self, kind: str, text: str, details: str) -> None:
        if QThread.currentThread() is self.thread():
            self._emit(kind, text, details)
        else:
            self._posted.emit(kind, text, details)

    @Slot(str, str, str)
    def _on_message_posted(self, kind: str, text: str, details: str) -> None:
        self._emit(kind, text, details)

    def _emit(self, kind: str, text: str, details: str) -> None:
        if kind == "info":
            self.info.emit(text)
        elif kind == "warning":
            self.warning.emit(text)
        else:
            self.error.emit(text, details)


def one_line_reason(error: BaseException) -> str:
    """The first line of the error; an app error's own text, else prefixed with its type."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, OpenChatError) and text:
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def format_details(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def install_excepthooks(bus: NotificationBus) -> Callable[[], None]:
    """Send uncaught exceptions of every thread to ``bus.error`` (and the log).

    Returns a function that puts the previous hooks back (tests and shutdown use it).
    """
    previous_sys, previous_threading = sys.excepthook, threading.excepthook

    def on_exception(kind: type[BaseException], error: BaseException,
                     trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            # Ctrl-C in the terminal should still end the app the usual way.
            previous_sys(kind, error, trace)
            return
        bus.report_exception(error.with_traceback(trace))

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            previous_threading(args)
            return
        on_exception(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception

    def uninstall() -> None:
        sys.excepthook = previous_sys
        threading.excepthook = previous_threading

    return uninstall
