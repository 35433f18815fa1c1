"""What the window's menu commands and shortcuts do.

Kept apart from the window's layout so each command is a short method, easy to find from its
action name: action ``new_chat`` runs ``new_chat()``. The commands see the window through the
``CommandWindow`` protocol (the parts they act on), so this module never imports the window's
and the two do not import each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from openchat_desktop import __version__
from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.ui.actions import Actions
from openchat_desktop.ui.chat_view import ChatView
from openchat_desktop.ui.composer import Composer
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.conversation_list import ConversationList
from openchat_desktop.ui.file_actions import export_conversation, import_conversation
from openchat_desktop.ui.settings_dialog import SettingsDialog
from openchat_desktop.ui.settings_panel import SettingsPanel

COMMANDS = ("new_chat", "import_json", "export_markdown", "export_json", "settings", "quit",
            "search", "focus_composer", "regenerate", "stop", "copy_last", "docs",
            "model_manager", "about", "open_logs")


class CommandWindow(Protocol):
    """The parts of the main window its commands act on (``MainWindow`` has them all)."""

    @property
    def ctx(self) -> AppContext: ...

    @property
    def menu_actions(self) -> Actions: ...

    @property
    def chat_view(self) -> ChatView: ...

    @property
    def composer(self) -> Composer: ...

    @property
    def conversations(self) -> ConversationList: ...

    @property
    def settings_panel(self) -> SettingsPanel: ...

    def window(self) -> QWidget:
        """The top-level widget: the parent of the dialogs the commands open."""
        ...

    def close(self) -> bool: ...


class WindowCommands(QObject):
    """The slots behind the window's actions. Signals: none."""

    def __init__(self, window: CommandWindow) -> None:
        super().__init__(window.window())
        self._window = window
        self._ctx = window.ctx
        self.settings_dialog: SettingsDialog | None = None
        for name in COMMANDS:
            window.menu_actions[name].triggered.connect(getattr(self, name))

    # -- chat -------------------------------------------------------------------------------
    @Slot(str)
    def send(self, text: str) -> None:
        try:
            self._ctx.session.send(text)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))
        self._window.chat_view.scroll_to_bottom()

    @Slot()
    def stop(self) -> None:
        self._ctx.session.stop()

    @Slot()
    def regenerate(self) -> None:
        try:
            self._ctx.session.regenerate()
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))

    @Slot()
    def new_chat(self) -> None:
        session = self._ctx.session
        # An empty chat is already a new one: don't pile up blank conversations.
        if session.current_id is None or session.messages():
            session.new_conversation()
        self._window.composer.focus()

    @Slot()
    def search(self) -> None:
        self._window.menu_actions["toggle_sidebar"].setChecked(True)
        self._window.conversations.focus_search()

    @Slot()
    def focus_composer(self) -> None:
        self._window.composer.focus()

    @Slot()
    def copy_last(self) -> None:
        replies = [m for m in self._ctx.session.messages() if m.role == "assistant"]
        widget = self._window.chat_view.widget_for(replies[-1].id) if replies else None
        text = widget.text() if widget is not None else (replies[-1].content if replies else "")
        if text:
            QGuiApplication.clipboard().setText(text)
            self._ctx.bus.show_info(self._ctx.i18n.tr("Last answer copied"))

    @Slot(int, int)
    def open_hit(self, conv_id: int, message_id: int) -> None:
        try:
            if conv_id != self._ctx.session.current_id:
                self._ctx.session.open(conv_id)
        except OpenChatError as exc:
            self._ctx.bus.show_error(str(exc))
            return
        if message_id:
            self._window.chat_view.reveal(message_id)

    # -- files ------------------------------------------------------------------------------
    @Slot(int, str)
    def export(self, conv_id: int, kind: str) -> None:
        try:
            path = export_conversation(self._window.window(), self._ctx, conv_id, kind)
        except (OpenChatError, OSError) as exc:
            self._ctx.bus.show_error(self._ctx.i18n.tr("The conversation could not be "
                                                       "exported."), str(exc))
            return
        if path is not None:
            self._ctx.bus.show_info(self._ctx.i18n.tr("Saved {path}").format(path=path))

    @Slot()
    def export_markdown(self) -> None:
        if self._ctx.session.current_id is not None:
            self.export(self._ctx.session.current_id, "markdown")

    @Slot()
    def export_json(self) -> None:
        if self._ctx.session.current_id is not None:
            self.export(self._ctx.session.current_id, "json")

    @Slot()
    def import_json(self) -> None:
        tr = self._ctx.i18n.tr
        try:
            conv_id = import_conversation(self._window.window(), self._ctx)
        except (OpenChatError, OSError) as exc:
            self._ctx.bus.show_error(tr("The conversation could not be imported."), str(exc))
            return
        if conv_id is not None:
            self._ctx.session.open(conv_id)
            self._ctx.bus.show_info(tr("Conversation imported"))

    # -- app --------------------------------------------------------------------------------
    @Slot()
    def settings(self) -> SettingsDialog:
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            return self.settings_dialog
        dialog = SettingsDialog(self._ctx, self._window.window())
        dialog.finished.connect(self._on_settings_dialog_finished)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    @Slot(int)
    def _on_settings_dialog_finished(self, _result: int) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
            self.settings_dialog = None

    @Slot()
    def docs(self) -> QDialog:
        """The documents window (made on first use, then shown again as it was left)."""
        from openchat_desktop.ui.docs_dialog import open_docs_dialog

        return open_docs_dialog(self._ctx.docs, self._ctx.i18n, self._window.window())

    def attach_files(self, paths: list[Path]) -> None:
        """Files dropped on the window: the open conversation answers from them too."""
        tr = self._ctx.i18n.tr
        try:
            self._ctx.session.attach_files(paths)
        except (OpenChatError, OSError) as exc:
            self._ctx.bus.show_error(tr("The files could not be attached: {reason}").format(
                reason=exc))
            return
        self._ctx.bus.show_info(tr("Reading {count} dropped files for this conversation…")
                                .format(count=len(paths)))

    @Slot()
    def model_manager(self) -> QDialog:
        # Imported on first use: the Model Manager brings the Hub client with it.
        from openchat_desktop.ui.model_manager.dialog import open_model_manager

        picker = self._window.settings_panel.model_picker
        return open_model_manager(self._ctx.model_services(), self._window.window(),
                                  picker.choose)

    @Slot()
    def quit(self) -> None:
        self._window.close()

    @Slot()
    def about(self) -> QMessageBox:
        tr = self._ctx.i18n.tr
        box = QMessageBox(QMessageBox.Icon.Information, tr("About OpenChat"),
                          tr("OpenChat Desktop {version}").format(version=__version__),
                          QMessageBox.StandardButton.Close, self._window.window())
        box.setInformativeText(tr("Chat with language models that run entirely on your own "
                                  "computer. Nothing you write leaves it."))
        box.button(QMessageBox.StandardButton.Close).setText(tr("Close"))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    @Slot()
    def open_logs(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._ctx.paths.log_dir)))
