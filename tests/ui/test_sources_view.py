"""A reply's sources: the numbered list under it, [n] citations made links, and the popup
with the passage that opens the file (at its page) or says the file is gone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from openchat_desktop.core.docs.types import Source
from openchat_desktop.core.store.records import Message
from openchat_desktop.ui.i18n import Translator
from openchat_desktop.ui.message_widget import MessageWidget
from openchat_desktop.ui.rendering import Renderer
from openchat_desktop.ui.sources_view import (
    SourcesView,
    link_citations,
    source_label,
    source_url,
)


def en(text: str) -> str:
    return text


def sources(tmp_path: Path) -> list[Source]:
    manual = tmp_path / "manual.pdf"
    manual.write_bytes(b"%PDF-1.4 not really")
    notes = tmp_path / "notes.md"
    notes.write_text("# Kettle\n", encoding="utf-8")
    return [Source(2, notes, "Notes", "Kettle", "Descale monthly with citric acid."),
            Source(1, manual, "Manual", "p. 4", "Press the red button for five seconds.",
                   chunk_id=7, page=4)]


def reply(meta_sources: list[Source], content: str = "Press it [1]; descale it [2].") -> Message:
    return Message(id=5, conversation_id=1, parent_id=4, role="assistant", content=content,
                   status="complete", meta={"sources": [s.to_dict() for s in meta_sources]},
                   created_at=time.time())


def test_citations_become_links_outside_code_and_links() -> None:
    html = ('<p>See [1] and [2, 3] but not [9]. <code>x[1]</code> '
            '<a href="https://e.org">[1]</a></p><pre>a[2]</pre>')
    linked = link_citations(html, [1, 2, 3])
    assert '[<a href="cite:1">1</a>]' in linked
    assert '[<a href="cite:2">2</a>, <a href="cite:3">3</a>]' in linked
    assert "not [9]" in linked  # no such source: left as written
    assert "<code>x[1]</code>" in linked and "<pre>a[2]</pre>" in linked
    assert '<a href="https://e.org">[1]</a>' in linked
    assert link_citations(html, []) == html


def test_labels_and_pdf_page_urls(tmp_path: Path) -> None:
    manual, notes = sources(tmp_path)[1], sources(tmp_path)[0]
    assert source_label(manual) == "[1] Manual \u2014 p. 4"
    assert source_url(manual).fragment() == "page=4"
    assert source_url(manual).toLocalFile() == str(manual.path)
    assert source_url(notes).fragment() == ""  # a page only means something to a PDF viewer
    under_title = Source(3, notes.path, "Kettle care", "Kettle care \u203a Descaling, line 3",
                         "text")
    assert source_label(under_title) == "[3] Kettle care \u2014 Descaling, line 3"
    assert source_label(Source(4, notes.path, "", "", "text")) == "[4] notes.md"


def test_sources_list_is_numbered_and_hidden_without_sources(qtbot: QtBot,
                                                             tmp_path: Path) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    view = SourcesView(en, holder)
    holder.show()
    assert not view.isVisible()
    view.set_sources(sources(tmp_path))
    assert view.isVisible() and view.numbers() == [1, 2]
    text = view.list.text()
    assert text.index("[1] Manual") < text.index("[2] Notes") and 'href="cite:2"' in text
    view.set_sources([])
    assert not view.isVisible()


def test_popup_shows_the_passage_and_opens_the_file_at_its_page(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    view = SourcesView(en)
    qtbot.addWidget(view)
    view.set_sources(sources(tmp_path))
    view.list.linkActivated.emit("cite:1")
    popup = view.popup
    assert popup is not None and popup.isVisible()
    assert "red button" in popup.passage.toPlainText()
    assert popup.path_label.text() == str(tmp_path / "manual.pdf")
    assert popup.open_button.isEnabled() and popup.missing.isHidden()
    popup.open_button.click()
    assert [url.fragment() for url in opened] == ["page=4"]
    assert view.open_source(2) is popup  # one popup per reply, showing the other passage
    assert "citric acid" in popup.passage.toPlainText()


def test_missing_file_is_said_inline(qtbot: QtBot, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    view = SourcesView(en)
    qtbot.addWidget(view)
    view.set_sources(sources(tmp_path))
    (tmp_path / "manual.pdf").unlink()
    popup = view.open_source(1)
    assert popup is not None and not popup.open_button.isEnabled()
    assert popup.missing.isVisibleTo(popup) and "no longer there" in popup.missing.text()
    assert not popup.open_file() and opened == []
    assert "red button" in popup.passage.toPlainText()  # the passage itself is still shown


def test_reply_shows_its_sources_and_citation_links_open_them(
        qtbot: QtBot, tmp_path: Path) -> None:
    widget = MessageWidget(reply(sources(tmp_path)), Renderer(), Translator())
    qtbot.addWidget(widget)
    widget.show()
    assert widget.sources.isVisible() and widget.sources.numbers() == [1, 2]
    assert 'href="cite:1"' in widget.body.toHtml()
    widget.body.anchorClicked.emit(QUrl("cite:2"))
    assert widget.sources.popup is not None
    assert "citric acid" in widget.sources.popup.passage.toPlainText()
    with qtbot.assertNotEmitted(widget.link_clicked):
        widget.body.anchorClicked.emit(QUrl("cite:1"))
    with qtbot.waitSignal(widget.link_clicked):  # other links still go to the chat view
        widget.body.anchorClicked.emit(QUrl("https://example.org"))


def test_reply_without_sources_has_no_section(qtbot: QtBot) -> None:
    widget = MessageWidget(reply([], "Just [1] text."), Renderer(), Translator())
    qtbot.addWidget(widget)
    widget.show()
    assert not widget.sources.isVisible()
    assert "cite:" not in widget.body.toHtml()


def test_sources_follow_the_language(qtbot: QtBot, tmp_path: Path) -> None:
    i18n = Translator()
    widget = MessageWidget(reply(sources(tmp_path)), Renderer(), i18n)
    qtbot.addWidget(widget)
    popup = widget.sources.open_source(1)
    assert popup is not None
    i18n.set_language("zh_CN")
    widget.retranslate()
    assert widget.sources.heading.text() == "来源" and popup.open_button.text() == "打开文件"
