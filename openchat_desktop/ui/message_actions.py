"""What the buttons and links under a message do: copy, regenerate, delete, switch version,
send an edit, copy a code block, open a web link."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.message_widget import MessageWidget
from openchat_desktop.ui.rendering import Renderer

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
WidgetLookup = Callable[[int], MessageWidget | None]


class MessageActions(QObject):
    """Carries out a message widget's requests on the session, the clipboard or the browser.

    Signals:
        link_opened(QUrl url): an http(s)/mailto link was handed to the system browser.
    """

    link_opened = Signal(QUrl)

    def __init__(self, ctx: AppContext, renderer: Renderer, lookup: WidgetLookup,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._renderer, self._lookup = ctx, renderer, lookup

    def attach(self, widget: MessageWidget) -> None:
        widget.action_requested.connect(self._on_message_action_requested)
        widget.edit_submitted.connect(self._on_message_edit_submitted)
        widget.link_clicked.connect(self._on_message_link_clicked)

    @Slot(str, int)
    def _on_message_action_requested(self, action: str, message_id: int) -> None:
        session = self._ctx.session
        try:
            if action == "copy":
                self._copy_message(message_id)
            elif action == "regenerate":
                session.regenerate(message_id)
            elif action == "delete":
                session.delete_message(message_id)
            elif action in ("prev", "next"):
                self._switch_version(message_id, -1 if action == "prev" else 1)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))

    def _switch_version(self, message_id: int, step: int) -> None:
        versions = self._ctx.session.versions(message_id)
        index = next(i for i, m in enumerate(versions) if m.id == message_id) + step
        if 0 <= index < len(versions):
            self._ctx.session.select_version(versions[index].id)

    def _copy_message(self, message_id: int) -> None:
        widget = self._lookup(message_id)
        if widget is not None:
            QGuiApplication.clipboard().setText(widget.text())
            self._ctx.bus.show_info(self._ctx.i18n.tr("Message copied"))

    @Slot(int, str)
    def _on_message_edit_submitted(self, message_id: int, text: str) -> None:
        try:
            self._ctx.session.edit_and_resend(message_id, text)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))

    @Slot(QUrl, int)
    def _on_message_link_clicked(self, url: QUrl, message_id: int) -> None:
        if url.scheme() == "copy":
            self._copy_code(url.path(), message_id)
        elif url.scheme().lower() in SAFE_SCHEMES:
            # Only a click opens a link, and only in the system browser.
            QDesktopServices.openUrl(url)
            self.link_opened.emit(url)

    def _copy_code(self, number: str, message_id: int) -> None:
        widget = self._lookup(message_id)
        blocks = self._renderer.code_blocks(widget.text()) if widget else []
        if number.isdigit() and int(number) < len(blocks):
            QGuiApplication.clipboard().setText(blocks[int(number)])
            self._ctx.bus.show_info(self._ctx.i18n.tr("Code copied"))
