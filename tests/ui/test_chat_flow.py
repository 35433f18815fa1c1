"""Chatting through the window: send, stream, stop, regenerate, edit, copy, links."""

from __future__ import annotations

import random
import time
from itertools import pairwise

import pytest
from fakes import DEFAULT_TOKENS
from fixtures.apps import App, AppMaker, send
from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from openchat_desktop.ui.chat_view import REPAINT_MS, ChatView
from openchat_desktop.ui.message_text import MessageText
from openchat_desktop.ui.message_widget import MessageWidget
from openchat_desktop.ui.rendering import Renderer

FULL_REPLY = "".join(DEFAULT_TOKENS)
SLOW = {"tokens": [f" w{i}" for i in range(400)], "tokens_per_second": 40}


def test_send_streams_reply_into_the_view(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(tokens_per_second=100)
    shown: list[str] = []
    app.ctx.session.reply_delta.connect(
        lambda mid, _t: shown.append(app.window.chat_view.widget_for(mid).text()))
    send(qtbot, app, "Hello there")
    # Streamed in pieces (tokens 10 ms apart travel in 30 ms batches), each a longer prefix.
    assert 1 < len(shown) < len(DEFAULT_TOKENS) and shown[-1] == FULL_REPLY
    assert all(later.startswith(earlier) and later != earlier
               for earlier, later in pairwise(shown))
    assert app.texts() == ["Hello there", FULL_REPLY]
    assert app.window.composer.text() == ""
    reply = app.widgets()[-1]
    assert "tok/s" in reply._stats.text() and "fake-model" in reply._stats.text()


def test_status_bar_speed_counts_tokens_not_batches(qtbot: QtBot, make_app: AppMaker) -> None:
    # 40 tokens/s arrive two to a signal; counting signals would read about 20 tok/s.
    app = make_app(**SLOW)
    status, composer = app.window.status, app.window.composer
    speeds: list[float] = []
    app.ctx.session.reply_progress.connect(lambda *_: speeds.append(status._speed or 0.0))
    composer.set_text("Count")
    composer.button.click()
    qtbot.waitUntil(lambda: len(speeds) > 30, timeout=10_000)
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=5000):
        composer.button.click()
    assert 30 < speeds[-1] < 50


def test_streaming_paints_on_a_timer_not_per_token(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(tokens=["Para one.\n\n", "Para two.\n\n"] + [" x"] * 60,
                   tokens_per_second=400)
    view: ChatView = app.window.chat_view
    flushes: list[int] = []
    original = view._on_repaint_timer_timeout
    view._on_repaint_timer_timeout = lambda: (flushes.append(1), original())  # type: ignore
    view._timer.timeout.disconnect()
    view._timer.timeout.connect(view._on_repaint_timer_timeout)
    send(qtbot, app, "Write")
    assert 0 < len(flushes) < 62
    assert app.widgets()[-1].body.toPlainText().startswith("Para one.\nPara two.")


class _PaintCounter(QObject):
    """Counts paint and resize events of one widget."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = self.resizes = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.paints += event.type() == QEvent.Type.Paint
        self.resizes += event.type() == QEvent.Type.Resize
        return False


def test_a_growing_reply_is_resized_and_painted_once_per_flush(
        qtbot: QtBot, make_app: AppMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every flush adds a paragraph: the text grows taller, the chat scrolls. That is one
    # resize and one paint of the text per flush, not one per edit or per layout level.
    app = make_app(tokens=[f"Paragraph {i} has a few words.\n\n" for i in range(40)],
                   tokens_per_second=20)
    counter, flushes = _PaintCounter(), [0]
    original = MessageWidget.flush_stream

    def flush(widget: MessageWidget) -> None:
        if not flushes[0]:
            widget.body.installEventFilter(counter)
        flushes[0] += 1
        original(widget)

    monkeypatch.setattr(MessageWidget, "flush_stream", flush)
    send(qtbot, app, "Paragraphs", timeout=20_000)
    assert flushes[0] > 20
    assert counter.resizes <= flushes[0] + 2
    assert counter.paints <= flushes[0] + 5


def test_the_end_of_a_reply_updates_it_alone(qtbot: QtBot, make_app: AppMaker,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # A finished reply is read from the store by itself: a long conversation is not read
    # again (about 20 ms for 2,000 messages), and the reply shows its final text and stats.
    app = make_app(tokens_per_second=100)
    send(qtbot, app, "First")
    session, reads = app.ctx.session, []
    original = type(session).messages
    monkeypatch.setattr(type(session), "messages",
                        lambda self: reads.append(1) or original(self))
    app.window.composer.set_text("Second")
    with qtbot.waitSignal(session.reply_started, timeout=5000):
        app.window.composer.button.click()
    reads.clear()
    with qtbot.waitSignal(session.reply_finished, timeout=10_000):
        pass
    assert reads == []
    reply = app.widgets()[-1]
    assert not reply.is_streaming and reply.text() == FULL_REPLY
    assert reply.body.toPlainText().rstrip() == FULL_REPLY.rstrip()
    assert "tok/s" in reply._stats.text()


def test_a_slow_repaint_spaces_out_the_next(qtbot: QtBot, make_app: AppMaker,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # A repaint that takes 60 ms (a huge unbroken line) makes the next wait at least 120 ms,
    # so the window keeps time for input; the finished reply still shows every token.
    words = [f" w{i}" for i in range(100)]
    app = make_app(tokens=words, tokens_per_second=40)
    view: ChatView = app.window.chat_view
    intervals: list[int] = []
    flush = MessageWidget.flush_stream

    def slow_flush(widget: MessageWidget) -> None:
        intervals.append(view._timer.interval())  # what this repaint waited for
        time.sleep(0.06)
        flush(widget)

    monkeypatch.setattr(MessageWidget, "flush_stream", slow_flush)
    send(qtbot, app, "Count", timeout=20_000)
    assert len(intervals) > 3 and intervals[0] == REPAINT_MS
    assert min(intervals[1:]) >= 120
    intervals.clear()
    send(qtbot, app, "Again", timeout=20_000)  # a new reply starts at the usual pace
    assert intervals[0] == REPAINT_MS
    assert app.texts()[-1] == "".join(words).strip()


MARKDOWN_REPLY = ["Intro **bold** text.\n\n", "```python\nprint('hi')\n```\n\n",
                  "- one\n- two\n\n", "A table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n",
                  "Last ", "paragraph", " ends here."]


def same_lines(view: MessageText, fresh: MessageText) -> bool:
    """Whether two bodies read alike, block for block (a space at a line's end is not seen)."""
    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.splitlines()]

    return (lines(view.toPlainText()) == lines(fresh.toPlainText())
            and view.document().blockCount() == fresh.document().blockCount())


def finished_like_a_fresh_render(app: App) -> None:
    """The reply as streamed and finished reads exactly as the same message rendered anew."""
    reply = app.widgets()[-1]
    fresh, renderer = MessageText(), Renderer(app.window.chat_view._renderer.theme)
    fresh.show_html(renderer.html(reply.message.content), renderer.css())  # not the app's cache
    assert same_lines(reply.body, fresh)
    fresh.deleteLater()


def test_a_finished_reply_keeps_its_streamed_blocks(qtbot: QtBot, make_app: AppMaker) -> None:
    # Only the last block is rendered as the reply ends: re-setting the whole document would
    # stall the window for tens of milliseconds on a long reply.
    app = make_app(tokens=MARKDOWN_REPLY, tokens_per_second=50)
    send(qtbot, app, "Show me Markdown")
    finished_like_a_fresh_render(app)
    assert "print('hi')" in app.widgets()[-1].body.toPlainText()


@pytest.mark.parametrize("ending", ["```\nls -l\n```\n", "| a | b |\n|---|---|\n| 1 | 2 |\n",
                                    "Plain end.\n\n"])
def test_a_reply_ending_in_any_block_finishes_like_a_fresh_render(qtbot: QtBot,
                                                                   make_app: AppMaker,
                                                                   ending: str) -> None:
    app = make_app(tokens=["Some text.\n\n", "```python\nx = 1\n```\n\n", ending],
                   tokens_per_second=50)
    send(qtbot, app, "Go")
    finished_like_a_fresh_render(app)


def test_a_reply_whose_blocks_change_at_the_end_is_rendered_anew(qtbot: QtBot,
                                                                make_app: AppMaker) -> None:
    # A reference-style link resolves only when its definition arrives, after its block.
    app = make_app(tokens=["See [the docs][d].\n\n", "More text.\n\n",
                           "[d]: https://example.com/docs\n"], tokens_per_second=50)
    send(qtbot, app, "Link please")
    finished_like_a_fresh_render(app)
    assert "[the docs]" not in app.widgets()[-1].body.toPlainText()


def test_send_button_is_disabled_for_blank_text(qtbot: QtBot, make_app: AppMaker) -> None:
    composer = make_app().window.composer
    assert not composer.button.isEnabled()
    composer.set_text("   \n ")
    assert not composer.button.isEnabled()
    composer.set_text("hi")
    assert composer.button.isEnabled()


def test_enter_sends_and_shift_enter_adds_a_line(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    edit = app.window.composer.edit
    qtbot.keyClicks(edit, "line one")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "line two")
    assert edit.toPlainText() == "line one\nline two"
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=5000):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert app.ctx.session.messages()[0].content == "line one\nline two"


def test_ctrl_enter_sends_when_so_configured(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    app.ctx.settings.set("ui.send_key", "ctrl+enter")
    edit = app.window.composer.edit
    qtbot.keyClicks(edit, "first")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert edit.toPlainText() == "first\n" and not app.ctx.session.messages()
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=5000):
        qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_stop_button_stops_the_reply(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(**SLOW)
    composer = app.window.composer
    composer.set_text("Count")
    composer.button.click()
    assert composer.is_busy and composer.button.text() == "Stop"
    qtbot.waitUntil(lambda: len(app.widgets()[-1].text()) > 6, timeout=5000)
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=5000) as finished:
        composer.button.click()
    assert finished.args[1].stop_reason == "stopped"
    assert composer.button.text() == "Send" and not composer.is_busy
    assert "stopped" in app.widgets()[-1]._stats.text()


def test_escape_stops_the_reply(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(**SLOW)
    app.window.composer.set_text("Count")
    app.window.composer.button.click()
    qtbot.waitUntil(lambda: len(app.widgets()[-1].text()) > 6, timeout=5000)
    assert app.window.menu_actions["stop"].isEnabled()
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=5000) as finished:
        qtbot.keyClick(app.window.composer.edit, Qt.Key.Key_Escape)
    assert finished.args[1].stop_reason == "stopped"
    assert not app.window.menu_actions["stop"].isEnabled()


def test_regenerate_adds_a_version_with_a_switcher(qtbot: QtBot, make_app: AppMaker) -> None:
    answers = iter(["First answer", "Second answer"])
    app = make_app(tokens=lambda _messages: [next(answers)])
    send(qtbot, app, "Question")
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=5000):
        app.window.menu_actions["regenerate"].trigger()
    reply = app.widgets()[-1]
    assert reply.text() == "Second answer"
    assert reply._buttons["version"].text() == "2/2" and reply._buttons["prev"].isEnabled()
    reply._buttons["prev"].click()
    reply = app.widgets()[-1]
    assert reply.text() == "First answer" and reply._buttons["version"].text() == "1/2"
    reply._buttons["next"].click()
    assert app.widgets()[-1].text() == "Second answer"


def test_edit_makes_a_branch_and_keeps_the_old_one(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(tokens=lambda messages: [f"re: {messages[-1].content}"])
    send(qtbot, app, "Original question")
    user = app.widgets()[0]
    user._buttons["edit"].click()
    assert user._editor is not None
    user._editor.edit.setPlainText("Edited question")
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=5000):
        user._editor.send_button.click()
    assert app.texts() == ["Edited question", "re: Edited question"]
    user = app.widgets()[0]
    assert user._buttons["version"].text() == "2/2"
    user._buttons["prev"].click()
    assert app.texts() == ["Original question", "re: Original question"]


def test_copy_message_code_block_and_last_answer(qtbot: QtBot, make_app: AppMaker) -> None:
    reply = "Try:\n\n```python\nprint('hi')\n```\n\nand\n\n```\nls -l\n```\n"
    app = make_app(tokens=[reply])
    send(qtbot, app, "Code please")
    widget = app.widgets()[-1]
    clipboard = QGuiApplication.clipboard()
    widget.body.anchorClicked.emit(QUrl("copy:1"))
    assert clipboard.text() == "ls -l\n"
    widget._buttons["copy"].click()
    assert clipboard.text() == reply
    clipboard.setText("")
    app.window.menu_actions["copy_last"].trigger()
    assert clipboard.text() == reply


def test_only_web_links_open_and_nothing_is_loaded(qtbot: QtBot, make_app: AppMaker,
                                                   monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("openchat_desktop.ui.message_actions.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toString()))
    app = make_app(tokens=["See [site](https://example.com) "])
    send(qtbot, app, "Link")
    body = app.widgets()[-1].body
    assert not body.openLinks() and not body.openExternalLinks()
    for url in ("https://example.com", "file:///etc/passwd", "javascript:alert(1)"):
        body.anchorClicked.emit(QUrl(url))
    assert opened == ["https://example.com"]
    assert body.loadResource(2, QUrl("https://example.com/x.png")) is None


def test_failed_reply_is_marked(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(fail_after=2, tokens=["a", "b", "c", "d"])
    app.window.composer.set_text("Go")
    with qtbot.waitSignal(app.ctx.session.reply_failed, timeout=5000):
        app.window.composer.button.click()
    notice = app.widgets()[-1]._notice
    assert notice.isVisible() and "failed" in notice.text()


def test_delete_message_and_new_chat(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    send(qtbot, app, "Hi")
    first = app.ctx.session.current_id
    app.widgets()[0]._buttons["delete"].click()
    assert app.texts() == []
    app.window.menu_actions["new_chat"].trigger()
    assert app.ctx.session.current_id == first  # an empty chat is reused, not duplicated
    send(qtbot, app, "Again")
    app.window.menu_actions["new_chat"].trigger()
    assert app.ctx.session.current_id != first and app.texts() == []


STREAMED_DOC = ("Intro **bold** text.\n\n```python\nprint('hi')\n```\n\n- one\n- two\n\n"
                "A table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\n1. first\n2. second\n\n"
                "```\nls\n```\n\nLast paragraph ends here.")


@pytest.mark.parametrize("seed", range(12))
def test_any_chunking_of_a_stream_finishes_like_a_fresh_render(qtbot: QtBot, seed: int) -> None:
    # Which blocks complete between two repaints depends on timing: every way must end alike.
    renderer = Renderer()
    chooser = random.Random(seed)
    view, fresh = MessageText(), MessageText()
    qtbot.addWidget(view)
    qtbot.addWidget(fresh)
    stream = renderer.streaming()
    view.begin_stream(renderer.css())
    position = 0
    while position < len(STREAMED_DOC):
        step = chooser.randint(1, 40)
        stream.feed(STREAMED_DOC[position:position + step])
        position += step
        if chooser.random() < 0.5:
            view.show_stream(renderer.stream_html(stream), stream.tail_text())
    finished, anew = renderer.finished_html(stream, STREAMED_DOC), Renderer().html(STREAMED_DOC)
    assert finished == anew
    view.finish_stream(finished, renderer.css())
    fresh.show_html(anew, renderer.css())
    assert same_lines(view, fresh)


def test_a_reply_that_streamed_in_another_theme_is_rendered_anew() -> None:
    # The theme changed while it streamed: its blocks have the old code colours.
    renderer, text = Renderer("light"), "Some *text*.\n\n```python\nx = 1\n```\n\nEnd."
    stream = renderer.streaming()
    stream.feed(text)
    renderer.set_theme("dark")
    assert renderer.finished_html(stream, text) == Renderer("dark").html(text)
    assert renderer.html(text) == Renderer("dark").html(text)
