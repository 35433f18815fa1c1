"""Helpers the window tests share: one running app, and driving it the way a user does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fakes import FakeEngineFactory
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.main_window import MainWindow
from openchat_desktop.ui.message_widget import MessageWidget


@dataclass
class App:
    """A context and its window; ``factory`` is the fake engine factory, when there is one."""

    ctx: AppContext
    window: MainWindow
    factory: FakeEngineFactory | None = None

    def close(self) -> None:
        if not self.ctx.closed:
            self.window.close()
            self.window.deleteLater()
            QCoreApplication.processEvents()
            self.ctx.close()

    def widgets(self) -> list[MessageWidget]:
        return self.window.chat_view.message_widgets

    def texts(self) -> list[str]:
        return [w.body.toPlainText().strip() for w in self.widgets()]


def send(qtbot: QtBot, app: App, text: str, timeout: int = 10_000) -> None:
    """Type ``text`` into the composer, press Send, wait for the reply to finish."""
    composer = app.window.composer
    composer.set_text(text)
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=timeout):
        composer.button.click()
    qtbot.wait(1)


# What the ``make_app`` fixture returns: build an app, optionally with engine options.
AppMaker = Callable[..., App]
