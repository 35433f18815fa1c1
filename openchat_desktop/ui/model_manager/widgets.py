"""Small pieces the model manager's tabs share: tables, an inline notice, questions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from openchat_desktop.ui.i18n import N_

# Badge colours (background, text) that stay readable on light and dark palettes.
FIT_COLOURS = {"fits": ("#d8f0dd", "#1d5e2c"), "tight": ("#fdf0c8", "#6b4e00"),
               "too big": ("#f8d9dc", "#7c1d27")}
FIT_LABELS = {"fits": N_("fits"), "tight": N_("tight"), "too big": N_("too big")}
FIT_TIPS = {"fits": N_("Should run comfortably"),
            "tight": N_("Will run, but may slow other programs"),
            "too big": N_("Probably too big for this computer")}
_NOTICE_STYLES = {
    "error": "background:#f8d9dc; color:#5c1018; border:1px solid #e5a3aa; border-radius:4px;",
    "info": "background:palette(alternate-base); border:1px solid palette(mid); "
            "border-radius:4px;",
}

Button = QMessageBox.StandardButton
Tr = Callable[[str], str]  # ``Translator.tr``: English source text -> the current language


def untranslated(text: str) -> str:
    """The English text as it is (the tabs' default when no translator is given)."""
    return text


def make_table(headers: Sequence[str], stretch: int = -1, tr: Tr = untranslated
               ) -> QTableWidget:
    """A read-only table that selects whole rows; column ``stretch`` takes the spare width."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels([tr(text) if text else "" for text in headers])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch % len(headers), QHeaderView.ResizeMode.Stretch)
    return table


def cell(text: str, tooltip: str = "", align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(tooltip or text)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def fit_cell(fit: str, tr: Tr = untranslated) -> QTableWidgetItem:
    """The fit badge: "fits", "tight" or "too big" on a coloured background."""
    item = cell(tr(FIT_LABELS.get(fit, fit)), tr(FIT_TIPS.get(fit, fit)))
    background, text = FIT_COLOURS.get(fit, ("#ffffff", "#000000"))
    item.setBackground(QColor(background))
    item.setForeground(QColor(text))
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    return item


class InlineNotice(QFrame):
    """A message shown in place (never a pop-up), with an optional action button.

    Signals:
        action_clicked(): the button (e.g. "Retry") was pressed.
    """

    action_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton()
        self.button.clicked.connect(self.action_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    @property
    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()

    def show_message(self, text: str, kind: str = "info", action: str = "") -> None:
        """Show ``text`` (kind "info" or "error"); ``action`` labels the button, if any."""
        self.kind = kind
        self.setStyleSheet(f"InlineNotice {{{_NOTICE_STYLES[kind]}}}")
        self.label.setText(text)
        self.button.setText(action)
        self.button.setVisible(bool(action))
        self.show()

    def clear(self) -> None:
        self.kind = ""
        self.hide()


def ask(parent: QWidget | None, title: str, text: str, buttons: dict[Button, str],
        default: Button, icon: QMessageBox.Icon = QMessageBox.Icon.Question) -> Button:
    """Ask a question with named buttons; returns the standard button that was pressed.

    Escape (or closing the box) counts as the ``Cancel``/``No`` button when there is one.
    """
    box = QMessageBox(icon, title, text, Button.NoButton, parent)
    for standard, label in buttons.items():
        box.addButton(standard)
        box.button(standard).setText(label)
    box.setDefaultButton(default)
    try:
        return Button(box.exec())
    except ValueError:  # closed without a standard button
        return Button.Cancel


def confirm(parent: QWidget | None, title: str, text: str, action: str,
            tr: Tr = untranslated) -> bool:
    """An OK/Cancel question whose OK button says what will happen ("Delete")."""
    return ask(parent, title, text, {Button.Ok: action, Button.Cancel: tr("Cancel")},
               Button.Cancel, QMessageBox.Icon.Warning) == Button.Ok
