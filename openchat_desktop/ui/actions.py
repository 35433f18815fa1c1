"""Every command of the window as a ``QAction`` with its shortcut, and the menus that hold them.

Actions are added to the window itself as well as to the menus, so their shortcuts work
wherever the focus is. One table declares them; ``retranslate`` renames them in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from openchat_desktop.ui.i18n import N_, Translator


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    shortcut: str | None
    menu: str
    checkable: bool = False


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("new_chat", N_("&New chat"), "Ctrl+N", "file"),
    ActionSpec("import_json", N_("&Import conversation (JSON)…"), None, "file"),
    ActionSpec("export_markdown", N_("Export as &Markdown…"), None, "file"),
    ActionSpec("export_json", N_("Export as &JSON…"), None, "file"),
    ActionSpec("settings", N_("&Settings…"), "Ctrl+,", "file"),
    ActionSpec("quit", N_("&Quit"), "Ctrl+Q", "file"),
    ActionSpec("search", N_("&Search chats"), "Ctrl+F", "chat"),
    ActionSpec("focus_composer", N_("&Write a message"), "Ctrl+L", "chat"),
    ActionSpec("regenerate", N_("&Regenerate reply"), "Ctrl+R", "chat"),
    ActionSpec("stop", N_("S&top generating"), "Esc", "chat"),
    ActionSpec("copy_last", N_("&Copy last answer"), "Ctrl+Shift+C", "chat"),
    ActionSpec("docs", N_("&Documents…"), "Ctrl+Shift+D", "chat"),
    ActionSpec("toggle_sidebar", N_("Show &conversation list"), "Ctrl+B", "view", True),
    ActionSpec("toggle_settings_panel", N_("Show conversation &settings"), "F9", "view", True),
    ActionSpec("model_manager", N_("&Model Manager…"), "Ctrl+Shift+M", "models"),
    ActionSpec("about", N_("&About OpenChat"), None, "help"),
    ActionSpec("open_logs", N_("Open &log folder"), None, "help"),
)
MENUS: tuple[tuple[str, str], ...] = (
    ("file", N_("&File")), ("chat", N_("&Chat")), ("models", N_("&Models")), ("view", N_("&View")),
    ("help", N_("&Help")),
)
SEPARATORS_AFTER = frozenset({"new_chat", "export_json", "settings", "focus_composer",
                              "copy_last", "about"})


class Actions:
    """The window's actions by name (``actions["new_chat"]``) and its menus."""

    def __init__(self, window: QMainWindow, i18n: Translator) -> None:
        self._i18n = i18n
        self.by_name: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {}
        for key, _title in MENUS:
            self.menus[key] = window.menuBar().addMenu("")
        for spec in SPECS:
            action = QAction(window)
            action.setObjectName(f"action_{spec.name}")
            action.setCheckable(spec.checkable)
            if spec.shortcut:
                action.setShortcut(QKeySequence(spec.shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(action)
            self.menus[spec.menu].addAction(action)
            if spec.name in SEPARATORS_AFTER:
                self.menus[spec.menu].addSeparator()
            self.by_name[spec.name] = action
        self.retranslate()

    def __getitem__(self, name: str) -> QAction:
        return self.by_name[name]

    def retranslate(self) -> None:
        tr = self._i18n.tr
        for key, title in MENUS:
            self.menus[key].setTitle(tr(title))
        for spec in SPECS:
            action = self.by_name[spec.name]
            action.setText(tr(spec.text))
            plain = tr(spec.text).replace("&", "")
            keys = f" ({spec.shortcut})" if spec.shortcut else ""
            action.setToolTip(plain + keys)
            action.setStatusTip(plain)
