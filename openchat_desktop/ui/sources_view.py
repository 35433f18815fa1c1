"""Where a reply's claims came from: the numbered sources under it and the passage popup.

Under a reply that used documents, a compact list reads "[1] Title — p. 4". Clicking one, or a
[1] in the reply's text (``link_citations`` turns those into ``cite:1`` links), opens a popup
with the passage, the file's path and *Open file*. PDFs open with ``#page=N``, which viewers
that understand it (browsers, Okular, Evince) use to go to the page. A file that has moved or
been deleted since says so in the popup instead of failing to open.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.docs.types import Source
from openchat_desktop.ui.widgets import named

Tr = Callable[[str], str]
CITE_SCHEME = "cite"
# "[1]", "[2, 3]" or "[1][2]": the forms models use when told to cite passages as [n].
_CITATION = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_TAG = re.compile(r"(<[^>]*>)")
_NO_LINKS_INSIDE = ("a", "pre", "code")


def source_label(source: Source) -> str:
    """"[1] Title — p. 4" (the location only where one is known)."""
    title = source.title or source.path.name
    location = source.location
    if location.startswith(title):  # "Kettle care, line 1" under the title "Kettle care"
        location = location[len(title):].lstrip(" ,\u203a") or location
    where = f" \u2014 {location}" if location else ""
    return f"[{source.number}] {title}{where}"


def source_url(source: Source) -> QUrl:
    """The file's URL; for a PDF with a known page, ``#page=N`` asks the viewer to go there."""
    url = QUrl.fromLocalFile(str(source.path))
    if source.page is not None and source.path.suffix.lower() == ".pdf":
        url.setFragment(f"page={source.page}")
    return url


def link_citations(html: str, numbers: Sequence[int]) -> str:
    """The reply's HTML with each [n] of a known source made a ``cite:n`` link.

    Only text between tags changes, and never inside a link or code, so the Markdown
    renderer's escaping and its Copy links stay as they were.
    """
    known = set(numbers)
    if not known:
        return html
    depth = 0  # how many links or code elements the text is inside
    pieces = _TAG.split(html)
    for index, piece in enumerate(pieces):
        if piece.startswith("<"):
            depth = max(0, depth + _nesting(piece))
        elif depth == 0 and "[" in piece:
            pieces[index] = _CITATION.sub(lambda m: _linked(m, known), piece)
    return "".join(pieces)


def _nesting(tag: str) -> int:
    match = re.match(r"<\s*(/?)\s*([a-zA-Z0-9]+)", tag)
    if match is None or match.group(2).lower() not in _NO_LINKS_INSIDE or tag.endswith("/>"):
        return 0
    return -1 if match.group(1) else 1


def _linked(match: re.Match[str], known: set[int]) -> str:
    numbers = [part.strip() for part in match.group(1).split(",")]
    if not all(int(number) in known for number in numbers):
        return match.group(0)
    links = ", ".join(f'<a href="{CITE_SCHEME}:{n}">{n}</a>' for n in numbers)
    return f"[{links}]"


class SourcesView(QWidget):
    """The numbered sources under a reply; hidden when the reply has none.

    Signals:
        source_opened(int number): the popup of source ``number`` was opened.
    """

    source_opened = Signal(int)

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self.sources: list[Source] = []
        self.popup: SourcePopup | None = None
        self.heading = named(QLabel(self), "muted")
        self.list = QLabel(self)
        self.list.setWordWrap(True)
        self.list.setTextFormat(Qt.TextFormat.RichText)
        self.list.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                          | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.list.linkActivated.connect(self._on_list_link_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 2)
        layout.setSpacing(1)
        layout.addWidget(self.heading)
        layout.addWidget(self.list)
        self.hide()
        self.retranslate()

    def set_sources(self, sources: Sequence[Source]) -> None:
        self.sources = sorted(sources, key=lambda source: source.number)
        lines = [f'<a href="{CITE_SCHEME}:{s.number}">{escape(source_label(s))}</a>'
                 for s in self.sources]
        self.list.setText("<br>".join(lines))
        self.setVisible(bool(self.sources))

    def numbers(self) -> list[int]:
        return [source.number for source in self.sources]

    def open_source(self, number: int) -> SourcePopup | None:
        """Show source ``number``'s passage (one popup per reply, reused)."""
        source = next((s for s in self.sources if s.number == number), None)
        if source is None:
            return None
        if self.popup is None:
            self.popup = SourcePopup(self._tr, self.window())
        self.popup.show_source(source)
        self.popup.show()
        self.popup.raise_()
        self.source_opened.emit(number)
        return self.popup

    def open_url(self, url: QUrl) -> bool:
        """Open a ``cite:n`` link's source; False for any other link."""
        if url.scheme() != CITE_SCHEME or not url.path().isdigit():
            return False
        self.open_source(int(url.path()))
        return True

    @Slot(str)
    def _on_list_link_activated(self, link: str) -> None:
        self.open_url(QUrl(link))

    def retranslate(self) -> None:
        self.heading.setText(self._tr("Sources"))
        self.list.setAccessibleName(self._tr("Sources of this reply"))
        if self.popup is not None:
            self.popup.retranslate()


class SourcePopup(QDialog):
    """One cited passage: its text, its file and a button that opens the file.

    Signals:
        file_opened(QUrl url): the file was handed to the system's viewer.
    """

    file_opened = Signal(QUrl)

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self.source: Source | None = None
        self.resize(560, 420)
        self.title = named(QLabel(self), "roleLabel")
        self.title.setWordWrap(True)
        self.path_label = named(QLabel(self), "muted")
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.passage = QPlainTextEdit(self)
        self.passage.setReadOnly(True)
        self.missing = named(QLabel(self), "errorLabel")
        self.missing.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.open_button = QPushButton(self)
        self.buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.clicked.connect(self.open_file)
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.path_label)
        layout.addWidget(self.passage, 1)
        layout.addWidget(self.missing)
        layout.addWidget(self.buttons)
        self.retranslate()

    def show_source(self, source: Source) -> None:
        self.source = source
        self.title.setText(source_label(source))
        self.path_label.setText(str(source.path))
        self.passage.setPlainText(source.text)
        self._check_file()

    def _check_file(self) -> bool:
        there = self.source is not None and self.source.path.is_file()
        self.missing.setVisible(not there)
        self.open_button.setEnabled(there)
        return there

    @Slot()
    def open_file(self) -> bool:
        """Open the file in the system's viewer (at the page, where it can); False, and the
        inline line saying so, when the file is no longer there."""
        if self.source is None or not self._check_file():
            return False
        url = source_url(self.source)
        QDesktopServices.openUrl(url)
        self.file_opened.emit(url)
        return True

    def retranslate(self) -> None:
        tr = self._tr
        self.setWindowTitle(tr("Source"))
        self.open_button.setText(tr("Open file"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
        self.passage.setAccessibleName(tr("Passage"))
        self.missing.setText(tr("The file is no longer there: it was moved, renamed or "
                                "deleted since it was indexed."))
