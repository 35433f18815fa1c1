"""Light and dark looks: the Fusion style with our own palettes, or whatever the system uses.

"system" follows ``QStyleHints.colorScheme`` live where Qt reports it (6.5+); where it reports
nothing it means light. The chat view asks ``effective`` to pick the matching code colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

Effective = Literal["light", "dark"]


@dataclass(frozen=True)
class Colours:
    """The few colours the app draws with itself (palette roles cover the rest)."""

    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    accent: str
    accent_text: str
    border: str
    user_bubble: str
    error: str
    warning: str


LIGHT = Colours("#f4f5f7", "#ffffff", "#eef0f3", "#1f2328", "#5c6470", "#2f6fed", "#ffffff",
                "#d6dae0", "#e8effd", "#c62828", "#9a6700")
DARK = Colours("#1d1f23", "#16181b", "#25282d", "#e6e8eb", "#9aa3ad", "#4c8dff", "#ffffff",
               "#34383f", "#233047", "#ff6b6b", "#d7a93d")


def colours(effective: Effective) -> Colours:
    return DARK if effective == "dark" else LIGHT


def build_palette(c: Colours) -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window, QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.base, QPalette.ColorRole.AlternateBase: c.alt_base,
        QPalette.ColorRole.Text: c.text, QPalette.ColorRole.Button: c.alt_base,
        QPalette.ColorRole.ButtonText: c.text, QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.accent_text, QPalette.ColorRole.ToolTipBase: c.base,
        QPalette.ColorRole.ToolTipText: c.text, QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Link: c.accent, QPalette.ColorRole.Mid: c.border,
        QPalette.ColorRole.Midlight: c.border,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.muted))
    return palette


def style_sheet(c: Colours) -> str:
    """App-wide touches the palette cannot express: rounded inputs, the accent button."""
    return f"""
QFrame#composerFrame {{ background: {c.base}; border: 1px solid {c.border};
    border-radius: 10px; }}
QPlainTextEdit#composerEdit {{ background: transparent; border: none; }}
QPushButton#sendButton {{ background: {c.accent}; color: {c.accent_text}; border: none;
    border-radius: 8px; padding: 6px 16px; font-weight: bold; }}
QPushButton#sendButton:disabled {{ background: {c.border}; color: {c.muted}; }}
QFrame#userBubble {{ background: {c.user_bubble}; border-radius: 10px; }}
QLabel#muted, QLabel#messageStats {{ color: {c.muted}; }}
QLabel#roleLabel {{ font-weight: bold; }}
QLabel#errorLabel {{ color: {c.error}; }}
QLabel#warningLabel {{ color: {c.warning}; }}
QLabel#chatTitle {{ font-size: 13pt; font-weight: bold; }}
QToolButton#messageAction {{ color: {c.muted}; border: none; padding: 2px 6px; }}
QToolButton#messageAction:hover, QToolButton#messageAction:focus {{ color: {c.text};
    background: {c.alt_base}; border-radius: 4px; }}
QFrame#undoBar {{ background: {c.alt_base}; border: 1px solid {c.border}; border-radius: 6px; }}
QListView#conversationList {{ border: none; background: {c.window}; }}
QListView#conversationList::item {{ border-radius: 6px; margin: 1px 2px; }}
QListView#conversationList::item:hover {{ background: {c.alt_base}; }}
QListView#conversationList::item:selected {{ background: {c.accent}; color: {c.accent_text}; }}
QScrollArea#chatScroll, QWidget#chatCanvas {{ border: none; background: {c.base}; }}
QSplitter::handle {{ background: {c.border}; }}
"""


class ThemeManager(QObject):
    """Applies the ``ui.theme`` choice ("system", "light" or "dark") to the application.

    Signals:
        changed(str effective): the look changed; ``effective`` is "light" or "dark".
    """

    changed = Signal(str)

    def __init__(self, app: QApplication, choice: str = "system",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._choice = choice
        self._effective: Effective | None = None
        app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        self._apply()

    @property
    def effective(self) -> Effective:
        return self._effective or "light"

    @property
    def colours(self) -> Colours:
        return colours(self.effective)

    def set_choice(self, choice: str) -> None:
        self._choice = choice
        self._apply()

    def _system_scheme(self) -> Effective:
        scheme = QGuiApplication.styleHints().colorScheme()
        return "dark" if scheme == Qt.ColorScheme.Dark else "light"

    def _apply(self) -> None:
        wanted: Effective = (self._system_scheme() if self._choice == "system"
                             else "dark" if self._choice == "dark" else "light")
        if wanted == self._effective:
            return
        self._effective = wanted
        chosen = colours(wanted)
        self._app.setPalette(build_palette(chosen))
        self._app.setStyleSheet(style_sheet(chosen))
        self.changed.emit(wanted)

    @Slot(Qt.ColorScheme)
    def _on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._choice == "system":
            self._apply()
