"""A thinking model in the window: scripted Qwen3-style output through the real worker,
splitter, store and view. Thinking folds above the answer, its state is remembered, token
counts are shown apart, Copy copies the answer, tool calls show as a compact block."""

from __future__ import annotations

from fixtures.apps import App, AppMaker, send
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from openchat_desktop.ui.chat_view import THINKING_EXPANDED_KEY
from openchat_desktop.ui.message_widget import MessageWidget
from openchat_desktop.ui.reply_sections import ThinkingSection

QWEN3 = ["<think>", "\n", "The user", " greets me.", " I should", " greet back.", "\n",
         "</think>", "\n\n", "Hello", "! How", " can I", " help?"]
ANSWER = "Hello! How can I help?"
THOUGHT = "The user greets me. I should greet back."


def reply_widget(app: App) -> MessageWidget:
    return app.widgets()[-1]


def section_of(app: App, message_id: int) -> ThinkingSection:
    widget = app.window.chat_view.widget_for(message_id)
    assert widget is not None
    return widget.thinking


def test_thinking_streams_folded_above_the_answer(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(tokens=QWEN3, reply_format="think", tokens_per_second=60)
    headers: list[str] = []
    app.ctx.session.reply_thinking.connect(
        lambda mid, _t: headers.append(section_of(app, mid).toggle.text()))
    send(qtbot, app, "Hi")
    reply = reply_widget(app)
    assert headers and all("Thinking…" in h for h in headers)
    section = reply.thinking
    assert section.isVisible() and not section.expanded and not section.body.isVisible()
    assert "Thought for" in section.toggle.text() or section.toggle.text().endswith("Thinking")
    assert reply.text() == ANSWER and app.texts()[-1] == ANSWER
    stats = reply._stats.text()
    assert "thinking + " in stats and "answer tokens" in stats
    # Opening it shows the thinking as plain text; the choice is remembered.
    section.toggle.click()
    assert section.body.toPlainText() == THOUGHT
    assert app.ctx.settings.get(THINKING_EXPANDED_KEY) is True
    reply.action_requested.emit("copy", reply.message.id)
    assert QGuiApplication.clipboard().text() == ANSWER


def test_the_remembered_choice_opens_the_next_reply_while_it_streams(
        qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(tokens=QWEN3, reply_format="think", tokens_per_second=80)
    app.ctx.settings.set(THINKING_EXPANDED_KEY, True)
    seen: list[str] = []
    app.ctx.session.reply_delta.connect(
        lambda mid, _t: seen.append(section_of(app, mid).body.toPlainText()))
    send(qtbot, app, "Hi")
    assert seen and seen[-1] == THOUGHT
    assert reply_widget(app).thinking.expanded


def test_a_plain_model_shows_no_thinking_section(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    send(qtbot, app, "Hi")
    assert not reply_widget(app).thinking.isVisible()
    assert "thinking" not in reply_widget(app)._stats.text()


def test_a_tool_call_shows_as_a_compact_block(qtbot: QtBot, make_app: AppMaker) -> None:
    tokens = ["<tool_call>", '\n{"name": "get_weather", "arguments": {"city": "Oslo"}}',
              "\n</tool_call>"]
    app = make_app(tokens=tokens)
    send(qtbot, app, "Weather?")
    view = reply_widget(app).tool_calls
    assert view.isVisible()
    labels = view.findChildren(QLabel, "toolCall")
    assert [label.text() for label in labels] == ['Tool call: get_weather {"city": "Oslo"}']
    assert "<tool_call>" not in reply_widget(app).text()


QWEN3_TEMPLATE = "{%- if enable_thinking is defined and enable_thinking is false %}"
GPT_OSS_TEMPLATE = "Reasoning: {{ reasoning_effort }}<|channel|>final<|message|>"


def test_the_thinking_choice_is_per_conversation_and_reaches_the_engine(
        qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(template_source=QWEN3_TEMPLATE)
    control = app.window.chat_view.thinking_control
    assert control.isVisible() and control.modes == ("on", "off")
    assert [control.combo.itemText(i) for i in range(control.combo.count())] == [
        "Model default", "On", "Off"]
    send(qtbot, app, "Hi")
    assert app.factory is not None
    options = app.factory.engine.options_seen
    assert options[-1] is None  # Model default: the template decides
    control.choose("off")
    assert app.ctx.session.conversation_overrides()["chat.thinking"] == "off"
    send(qtbot, app, "Again")
    assert options[-1] is not None and options[-1].thinking == "off"
    # Another conversation starts from the app's choice again.
    app.ctx.session.new_conversation()
    assert control.current() == "auto"


def test_gpt_oss_offers_effort_and_plain_models_offer_nothing(
        qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(template_source=GPT_OSS_TEMPLATE)
    control = app.window.chat_view.thinking_control
    assert control.modes == ("low", "medium", "high") and control.isVisible()
    plain = make_app()
    assert not plain.window.chat_view.thinking_control.isVisible()
