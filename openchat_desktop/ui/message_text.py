"""The body of one message: a read-only rich-text view as tall as its text.

It never loads anything (``loadResource`` answers nothing, so no image or stylesheet URL in
model output reaches the network) and never follows a link itself: clicks come out as
``anchorClicked`` for the chat view to judge. While a reply streams, completed Markdown
blocks are inserted once as HTML and only the unfinished tail is replaced on each repaint.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QSizeF, Qt, QUrl, Slot
from PySide6.QtGui import (
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextOption,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget


class MessageText(QTextBrowser):
    """Message text without scroll bars; its height follows the laid-out document.

    Signals: those of ``QTextBrowser`` (``anchorClicked(QUrl)`` is the one used).
    """

    _tail_start: int  # where the streamed tail's block begins
    _shown_html: str  # the completed blocks already in the document
    _shown_tail: str  # the tail text already in the document

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Base, Qt.GlobalColor.transparent)
        self.setPalette(palette)
        self.document().setDocumentMargin(2)
        option = self.document().defaultTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.document().setDefaultTextOption(option)
        self.document().documentLayout().documentSizeChanged.connect(
            self._on_document_size_changed)
        self._reset_stream()
        self.setFixedHeight(self._height_for(self.document().size()))

    # -- safety -----------------------------------------------------------------------------
    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        # Model output must never make the app fetch anything, local or remote.
        return None

    def wheelEvent(self, event: QWheelEvent) -> None:
        # The body never scrolls; let the conversation's scroll area take the wheel.
        event.ignore()

    # -- content ----------------------------------------------------------------------------
    def show_html(self, html: str, css: str) -> None:
        self.document().setDefaultStyleSheet(css)
        self.setHtml(html)
        self._wrap_code(0)
        self._reset_stream()

    def show_plain(self, text: str) -> None:
        self.setPlainText(text)
        self._reset_stream()

    def begin_stream(self, css: str) -> None:
        self.document().setDefaultStyleSheet(css)
        self.clear()
        self._reset_stream()

    def show_stream(self, stable_html: str, tail: str) -> None:
        """Show a streaming reply: HTML of completed blocks, then the raw tail as text.

        ``stable_html`` only ever grows, so just its new end is inserted; the tail block is
        replaced. Neither re-parses nor re-lays-out the text above it, and the edits make
        one change to the document, so it is laid out (and the widget resized) once.
        """
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        try:
            self._update_stream(cursor, stable_html, tail)
        finally:
            cursor.endEditBlock()

    def _update_stream(self, cursor: QTextCursor, stable_html: str, tail: str) -> None:
        if len(stable_html) == len(self._shown_html) and tail.startswith(self._shown_tail):
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(tail[len(self._shown_tail):])
            self._shown_tail = tail
            return
        cursor.setPosition(self._tail_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        if len(stable_html) > len(self._shown_html):
            self._insert_blocks(cursor, stable_html[len(self._shown_html):])
            self._shown_html = stable_html
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
            self._tail_start = cursor.position()
        cursor.insertText(tail)
        self._shown_tail = tail

    def finish_stream(self, html: str, css: str) -> None:
        """End a stream with the message's final HTML. When the blocks shown while streaming
        begin it (the usual case) only the rest replaces the tail, so a long reply is not
        parsed and laid out again as it ends; otherwise the whole is set anew."""
        if not html.startswith(self._shown_html):
            self.show_html(html, css)
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()  # one change: laid out and resized once, never shrinking first
        try:
            cursor.setPosition(self._tail_start)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            rest = html[len(self._shown_html):]
            if rest:
                self._insert_blocks(cursor, rest)
            elif _follows_a_paragraph(cursor):
                cursor.deletePreviousChar()  # the empty block the tail was written in
        finally:
            cursor.endEditBlock()
        self._reset_stream()

    def _insert_blocks(self, cursor: QTextCursor, html: str) -> None:
        """Insert a run of whole blocks where the cursor's (empty) block is, laid out as
        ``setHtml`` would: a table or list inserted there leaves that block empty above it,
        and it goes."""
        fragment = html.strip()  # line breaks between tags would end the block before in a space
        start = cursor.position()
        cursor.insertHtml(fragment)
        self._wrap_code(start)
        block = self.document().findBlock(start)
        if block.length() == 1 and block.next().isValid():
            emptied = QTextCursor(block)
            if _follows_a_paragraph(emptied):
                emptied.deletePreviousChar()

    def _wrap_code(self, start: int) -> None:
        """Let long code lines wrap: the body has no horizontal scroll bar, and an unwrapped
        line would otherwise be cut off (the Copy link still copies the exact code)."""
        block = self.document().findBlock(start)
        cursor = QTextCursor(self.document())
        while block.isValid():
            if block.blockFormat().nonBreakableLines():
                wrapping = block.blockFormat()
                wrapping.setNonBreakableLines(False)
                cursor.setPosition(block.position())
                cursor.setBlockFormat(wrapping)
            block = block.next()

    def _reset_stream(self) -> None:
        self._tail_start = 0
        self._shown_html = ""
        self._shown_tail = ""

    # -- size -------------------------------------------------------------------------------
    def _height_for(self, size: QSizeF) -> int:
        return max(1, math.ceil(size.height()) + 2 * self.frameWidth())

    @Slot(QSizeF)
    def _on_document_size_changed(self, size: QSizeF) -> None:
        height = self._height_for(size)
        if height != self.height():
            self.setFixedHeight(height)


def _follows_a_paragraph(cursor: QTextCursor) -> bool:
    """Whether the block before the cursor's is a plain paragraph of the same frame (the
    empty block after a table belongs to the table's frame boundary and must stay)."""
    previous = cursor.block().previous()
    if not previous.isValid():
        return False
    before = QTextCursor(previous)
    return before.currentTable() is None and before.currentFrame() == cursor.currentFrame()
