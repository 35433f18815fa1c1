"""The main window: conversations on the left, the chat in the middle, its settings on the
right, and the model's state in the status bar.

The window owns no logic of its own: commands go to the ``ChatSession`` and the
``ConversationService``, and every notification for the user arrives through the
``NotificationBus``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, Qt, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.services.llm_worker import ModelStatus
from openchat_desktop.ui.actions import Actions
from openchat_desktop.ui.chat_view import ChatView
from openchat_desktop.ui.composer import Composer
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.conversation_list import ConversationList
from openchat_desktop.ui.docs_attach import DocsAttachButton, dropped_documents
from openchat_desktop.ui.error_dialog import ErrorDialog
from openchat_desktop.ui.model_picker import dropped_model
from openchat_desktop.ui.rendering import Renderer
from openchat_desktop.ui.settings_panel import SettingsPanel
from openchat_desktop.ui.status_bar import StatusBar
from openchat_desktop.ui.theme import ThemeManager
from openchat_desktop.ui.widgets import named
from openchat_desktop.ui.window_commands import WindowCommands

log = logging.getLogger(__name__)
STATE_KEY = "ui.window"


class MainWindow(QMainWindow):
    """The app's window. ``start()`` opens the last conversation and loads its model.

    Signals: those of ``QMainWindow``.
    """

    def __init__(self, ctx: AppContext, theme: ThemeManager | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.theme = theme or ThemeManager(app, ctx.settings.get("ui.theme"), self)
        self.renderer = Renderer(self.theme.effective)
        self.error_dialog: ErrorDialog | None = None
        self.persist_state = True
        self.setAcceptDrops(True)
        self.resize(1180, 760)
        self._build()
        self.menu_actions = Actions(self, ctx.i18n)
        self.commands = WindowCommands(self)
        self._connect()
        self.retranslate()

    # -- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        ctx = self.ctx
        self.conversations = ConversationList(ctx)
        self.chat_view = ChatView(ctx, self.renderer)
        self.composer = Composer(ctx.i18n)
        self.composer.set_send_key(ctx.settings.get("ui.send_key"))
        self.docs_button = DocsAttachButton(ctx.session, ctx.docs, ctx.i18n, ctx.bus)
        self.settings_panel = SettingsPanel(ctx)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(2)
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(self._build_centre())
        self.splitter.addWidget(self.settings_panel)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 660, 280])
        self.setCentralWidget(self.splitter)
        self.status = StatusBar(ctx, self)
        self.setStatusBar(self.status)

    def _build_centre(self) -> QWidget:
        centre = QWidget(self)
        self.title_label = named(QLabel(centre), "chatTitle")
        self.panel_button = QToolButton(centre)
        self.panel_button.setCheckable(True)
        header = QHBoxLayout()
        header.setContentsMargins(16, 8, 8, 4)
        header.addWidget(self.title_label, 1)
        header.addWidget(self.panel_button)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(16, 4, 16, 12)
        bottom.addWidget(self.docs_button, 0, Qt.AlignmentFlag.AlignBottom)
        bottom.addWidget(self.composer, 1)
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.chat_view, 1)
        layout.addLayout(bottom)
        return centre

    def _connect(self) -> None:
        ctx = self.ctx
        ctx.bus.info.connect(self.status.show_message)
        ctx.bus.warning.connect(self._on_bus_warning)
        ctx.bus.error.connect(self.show_error)
        ctx.session.notice.connect(self.status.show_message)
        ctx.session.busy_changed.connect(self._on_session_busy_changed)
        ctx.session.conversation_opened.connect(self._on_conversation_changed)
        ctx.conversations.changed.connect(self._on_conversation_changed)
        ctx.session.path_changed.connect(self._on_conversation_changed)
        ctx.worker.load_failed.connect(self._on_worker_load_failed)
        ctx.worker.loaded.connect(self._on_worker_loaded)
        ctx.settings.changed.connect(self._on_settings_changed)
        ctx.i18n.language_changed.connect(self._on_language_changed)
        self.theme.changed.connect(self.chat_view.set_theme)
        self.composer.send_requested.connect(self.commands.send)
        self.composer.stop_requested.connect(self.commands.stop)
        self.docs_button.manage_requested.connect(self.commands.docs)
        self.conversations.hit_activated.connect(self.commands.open_hit)
        self.conversations.export_requested.connect(self.commands.export)
        self.panel_button.toggled.connect(self.menu_actions["toggle_settings_panel"].setChecked)
        self.menu_actions["toggle_settings_panel"].toggled.connect(self._on_settings_panel_toggled)
        self.menu_actions["toggle_sidebar"].toggled.connect(self.conversations.setVisible)
        self.menu_actions["toggle_sidebar"].setChecked(True)
        self.menu_actions["toggle_settings_panel"].setChecked(True)
        self._on_session_busy_changed(False)

    # -- start and stop ---------------------------------------------------------------------
    def start(self, load_model: bool = True) -> None:
        """Open the conversation of last time (or the newest, or a new one); load its model."""
        session = self.ctx.session
        try:
            if session.open_last() is None:
                rows = self.ctx.conversations.list_conversations()
                session.open(rows[0].id) if rows else session.new_conversation()
            if load_model and not session.ensure_model_loaded():
                self.status.show_no_model()
        except OpenChatError as exc:
            self.show_error(str(exc), "")
        self.composer.focus()

    def restore_state(self) -> None:
        """Window size, splitter and panels as they were when the app last closed."""
        state = self.ctx.conversations.saved_state(STATE_KEY, {})
        if not isinstance(state, dict):
            return
        if isinstance(state.get("geometry"), str):
            self.restoreGeometry(QByteArray.fromBase64(state["geometry"].encode("ascii")))
        if isinstance(state.get("splitter"), str):
            self.splitter.restoreState(QByteArray.fromBase64(state["splitter"].encode("ascii")))
        actions = self.menu_actions
        actions["toggle_settings_panel"].setChecked(bool(state.get("settings_panel", True)))
        actions["toggle_sidebar"].setChecked(bool(state.get("sidebar", True)))

    def save_state(self) -> None:
        state = {
            "geometry": bytes(self.saveGeometry().toBase64().data()).decode("ascii"),
            "splitter": bytes(self.splitter.saveState().toBase64().data()).decode("ascii"),
            "settings_panel": self.menu_actions["toggle_settings_panel"].isChecked(),
            "sidebar": self.menu_actions["toggle_sidebar"].isChecked(),
        }
        try:
            self.ctx.conversations.save_state(STATE_KEY, state)
        except OpenChatError as exc:
            log.warning("window state not saved: %s", exc)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.ctx.closed:
            self.settings_panel.apply_pending()
            if self.persist_state:
                self.save_state()
        super().closeEvent(event)

    def bring_to_front(self) -> None:
        """Another launch asked for this window: show it above the others."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # -- messages ---------------------------------------------------------------------------
    @Slot(str, str)
    def show_error(self, message: str, details: str = "") -> ErrorDialog:
        """Show the error dialog without blocking (a second error replaces the first)."""
        if self.error_dialog is not None:
            self.error_dialog.close()
        dialog = ErrorDialog(message, details, self.ctx.paths.log_file, self.ctx.i18n, self)
        dialog.destroyed.connect(lambda: setattr(self, "error_dialog", None))
        self.error_dialog = dialog
        dialog.open()
        return dialog

    @Slot(str)
    def _on_bus_warning(self, text: str) -> None:
        self.status.show_message("⚠ " + text)

    @Slot(str, str)
    def _on_worker_load_failed(self, message: str, details: str) -> None:
        tr = self.ctx.i18n.tr
        self.show_error(tr("The model could not be loaded: {reason}").format(reason=message),
                        details)

    @Slot(object)
    def _on_worker_loaded(self, status: ModelStatus) -> None:
        if status.template_warning:
            # The session's notice came first: "is ready" would overwrite it at once.
            self.status.show_message("⚠ " + status.template_warning)
            return
        self.ctx.bus.show_info(self.ctx.i18n.tr("{name} is ready ({seconds:.1f} s)").format(
            name=status.model_name, seconds=status.load_seconds))

    # -- state changes ----------------------------------------------------------------------
    @Slot(bool)
    def _on_session_busy_changed(self, busy: bool) -> None:
        self.composer.set_busy(busy)
        self.menu_actions["stop"].setEnabled(busy)

    @Slot()
    def _on_conversation_changed(self, *_args: object) -> None:
        conv_id = self.ctx.session.current_id
        title = ""
        if conv_id is not None:
            try:
                title = self.ctx.conversations.get(conv_id).title
            except OpenChatError:
                title = ""
        self.title_label.setText(title)
        self.setWindowTitle(f"{title} — OpenChat" if title else "OpenChat")

    @Slot(bool)
    def _on_settings_panel_toggled(self, shown: bool) -> None:
        self.settings_panel.setVisible(shown)
        self.panel_button.setChecked(shown)

    @Slot(str, object)
    def _on_settings_changed(self, key: str, value: object) -> None:
        if key == "ui.theme":
            self.theme.set_choice(str(value))
        elif key == "ui.font_size" and isinstance(value, int):
            self.chat_view.apply_font_size(value)
        elif key == "ui.send_key":
            self.composer.set_send_key(str(value))

    @Slot(str)
    def _on_language_changed(self, _language: str) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        tr = self.ctx.i18n.tr
        self.menu_actions.retranslate()
        for part in (self.conversations, self.chat_view, self.composer, self.docs_button,
                     self.settings_panel, self.status):
            part.retranslate()
        self.panel_button.setText(tr("Conversation settings"))
        self.panel_button.setAccessibleName(tr("Show or hide conversation settings (F9)"))
        self.panel_button.setToolTip(tr("Show or hide conversation settings (F9)"))
        self.title_label.setAccessibleName(tr("Conversation title"))
        self.splitter.setAccessibleName(tr("Main area"))
        self._on_conversation_changed()

    # -- drag and drop ----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        data = event.mimeData()
        if dropped_model(data) is not None or dropped_documents(data):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A model file is used for this chat; documents are attached to it."""
        data = event.mimeData()
        path = dropped_model(data)
        documents = dropped_documents(data)
        if path is not None:
            event.acceptProposedAction()
            self.settings_panel.model_picker.use_file(path)
        elif documents:
            event.acceptProposedAction()
            self.commands.attach_files(documents)
