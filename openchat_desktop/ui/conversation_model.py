"""Item models of the sidebar (conversations, search hits) and the two-line delegate both use."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from openchat_desktop.core.store.records import ConversationSummary, SearchHit
from openchat_desktop.ui.formatting import Tr, count_messages, when

ID_ROLE = Qt.ItemDataRole.UserRole + 1
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 2
PINNED_ROLE = Qt.ItemDataRole.UserRole + 3
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 4
Index = QModelIndex | QPersistentModelIndex
PIN_MARK = "★ "


class ConversationListModel(QAbstractListModel):
    """Conversations, pinned first then most recent (the store's order). Titles are editable.

    Signals:
        rename_requested(int conv_id, str title): the user edited a title in place.
    """

    rename_requested = Signal(int, str)

    def __init__(self, tr: Tr, parent: Any = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self._rows: list[ConversationSummary] = []

    def set_conversations(self, rows: list[ConversationSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary(self, row: int) -> ConversationSummary:
        return self._rows[row]

    def row_of(self, conv_id: int) -> int | None:
        return next((i for i, s in enumerate(self._rows) if s.id == conv_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (PIN_MARK if item.pinned else "") + item.title
        if role == Qt.ItemDataRole.EditRole:
            return item.title
        if role in (DETAIL_ROLE, Qt.ItemDataRole.ToolTipRole):
            count = count_messages(item.message_count, self._tr)
            detail = f"{when(item.updated_at, self._tr)} · {count}"
            return detail if role == DETAIL_ROLE else f"{item.title}\n{detail}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            pinned = self._tr("pinned") + ", " if item.pinned else ""
            return f"{pinned}{item.title}"
        return {ID_ROLE: item.id, PINNED_ROLE: item.pinned}.get(role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not str(value).strip():
            return False
        self.rename_requested.emit(self._rows[index.row()].id, str(value))
        return True


class SearchHitsModel(QAbstractListModel):
    """Search results: a matching title, or a message excerpt under its conversation's title.

    Signals: those of ``QAbstractListModel``.
    """

    def __init__(self, tr: Tr, parent: Any = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self._hits: list[SearchHit] = []

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def hit(self, row: int) -> SearchHit:
        return self._hits[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        hit = self._hits[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return hit.title
        if role in (DETAIL_ROLE, Qt.ItemDataRole.ToolTipRole):
            return self._tr("Title matches") if hit.message_id is None else hit.snippet
        return {ID_ROLE: hit.conversation_id, MESSAGE_ROLE: hit.message_id}.get(role)


class TwoLineDelegate(QStyledItemDelegate):
    """Title on the first line, a muted detail (date, excerpt) on the second.

    Signals: those of ``QStyledItemDelegate``.
    """

    PADDING = 8

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        line = option.fontMetrics.lineSpacing()
        return QSize(200, 2 * line + 2 * self.PADDING + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        muted_role = text_role if selected else QPalette.ColorRole.PlaceholderText
        rect = opt.rect.adjusted(self.PADDING + 2, self.PADDING, -self.PADDING, -self.PADDING)
        line = opt.fontMetrics.lineSpacing()
        self._draw(painter, QRect(rect.left(), rect.top(), rect.width(), line), title,
                   opt.palette.color(text_role), bold=True, option=opt)
        detail = str(index.data(DETAIL_ROLE) or "")
        self._draw(painter, QRect(rect.left(), rect.top() + line + 2, rect.width(), line),
                   detail, opt.palette.color(muted_role), bold=False, option=opt)

    @staticmethod
    def _draw(painter: QPainter, rect: QRect, text: str, colour: Any, bold: bool,
              option: QStyleOptionViewItem) -> None:
        painter.save()
        font = option.font
        font.setBold(bold)
        painter.setFont(font)
        painter.setPen(colour)
        elided = painter.fontMetrics().elidedText(" ".join(text.split()),
                                                  Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)
        painter.restore()
